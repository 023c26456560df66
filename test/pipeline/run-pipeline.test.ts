import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedFeatureStore } from '../../src/backends/embedded/embedded-feature-store.js';
import type { StoredEvent } from '../../src/domain/schemas.js';
import type { ServeRecord } from '../../src/domain/feed.js';
import type { LogEntry } from '../../src/log/log-entry.js';
import { feedPipelines, type PipelineSpec } from '../../src/pipeline/home-feed.js';
import { rankingDeadline, runPipeline } from '../../src/pipeline/run-pipeline.js';
import type { FeedContext } from '../../src/pipeline/feed-context.js';
import { makeEvents, makeItems, testConfig } from '../helpers/fixtures.js';

const cfg = testConfig('/nonexistent');

async function world(now: number) {
  const store = await EmbeddedFeatureStore.open({ features: cfg.features, partitionCount: 1 });
  const entries: LogEntry[] = makeItems(80).map((item) => ({ kind: 'item', item: { ...item, created_at: now - 3_600_000 }, ts: now }));
  for (const e of makeEvents(2000, { users: 10, items: 80, startMs: now - 1_000_000, maxStepMs: 400 })) entries.push({ kind: 'event', event: e as StoredEvent });
  store.apply(entries, [0]);
  return store;
}

function ctx(store: EmbeddedFeatureStore, now: number, limit = 10): FeedContext {
  return {
    request: { requestId: 'r1', userId: 'u1', sessionId: undefined, limit, nowMs: now, variant: 'home' },
    store,
    config: { ...cfg.feed, maxPerAuthor: 3 },
    configVersion: 'test',
  };
}

void describe('pipeline runner', () => {
  void it('serves a full slate from several sources, ranked, author-capped, and logs the request', async () => {
    const now = Date.now();
    const store = await world(now);
    const records: ServeRecord[] = [];
    const spec = feedPipelines({ heuristicWeights: cfg.ranking.heuristicWeights, sideEffects: [{ name: 'capture', run: (r) => void records.push(r) }] }).home;
    const run = await runPipeline(spec, ctx(store, now), true);
    const items = run.response.items;
    assert.equal(items.length, 10);
    assert.ok(new Set(items.map((i) => i.item_id)).size === 10, 'no duplicates');
    assert.ok(run.response.debug!.candidates_by_source.covisitation > 0, 'u1 has positives → co-visitation candidates');
    const authors = items.map((i) => store.describe('item', i.item_id, now)!.attributes.author_id);
    for (let s = 0; s + 10 <= authors.length; s++) {
      const counts = new Map<unknown, number>();
      for (const a of authors.slice(s, s + 10)) counts.set(a, (counts.get(a) ?? 0) + 1);
      assert.ok(Math.max(...counts.values()) <= 3, 'author cap respected');
    }
    assert.equal(records.length, 0, 'side effects wait for finish()');
    run.finish();
    assert.equal(records.length, 1);
    const rec = records[0];
    assert.deepEqual(rec.slate.map((s) => s.item_id), items.map((i) => i.item_id));
    assert.equal(rec.features.length, rec.candidates.length * rec.feature_names.length);
    // every served item is a ranked candidate with a logged ranker score (re-rankers may adjust the slate's scores)
    const byId = new Map(rec.candidates.map((c, i) => [c.item_id, rec.scores.score[i]]));
    for (const s of rec.slate) assert.ok(Number.isFinite(byId.get(s.item_id)) && Number.isFinite(s.score));
  });

  void it('fails open: a throwing source is dropped, a throwing ranker falls back, a throwing re-ranker or side effect is skipped', async () => {
    const now = Date.now();
    const store = await world(now);
    const base = feedPipelines({ heuristicWeights: cfg.ranking.heuristicWeights, sideEffects: [] }).home;
    const boom = () => {
      throw new Error('injected failure');
    };
    const spec: PipelineSpec = {
      ...base,
      sources: [...base.sources, { name: 'broken', fetch: boom }, { name: 'broken-async', fetch: async () => Promise.reject(new Error('down')) }],
      ranker: { name: 'broken-ranker', version: 'x', rank: boom },
      rerankers: [{ name: 'broken-reranker', rerank: boom }, ...base.rerankers],
      sideEffects: [{ name: 'broken-effect', run: boom }],
    };
    const degraded: string[] = [];
    const run = await runPipeline(spec, ctx(store, now), true, { degraded: (c) => degraded.push(c) });
    assert.equal(run.response.items.length, 10, 'a full slate despite every failure');
    assert.deepEqual(run.response.debug!.degraded.sort(), ['ranker:broken-ranker', 'reranker:broken-reranker', 'source:broken', 'source:broken-async']);
    assert.doesNotThrow(() => run.finish());
    assert.ok(degraded.includes('side-effect:broken-effect'));
  });

  void it('gives a cold-start user trending and fresh items', async () => {
    const now = Date.now();
    const store = await world(now);
    const spec = feedPipelines({ heuristicWeights: cfg.ranking.heuristicWeights, sideEffects: [] }).home;
    const c = ctx(store, now, 15);
    c.request.userId = 'never-seen';
    const run = await runPipeline(spec, c, true);
    assert.equal(run.response.items.length, 15);
    const d = run.response.debug!.candidates_by_source;
    assert.equal(d.covisitation, 0);
    assert.ok(d.trending > 0 && d.fresh > 0);
  });

  void it("the ranker's deadline is cut to what is left of the candidates + ranking budget", () => {
    assert.equal(rankingDeadline({ sourcesMs: 3, rankingMs: 4 }, 2), 4, 'on time: the whole ranking deadline');
    assert.equal(rankingDeadline({ sourcesMs: 3, rankingMs: 4 }, 5.5), 1.5);
    assert.equal(rankingDeadline({ sourcesMs: 3, rankingMs: 4 }, 9), 0, 'past the budget: none');
    assert.equal(rankingDeadline({ rankingMs: 4 }, 50), 4, 'no sources deadline: no budget to cut');
    assert.equal(rankingDeadline({}, 50), Number.POSITIVE_INFINITY);
  });

  void it('a late ranker after a slow candidates stage gets only what is left of the budget', async () => {
    const now = Date.now();
    const store = await world(now);
    const base = feedPipelines({ heuristicWeights: cfg.ranking.heuristicWeights, sideEffects: [] }).home;
    // a filter that blocks 60 ms (synchronous work cannot be cut), then a ranker that never answers in time
    const slowFilter = {
      name: 'slow',
      apply: (_c: FeedContext, candidates: readonly unknown[]) => {
        const until = performance.now() + 60;
        while (performance.now() < until);
        return candidates.map(() => undefined);
      },
    };
    const spec: PipelineSpec = {
      ...base,
      filters: [...base.filters, slowFilter],
      ranker: { name: 'late', version: 'x', rank: () => new Promise((resolve) => setTimeout(() => resolve({ scores: new Float32Array(0) }), 5_000).unref()) },
    };
    // budget: 20 + 100 ms from the start; the candidates took ≥ 60 ms, so the ranker gets ≤ 60 ms, not 100
    const run = await runPipeline(spec, ctx(store, now), true, {}, { sourcesMs: 20, rankingMs: 100 });
    const t = run.response.debug!.timings_ms;
    assert.equal(run.response.items.length, 10);
    assert.ok(run.response.debug!.degraded.includes('ranker:late:deadline'));
    assert.ok(t.user + t.sources + t.filters + t.features >= 60);
    assert.ok(t.ranking < 90, `ranking took ${t.ranking} ms: the ranker kept its whole 100 ms`);
  });
});

