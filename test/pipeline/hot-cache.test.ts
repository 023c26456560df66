import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readServeLog } from '../../src/serve-log/read-serve-log.js';
import { makeEvents, makeItems, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer } from '../helpers/server.js';

const until = async (cond: () => boolean) => {
  for (let k = 0; k < 200 && !cond(); k++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not reached');
};

void describe('per-user hot cache', () => {
  void it('serves the precomputed next page (no overlap with the last one), logs it when served, expires it', async () => {
    const { dir, cleanup } = await tempDir();
    const srv = await startServer(
      testConfig(dir, (c) => {
        c.feed.hotCache.enabled = true;
        c.feed.hotCache.ttlMs = 300;
        c.feed.maxPerAuthor = 10;
      }),
    );
    try {
      const now = Date.now();
      await srv.request('PUT', '/v1/items', { items: makeItems(120).map((i) => ({ ...i, created_at: now - 3_600_000 })) });
      const history = makeEvents(2000, { users: 20, items: 120, startMs: now - 2_000_000, maxStepMs: 500 });
      for (let i = 0; i < history.length; i += 1000) await srv.request('POST', '/v1/events', { events: history.slice(i, i + 1000) });
      await srv.engine.processor.catchUp();
      const cache = srv.engine.feed.cache!;

      const first = await srv.request('GET', '/v1/feed?user_id=u1&limit=10&session_id=s1');
      await until(() => cache.size === 1);
      const second = await srv.request('GET', '/v1/feed?user_id=u1&limit=10&session_id=s1');
      assert.equal(second.body.items.length, 10);
      const firstIds = new Set(first.body.items.map((x: { item_id: string }) => x.item_id));
      for (const x of second.body.items) assert.ok(!firstIds.has(x.item_id), `${x.item_id} served twice in a row`);
      // another limit or session is a different key: a miss
      await until(() => cache.size === 1);
      await srv.request('GET', '/v1/feed?user_id=u1&limit=5&session_id=s1');
      // an expired page is not served
      await until(() => cache.size === 1);
      await new Promise((r) => setTimeout(r, 400));
      await srv.request('GET', '/v1/feed?user_id=u1&limit=5&session_id=s1');
      const metrics = (await srv.request('GET', '/metrics')).body as string;
      assert.match(metrics, /feedloop_feed_cache_requests_total\{outcome="hit"\} 1/);
      assert.match(metrics, /feedloop_feed_cache_requests_total\{outcome="miss"\} 2/);
      assert.match(metrics, /feedloop_feed_cache_requests_total\{outcome="stale"\} 1/);
      assert.match(metrics, /feedloop_feed_cache_staleness_seconds_count 2/);
      // the cached page's serve record was written when it was served, and only then
      await srv.engine.serveLog.flush();
      const ids: string[] = [];
      for await (const r of readServeLog(join(dir, 'servelog'))) ids.push(r.request_id);
      assert.ok(ids.includes(second.body.request_id));
      assert.equal(ids.length, 4, 'four pages served, four records (precomputed but unserved pages leave none)');
    } finally {
      await srv.close();
      await cleanup();
    }
  });
});
