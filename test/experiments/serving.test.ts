import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { ExperimentStore } from '../../src/experiments/experiment-store.js';
import { ExperimentServing, reweighted } from '../../src/experiments/serving.js';
import type { PipelineSpec } from '../../src/pipeline/home-feed.js';
import type { Ranker } from '../../src/ranking/ranker.js';
import type { ServeRecord } from '../../src/domain/feed.js';
import { tempDir } from '../helpers/fixtures.js';

const heads: Ranker = {
  name: 'learned',
  version: 'v1',
  rank: () => ({
    scores: Float32Array.of(9, 9),
    components: { p_like: Float32Array.of(0.5, 0.1), p_hide: Float32Array.of(0.2, 0), watch_ratio: Float32Array.of(0.5, 0.9) },
  }),
};

void describe('experiment serving', () => {
  void it('re-weights a ranker by its head components', async () => {
    const r = await reweighted(heads, { like: 2, hide: -8, watch: 1 }).rank({} as never, {} as never);
    assert.deepEqual(Array.from(r.scores).map((x) => Math.round(x * 1e5) / 1e5), [2 * 0.5 - 8 * 0.2 + 0.5, 2 * 0.1 + 0.9].map((x) => Math.round(x * 1e5) / 1e5));
    const plain: Ranker = { name: 'h', version: '1', rank: () => ({ scores: Float32Array.of(1) }) };
    assert.deepEqual(Array.from((await reweighted(plain, { like: 1 }).rank({} as never, {} as never)).scores), [1]);
  });

  void it('merges the arms of several layers into one routing, cached per combination, tagging serve records', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const store = await ExperimentStore.open({ dir, variants: ['home', 'trending'] });
      await store.create({ id: 'feed', traffic: 1, arms: [{ name: 'a', overrides: { feed: { maxPerAuthor: 5, quotas: { trending: 7 } } } }, { name: 'b', overrides: { feed: { maxPerAuthor: 5, quotas: { trending: 7 } } } }] });
      await store.create({ id: 'vw', layer: 'value', traffic: 1, holdout: 0.5, arms: [{ name: 'x' }, { name: 'y', overrides: { ranking: { valueWeights: { like: 10 } }, exploration: { share: 0 } } }] });
      const serving = new ExperimentServing(store, DEFAULT_CONFIG);
      const users = Array.from({ length: 200 }, (_, i) => `u${i}`);
      const routed = users.map((u) => serving.route(u)!);
      for (const r of routed) {
        assert.equal(r.feed.maxPerAuthor, 5);
        assert.equal(r.feed.quotas.trending, 7);
        assert.equal(r.feed.quotas.fresh, DEFAULT_CONFIG.feed.quotas.fresh);
        assert.equal(r.experiments.length, 2);
        assert.equal(r.exploration.share, r.experiments[1].arm === 'y' ? 0 : DEFAULT_CONFIG.exploration.share);
        assert.equal(serving.route(users[routed.indexOf(r)]), r);
      }
      assert.deepEqual(new Set(routed.map((r) => r.experiments[1].arm)), new Set(['x', 'y', 'holdout']));
      assert.ok(new Set(routed.map((r) => r.key)).size <= 6);

      const seen: ServeRecord[] = [];
      const base = { name: 'home', ranker: heads, sideEffects: [{ name: 'log', run: (rec: ServeRecord) => seen.push(rec) }] } as unknown as PipelineSpec;
      const y = routed.find((r) => r.experiments[1].arm === 'y')!;
      const spec = y.spec(base);
      assert.equal(y.spec(base), spec);
      assert.notEqual(spec.ranker, heads);
      spec.sideEffects[0].run({} as ServeRecord);
      assert.deepEqual(seen[0].experiments, y.experiments);
      assert.equal(routed.find((r) => r.experiments[1].arm === 'x')!.spec(base).ranker, heads);
      assert.match(y.configVersion('abc'), /^abc~[0-9a-f]{8}$/);
    } finally {
      await cleanup();
    }
  });
});
