import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServeRecord } from '../../src/domain/feed.js';
import { RANKING_FEATURES } from '../../src/ranking/feature-assembly.js';
import { estimateServeRecordBytes, RecentServeRecords } from '../../src/serve-log/recent-records.js';
import { trainRankerFromDataDir } from '../../src/training/ranking/train-from-data-dir.js';
import { makeEvents, makeItems, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const explain = (srv: RunningServer, requestId: string, itemId: string) =>
  srv.request('GET', `/v1/feed/explain?request_id=${encodeURIComponent(requestId)}&item_id=${encodeURIComponent(itemId)}`);

/** Items and other users' history, so that trending and co-visitation have candidates. */
async function seed(srv: RunningServer): Promise<void> {
  const now = Date.now();
  await srv.request('PUT', '/v1/items', { items: makeItems(60).map((i) => ({ ...i, created_at: now - 3_600_000 })) });
  const history = makeEvents(3000, { users: 20, items: 60, startMs: now - 2_000_000, maxStepMs: 500 });
  for (let i = 0; i < history.length; i += 1000) await srv.request('POST', '/v1/events', { events: history.slice(i, i + 1000) });
  await srv.engine.processor.catchUp();
}

/** The side effects run after the response is sent: wait until the record is in memory. */
async function recorded(srv: RunningServer, requestId: string): Promise<void> {
  for (let i = 0; i < 100 && !srv.engine.serveRecords.recent(requestId); i++) await new Promise((r) => setTimeout(r, 5));
}

void describe('GET /v1/feed/explain', () => {
  void it('explains served, filtered and unranked items; 404 and 400; old requests come from the serve log', async () => {
    const { dir, cleanup } = await tempDir();
    const srv = await startServer(
      testConfig(dir, (c) => (c.feed.maxPerAuthor = 10)),
      { recentServeRecords: { maxRecords: 2 } },
    );
    try {
      await seed(srv);
      const first = await srv.request('GET', '/v1/feed?user_id=viewer&limit=10&session_id=s1&debug=1');
      assert.equal(first.status, 200);
      const rid: string = first.body.request_id;
      await recorded(srv, rid);

      // a served item: sources, position, features, scores as the feed and its debug block said
      const item = first.body.items[3];
      const res = await explain(srv, rid, item.item_id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const e = res.body;
      assert.equal(e.record_from, 'memory');
      assert.equal(e.outcome, 'served');
      assert.equal(e.reason, undefined);
      assert.deepEqual(
        e.sources.map((s: any) => s.name),
        item.sources,
      );
      for (const s of e.sources) assert.equal(typeof s.score, 'number');
      assert.equal(e.reranking.served_position, 3);
      assert.ok(e.reranking.propensity > 0 && e.reranking.propensity <= 1);
      assert.equal(typeof e.reranking.ranker_rank, 'number');
      assert.equal(e.reranking.moved_by, e.reranking.ranker_rank - 3);
      assert.deepEqual(Object.keys(e.features), [...RANKING_FEATURES]);
      assert.ok(Object.values(e.features).every((v) => typeof v === 'number'));
      assert.equal(e.features.source_count, item.sources.length);
      assert.equal(e.ranker.version, first.body.debug.ranker.version);
      assert.match(e.ranker.version, /^heuristic-/);
      // the heuristic ranker has no heads, hence no value-model terms
      assert.deepEqual(e.ranker.heads, []);
      assert.equal(e.value_model, null);
      assert.ok(Math.abs(e.scores.score - first.body.debug.item_scores[item.item_id].ranker_score) < 1e-4);
      assert.equal(e.filtered, null);
      assert.equal(e.request.user_id, 'viewer');
      assert.equal(e.request.session_id, 's1');
      assert.equal(e.request.variant, 'home');
      assert.equal(e.request.config_changed, false);
      assert.deepEqual(e.request.degraded, first.body.debug.degraded);
      assert.ok(e.request.timings_ms.total > 0);
      assert.equal(e.request.slate_size, 10);
      // the top-ranked served items: ranks by ranker score are distinct and consistent with the slate order
      const ranks = await Promise.all(first.body.items.map(async (x: any) => (await explain(srv, rid, x.item_id)).body.reranking.ranker_rank));
      assert.equal(new Set(ranks).size, ranks.length);

      // a candidate that was ranked but not served
      const record = srv.engine.serveRecords.recent(rid)!;
      const served = new Set(first.body.items.map((x: any) => x.item_id));
      const unserved = record.candidates.find((c) => !served.has(c.item_id));
      assert.ok(unserved, `${record.candidates.length} candidates, all served`);
      const u = await explain(srv, rid, unserved.item_id);
      assert.equal(u.status, 200);
      assert.equal(u.body.outcome, 'not_served');
      assert.match(u.body.reason, /ranker rank/);
      assert.equal(u.body.reranking.served_position, null);
      assert.ok(u.body.reranking.ranker_rank >= 0);

      // a filtered item: the next request removes the impressed ones as seen
      const impressions = first.body.items.map((x: any) => ({
        type: 'impression',
        id: `imp-${x.position}`,
        user_id: 'viewer',
        item_id: x.item_id,
        request_id: rid,
        position: x.position,
        session_id: 's1',
      }));
      assert.equal((await srv.request('POST', '/v1/events', { events: impressions })).body.accepted, 10);
      await srv.engine.processor.catchUp();
      const second = await srv.request('GET', '/v1/feed?user_id=viewer&limit=10&session_id=s1');
      await recorded(srv, second.body.request_id);
      const f = await explain(srv, second.body.request_id, item.item_id);
      assert.equal(f.status, 200);
      assert.equal(f.body.outcome, 'filtered');
      assert.equal(f.body.filtered.reason, 'seen');
      assert.equal(typeof f.body.filtered.filter, 'string');
      assert.match(f.body.reason, /seen/);
      assert.equal(f.body.sources, null);
      assert.equal(f.body.features, null);
      assert.equal(f.body.reranking, null);

      // unknown ids: 404 naming the parameter; missing parameters: 400 naming it
      const noRequest = await explain(srv, 'no-such-request', item.item_id);
      assert.equal(noRequest.status, 404);
      assert.deepEqual([noRequest.body.error.code, noRequest.body.error.field], ['not_found', 'request_id']);
      const noItem = await explain(srv, rid, 'no-such-item');
      assert.equal(noItem.status, 404);
      assert.deepEqual([noItem.body.error.code, noItem.body.error.field], ['not_found', 'item_id']);
      for (const [query, field] of [
        [`item_id=${item.item_id}`, 'request_id'],
        [`request_id=${rid}`, 'item_id'],
        ['request_id=&item_id=x', 'request_id'],
        ['', 'request_id'],
      ]) {
        const bad = await srv.request('GET', `/v1/feed/explain?${query}`);
        assert.equal(bad.status, 400, query);
        assert.deepEqual([bad.body.error.code, bad.body.error.field], ['missing_field', field], query);
      }

      // two more requests push the first out of the ring (2 records): it is read back from the serve log, identical
      for (let k = 0; k < 2; k++) await recorded(srv, (await srv.request('GET', `/v1/feed?user_id=other${k}&limit=5`)).body.request_id);
      assert.equal(srv.engine.serveRecords.recent(rid), undefined);
      assert.ok(srv.engine.serveRecords.stats().evicted >= 2);
      const old = await explain(srv, rid, item.item_id);
      assert.equal(old.status, 200);
      assert.equal(old.body.record_from, 'serve_log');
      assert.deepEqual({ ...old.body, record_from: 'memory' }, e);
      assert.ok(srv.engine.serveRecords.stats().diskLookups >= 1);
    } finally {
      await srv.close();
      await cleanup();
    }
  });

  void it('with a learned ranker: every head, its value-model term, and their sum against the logged score', async () => {
    const { dir, cleanup } = await tempDir();
    const cfg = testConfig(dir, (c) => (c.feed.maxPerAuthor = 10));
    const srv = await startServer(cfg);
    try {
      await seed(srv);
      // a small model from the event log's exposures (the backfill); quality does not matter here
      await trainRankerFromDataDir(cfg, { source: 'backfill', epochs: 1, minPositives: 1 });
      assert.equal(await srv.engine.reloadRanking(), true);
      const feed = await srv.request('GET', '/v1/feed?user_id=viewer&limit=10&debug=1');
      assert.deepEqual(feed.body.debug.degraded, []);
      await recorded(srv, feed.body.request_id);
      const item = feed.body.items[0];
      const res = await explain(srv, feed.body.request_id, item.item_id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const e = res.body;
      assert.equal(e.ranker.version, feed.body.debug.ranker.version);
      const heads = ['p_complete', 'p_like', 'p_share', 'p_follow', 'p_hide', 'watch_ratio'];
      assert.deepEqual([...e.ranker.heads].sort(), [...heads].sort());
      const w = cfg.ranking.valueWeights;
      const keys: Record<string, string> = { p_complete: 'complete', p_like: 'like', p_share: 'share', p_follow: 'follow', p_hide: 'hide', watch_ratio: 'watch' };
      let sum = 0;
      for (const head of heads) {
        const term = e.value_model.terms.find((t: any) => t.head === head);
        assert.ok(term, head);
        assert.equal(term.weight_key, keys[head]);
        assert.equal(term.weight, w[keys[head]]);
        assert.equal(term.value, e.scores[head]);
        assert.ok(Math.abs(term.term - term.weight * term.value) < 1e-5);
        assert.ok(Math.abs(e.scores[head] - feed.body.debug.item_scores[item.item_id][head]) < 1e-5);
        sum += term.term;
      }
      assert.ok(Math.abs(e.value_model.sum - sum) < 1e-4);
      assert.equal(e.value_model.logged_score, e.scores.score);
      assert.ok(Math.abs(e.value_model.difference) < 1e-3, `value model ${e.value_model.sum} vs score ${e.scores.score}`);
    } finally {
      await srv.close();
      await cleanup();
    }
  });

  void it('the in-memory ring is bounded by estimated bytes and evicts the oldest first', () => {
    const record = (id: string, candidates: number): ServeRecord => ({
      request_id: id,
      ts: 0,
      user_id: 'u',
      variant: 'home',
      context: {},
      config_version: 'c',
      model_versions: { ranker: 'r' },
      feature_names: ['a', 'b'],
      candidates: Array.from({ length: candidates }, (_, i) => ({ item_id: `i${i}`, sources: [{ name: 'trending', score: 1 }] })),
      features: new Float32Array(candidates * 2),
      scores: { score: new Float32Array(candidates) },
      removed: [],
      slate: [],
      timings_ms: {},
      degraded: [],
    });
    const size = estimateServeRecordBytes(record('r0', 100)); // the same size as r1…r4's (ids are counted)
    assert.ok(size > 100 * 3 * 4, `${size}`);
    const ring = new RecentServeRecords({ flush: async () => {} }, '/nonexistent', { maxBytes: 3 * size });
    for (const id of ['r1', 'r2', 'r3', 'r4']) ring.remember(record(id, 100));
    assert.equal(ring.recent('r1'), undefined);
    assert.ok(ring.recent('r2') && ring.recent('r4'));
    assert.deepEqual({ records: ring.stats().records, evicted: ring.stats().evicted }, { records: 3, evicted: 1 });
    ring.remember(record('big', 1000)); // over the whole budget: not kept, nothing evicted for it
    assert.equal(ring.recent('big'), undefined);
    assert.equal(ring.stats().records, 3);
    assert.ok(ring.stats().bytes <= 3 * size);
  });

  void it('keeps records as bytes in a reused arena: every kept record reads back exactly while older ones are overwritten', () => {
    const r = (id: string, n: number, seed: number): ServeRecord => ({
      request_id: id,
      ts: seed,
      user_id: 'u',
      variant: 'home',
      context: {},
      config_version: 'c',
      model_versions: { ranker: 'r' },
      feature_names: Array.from({ length: 60 }, (_, j) => `f${j}`),
      // some ids not ASCII: the text's UTF-8 length differs from its length in characters
      candidates: Array.from({ length: n }, (_, i) => ({ item_id: i % 5 ? `i${i}` : `ü-${i}-ユ`, sources: i % 3 ? [{ name: 'trending', score: seed + i }] : [{ name: 'two-tower', score: i }, { name: 'fresh', score: -i }] })),
      features: Float32Array.from({ length: n * 60 }, (_, k) => seed * 1000 + k),
      scores: { score: Float32Array.from({ length: n }, (_, k) => seed - k), p_like: Float32Array.from({ length: n }, (_, k) => k / (seed + 1)) },
      removed: [{ item_id: 'x', filter: 'seen', reason: 'seen' }],
      slate: [],
      timings_ms: {},
      degraded: [],
    });
    // blocks large against the per-record allowance, sizes varying: the ring wraps with live records in the way
    const ring = new RecentServeRecords({ flush: async () => {} }, '/nonexistent', { maxBytes: 400_000 });
    const all = new Map<string, ServeRecord>();
    for (let k = 0; k < 300; k++) {
      const rec = r(`q${k}`, 10 + ((k * 37) % 200), k);
      all.set(rec.request_id, rec);
      ring.remember(rec);
      let kept = 0;
      for (const [id, original] of all) {
        const back = ring.recent(id);
        if (back) {
          kept++;
          assert.deepEqual(back, original, id);
        }
      }
      assert.ok(ring.recent(rec.request_id), `the newest record (${k}) is kept`);
      assert.equal(kept, ring.stats().records);
    }
    assert.ok(ring.stats().evicted > 250);
  });
});
