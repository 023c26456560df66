import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultSpec } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { makeEvents, makeItems, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer, type RunningServer } from '../helpers/server.js';

/**
 * Fault injection through config: a slow ranker, a failing ANN source, a failing feature store. Every request still
 * returns a full slate and names its fallback. (Latency against the ledger is measured by `npm run bench -- faults`,
 * not asserted here; the tests check that the slow component was cut off long before its injected delay.)
 */
async function withServer(faults: FaultSpec[], body: (srv: RunningServer) => Promise<void>, patch: (c: ReturnType<typeof testConfig>) => void = () => {}): Promise<void> {
  const { dir, cleanup } = await tempDir();
  const srv = await startServer(
    testConfig(dir, (c) => {
      c.faults = faults;
      c.feed.maxPerAuthor = 10;
      c.latency.rankingMs = 10;
      c.latency.sourcesMs = 10;
      patch(c);
    }),
  );
  try {
    const now = Date.now();
    await srv.request('PUT', '/v1/items', { items: makeItems(120).map((i) => ({ ...i, created_at: now - 3_600_000 })) });
    const history = makeEvents(3000, { users: 30, items: 120, startMs: now - 2_000_000, maxStepMs: 500 });
    for (let i = 0; i < history.length; i += 1000) await srv.request('POST', '/v1/events', { events: history.slice(i, i + 1000) });
    await srv.engine.processor.catchUp();
    srv.engine.feed.popular.refresh();
    await body(srv);
  } finally {
    await srv.close();
    await cleanup();
  }
}

void describe('latency ledger: deadlines, fallbacks, fault injection', () => {
  // delays are far longer than the deadlines, so that "cut at the deadline" holds even on a loaded machine
  void it('a ranker delayed 5 s is cut at its deadline: the fallback ranker orders a full slate', async () => {
    await withServer([{ component: 'ranker:learned', delayMs: 5000 }], async (srv) => {
      for (let k = 0; k < 5; k++) {
        const res = await srv.request('GET', `/v1/feed?user_id=u${k}&limit=20&debug=1`);
        assert.equal(res.status, 200);
        assert.equal(res.body.items.length, 20);
        assert.deepEqual(res.body.fallbacks, ['fallback-ranker']);
        assert.ok(res.body.debug.degraded.includes('ranker:learned:deadline'));
        assert.equal(res.body.debug.ranker.name, 'heuristic');
        assert.ok(res.body.debug.timings_ms.ranking < 2500, `ranking stage ${res.body.debug.timings_ms.ranking} ms was not cut at its 10 ms deadline`);
      }
      const metrics = await srv.request('GET', '/metrics');
      assert.match(metrics.body as string, /feedloop_feed_fallback_total\{fallback="fallback-ranker"\} 5/);
      assert.match(metrics.body as string, /feedloop_feed_degraded_total\{component="ranker:learned:deadline"\} 5/);
    });
  });

  void it('a slow source misses the sources deadline and is dropped; the others fill the slate', async () => {
    await withServer([{ component: 'source:trending', delayMs: 5000 }], async (srv) => {
      const res = await srv.request('GET', '/v1/feed?user_id=u1&limit=20&debug=1');
      assert.equal(res.status, 200);
      assert.equal(res.body.items.length, 20);
      assert.ok(res.body.debug.degraded.includes('source:trending:deadline'));
      assert.equal(res.body.debug.candidates_by_source.trending, 0);
      assert.ok(res.body.debug.timings_ms.sources < 2500, `sources stage ${res.body.debug.timings_ms.sources} ms`);
    });
  });

  void it('the ANN (two-tower) source failing leaves the other sources: a full slate, the failure named', async () => {
    await withServer([{ component: 'source:two-tower', fail: true }], async (srv) => {
      const res = await srv.request('GET', '/v1/feed?user_id=u2&limit=20&debug=1');
      assert.equal(res.status, 200);
      assert.equal(res.body.items.length, 20);
      assert.ok(res.body.debug.degraded.includes('source:two-tower'));
      const plain = await srv.request('GET', '/v1/feed?user_id=u3&limit=20');
      assert.equal(plain.body.items.length, 20);
      assert.ok(plain.body.degraded.includes('source:two-tower'), 'named in the response without debug');
      assert.ok(res.body.debug.candidates_by_source.trending > 0 && res.body.debug.candidates_by_source.fresh > 0);
    });
  });

  void it('the feature store failing: the feed is served from the precomputed popular list', async () => {
    await withServer([{ component: 'feature-store', fail: true }], async (srv) => {
      assert.ok(srv.engine.feed.popular.size > 0, 'popular list precomputed from the store before the requests');
      for (let k = 0; k < 3; k++) {
        const res = await srv.request('GET', `/v1/feed?user_id=u${k}&limit=20&debug=1`);
        assert.equal(res.status, 200);
        assert.equal(res.body.items.length, 20);
        assert.deepEqual(res.body.fallbacks, ['feature-store', 'popular-list']);
        assert.ok(res.body.debug.degraded.includes('feature-store:user'));
        for (const it of res.body.items) assert.deepEqual(it.sources, ['popular-list']);
      }
    });
  });

  void it('a short slate is topped up from trending + fresh through the filters', async () => {
    // every source but trending/fresh off, and trending limited to 3 candidates
    await withServer(
      [],
      async (srv) => {
        const res = await srv.request('GET', '/v1/feed?user_id=newcomer&limit=20&debug=1');
        assert.equal(res.status, 200);
        assert.equal(res.body.items.length, 20);
        assert.deepEqual(res.body.fallbacks, ['trending+fresh']);
      },
      (c) => {
        for (const k of Object.keys(c.feed.quotas)) c.feed.quotas[k] = 0;
        c.feed.quotas.trending = 3;
      },
    );
  });

  void it('bad fault specs are rejected naming the field', () => {
    const bad = (faults: unknown) => () => loadConfig({ path: null, env: {}, overrides: { faults: faults as FaultSpec[] } });
    assert.throws(bad([{ delayMs: 5 }]), (e: unknown) => e instanceof ConfigError && e.field === 'faults[0].component');
    assert.throws(bad([{ component: 'ranker:learned', delayMs: -1 }]), (e: unknown) => e instanceof ConfigError && e.field === 'faults[0].delayMs');
    assert.throws(bad([{ component: 'x', slow: true }]), (e: unknown) => e instanceof ConfigError && e.field === 'faults[0].slow');
  });
});
