import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readServeLog, serveRecordsByRequestId } from '../../src/serve-log/read-serve-log.js';
import type { ServeRecord } from '../../src/domain/feed.js';
import { makeEvents, makeItems, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer } from '../helpers/server.js';

void describe('feed end to end', () => {
  void it('impressed and hidden items disappear from the next feed; the serve log holds both requests and joins impressions', async () => {
    const { dir, cleanup } = await tempDir();
    const srv = await startServer(testConfig(dir, (c) => (c.feed.maxPerAuthor = 10)));
    try {
      const now = Date.now();
      await srv.request('PUT', '/v1/items', { items: makeItems(60).map((i) => ({ ...i, created_at: now - 3_600_000 })) });
      // other users' history gives trending and co-visitation something to work with
      const history = makeEvents(3000, { users: 20, items: 60, startMs: now - 2_000_000, maxStepMs: 500 });
      for (let i = 0; i < history.length; i += 1000) await srv.request('POST', '/v1/events', { events: history.slice(i, i + 1000) });
      await srv.engine.processor.catchUp();

      const first = await srv.request('GET', '/v1/feed?user_id=viewer&limit=10&session_id=s1&debug=1');
      assert.equal(first.status, 200);
      assert.equal(first.body.items.length, 10);
      assert.deepEqual(
        first.body.items.map((x: any) => x.position),
        [...Array(10).keys()],
      );
      for (const x of first.body.items) assert.ok(x.sources.length >= 1);
      assert.ok(first.body.debug.timings_ms.total > 0);
      assert.ok(first.body.debug.candidates_by_source.trending > 0);
      const served: string[] = first.body.items.map((x: any) => x.item_id);

      const impressions = served.map((item_id, position) => ({
        type: 'impression',
        id: `imp-${position}`,
        user_id: 'viewer',
        item_id,
        request_id: first.body.request_id,
        position,
        session_id: 's1',
      }));
      // the hidden item is one the user was never shown: the hide alone must remove it
      const hiddenItem = makeItems(60)
        .map((i) => i.id)
        .find((id) => !served.includes(id))!;
      const r = await srv.request('POST', '/v1/events', {
        events: [...impressions, { type: 'hide', id: 'hide-1', user_id: 'viewer', item_id: hiddenItem, session_id: 's1' }],
      });
      assert.equal(r.body.accepted, 11);
      await srv.engine.processor.catchUp();

      const second = await srv.request('GET', '/v1/feed?user_id=viewer&limit=40&session_id=s1&debug=1');
      const again: string[] = second.body.items.map((x: any) => x.item_id);
      assert.ok(again.length > 0);
      for (const id of served) assert.ok(!again.includes(id), `impressed ${id} served again`);
      assert.ok(!again.includes(hiddenItem), 'hidden item served again');
      assert.equal(second.body.debug.removed_by_reason.seen, 10);
      assert.equal(second.body.debug.removed_by_reason.hidden_item, 1);

      // serve log: both requests, with features and scores; an impression joins its row by request_id + position
      await new Promise((res) => setTimeout(res, 50));
      await srv.engine.serveLog.flush();
      const records: ServeRecord[] = [];
      for await (const rec of readServeLog(join(dir, 'servelog'))) records.push(rec);
      const ids = records.map((x) => x.request_id);
      assert.ok(ids.includes(first.body.request_id) && ids.includes(second.body.request_id));
      const byId = await serveRecordsByRequestId(join(dir, 'servelog'), new Set([first.body.request_id]));
      const row = byId.get(first.body.request_id)!;
      assert.equal(row.user_id, 'viewer');
      assert.ok(row.feature_names.includes('like_rate') && row.feature_names.includes('category_affinity'));
      assert.equal(row.features.length, row.candidates.length * row.feature_names.length);
      assert.equal(row.scores.score.length, row.candidates.length);
      assert.ok(row.features.every(Number.isFinite));
      const imp = impressions[3];
      const slot = row.slate.find((s) => s.position === imp.position)!;
      assert.equal(slot.item_id, imp.item_id);
      assert.ok(slot.propensity > 0 && slot.propensity <= 1, `propensity ${slot.propensity}`);
      assert.ok(row.candidates.some((c) => c.item_id === imp.item_id));
      const secondRow = records.find((x) => x.request_id === second.body.request_id)!;
      assert.equal(secondRow.removed.filter((x) => x.reason === 'seen').length, 10);
      assert.ok(secondRow.model_versions.ranker.startsWith('heuristic-'));
    } finally {
      await srv.close();
      await cleanup();
    }
  });

  void it('serves a cold-start feed to unknown users and validates parameters', async () => {
    const { dir, cleanup } = await tempDir();
    const srv = await startServer(testConfig(dir));
    try {
      const now = Date.now();
      await srv.request('PUT', '/v1/items', { items: makeItems(30).map((i) => ({ ...i, created_at: now - 60_000 })) });
      await srv.engine.processor.catchUp();
      const cold = await srv.request('GET', '/v1/feed?user_id=brand-new&limit=5&debug=1');
      assert.equal(cold.status, 200);
      assert.equal(cold.body.items.length, 5, 'fresh uploads fill a cold-start feed');
      assert.ok(cold.body.items.every((x: any) => x.sources.includes('fresh')));
      const capped = await srv.request('GET', '/v1/feed?user_id=u&limit=5000');
      assert.equal(capped.status, 200);
      assert.deepEqual(capped.body.notices, ['limit 5000 capped to 100']);
      const cases: [string, string][] = [
        ['/v1/feed', 'user_id'],
        ['/v1/feed?user_id=', 'user_id'],
        ['/v1/feed?user_id=u&limit=0', 'limit'],
        ['/v1/feed?user_id=u&limit=abc', 'limit'],
        ['/v1/feed?user_id=u&variant=nope', 'variant'],
        [`/v1/feed?user_id=u&session_id=${'s'.repeat(200)}`, 'session_id'],
      ];
      for (const [path, field] of cases) {
        const r = await srv.request('GET', path);
        assert.equal(r.status, 400, path);
        assert.equal(r.body.error.field, field, path);
      }
      const trending = await srv.request('GET', '/v1/feed?user_id=u&variant=trending&limit=5');
      assert.equal(trending.body.variant, 'trending');
      const m = await srv.request('GET', '/metrics');
      assert.match(m.body, /feedloop_feed_stage_seconds_count\{variant="home",stage="total"\} [1-9]/);
      // the serve record and side effects, timed after each reply
      assert.match(m.body, /feedloop_feed_stage_seconds_count\{variant="home",stage="after-response"\} [1-9]/);
      assert.match(m.body, /feedloop_feed_candidates_total\{source="fresh"\}/);
    } finally {
      await srv.close();
      await cleanup();
    }
  });
  void it('feed.serveLogCandidates "served" logs only the slate\'s rows, features and scores aligned with the full record', async () => {
    const { dir, cleanup } = await tempDir();
    const srv = await startServer(testConfig(dir, (c) => ((c.feed.maxPerAuthor = 10), (c.feed.serveLogCandidates = 'served'))));
    try {
      const now = Date.now();
      await srv.request('PUT', '/v1/items', { items: makeItems(60).map((i) => ({ ...i, created_at: now - 3_600_000 })) });
      const history = makeEvents(2000, { users: 20, items: 60, startMs: now - 2_000_000, maxStepMs: 500 });
      for (let i = 0; i < history.length; i += 1000) await srv.request('POST', '/v1/events', { events: history.slice(i, i + 1000) });
      await srv.engine.processor.catchUp();
      const res = await srv.request('GET', '/v1/feed?user_id=viewer&limit=8&debug=1');
      assert.equal(res.body.items.length, 8);
      assert.ok(res.body.debug.candidates_ranked > 8, 'more candidates ranked than served');
      await new Promise((r) => setTimeout(r, 50));
      await srv.engine.serveLog.flush();
      const row = (await serveRecordsByRequestId(join(dir, 'servelog'), new Set([res.body.request_id]))).get(res.body.request_id)!;
      assert.deepEqual(new Set(row.candidates.map((c) => c.item_id)), new Set(res.body.items.map((x: any) => x.item_id)));
      const w = row.feature_names.length;
      assert.equal(row.features.length, row.candidates.length * w);
      row.candidates.forEach((c, i) => {
        assert.ok(Math.abs(row.scores.score[i] - res.body.debug.item_scores[c.item_id].ranker_score) < 1e-3, `score of ${c.item_id}`);
        const ctr = row.feature_names.indexOf('completion_rate');
        assert.ok(Number.isFinite(row.features[i * w + ctr]));
      });
    } finally {
      await srv.close();
      await cleanup();
    }
  });
});
