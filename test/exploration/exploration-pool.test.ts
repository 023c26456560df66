import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FeedloopError } from '../../src/errors.js';
import { explorationPool } from '../../src/exploration/exploration-pool.js';
import { requestRand } from '../../src/exploration/request-rand.js';
import { ITEM_SERVING_FEATURES } from '../../src/features/definitions.js';
import { RANKING_FEATURES } from '../../src/ranking/feature-assembly.js';

void describe('explorationPool', () => {
  const names = RANKING_FEATURES;
  const F = names.length;
  const col = (n: (typeof ITEM_SERVING_FEATURES)[number]) => names.indexOf(n);
  const candidates = ['a', 'b', 'c', 'd', 'b'].map((itemId) => ({ itemId, sources: [{ name: 'trending', score: 1 }] }));
  const features = new Float32Array(candidates.length * F);
  const set = (i: number, impressions: number, likes: number, completions: number) => {
    features[i * F + col('log_impressions_1d')] = Math.log1p(impressions);
    features[i * F + col('log_likes_1d')] = Math.log1p(likes);
    features[i * F + col('log_completions_1d')] = Math.log1p(completions);
  };
  set(0, 5, 1, 2); // in the slate
  set(1, 50, 3, 4);
  set(2, 500, 0, 0); // too many impressions
  set(3, 0, 0, 0);
  set(4, 1, 0, 0); // repeated id: first occurrence wins
  features[3 * F + col('log_likes_1d')] = Number.NaN;

  void it('keeps little-shown candidates outside the slate, with counts from the feature rows', () => {
    const pool = explorationPool(candidates, features, names, 200, {
      slate: [{ itemId: 'a' }],
      scores: Float32Array.from([5, 4, 3, 2, 1]),
      attrs: { authorIds: ['u1', 'u2', 'u3', undefined, 'u5'], categories: ['k1', 'k2', 'k3', 'k4', 'k5'] },
    });
    assert.deepEqual(
      pool.map((c) => c.item.itemId),
      ['b', 'd'],
    );
    const [b, d] = pool;
    assert.ok(Math.abs(b.impressions - 50) < 1e-4 && Math.abs(b.positives - 7) < 1e-4);
    assert.equal(b.item.score, 4);
    assert.equal(b.item.propensity, 1);
    assert.equal(b.authorId, 'u2');
    assert.equal(b.category, 'k2');
    assert.equal(d.positives, 0, 'NaN reads as 0');
    assert.equal(d.authorId, undefined);
  });

  void it('reads scores from scored candidates, returns [] for a batch without the counters, rejects bad shapes', () => {
    const scored = candidates.map((c, i) => ({ ...c, score: 10 + i }));
    assert.deepEqual(
      explorationPool(scored, features, names, 200, { slate: [] }).map((c) => c.item.score),
      [10, 11, 13],
    );
    assert.deepEqual(explorationPool(candidates, new Float32Array(0), [], 200, { slate: [] }), []);
    assert.throws(
      () => explorationPool(candidates, features.subarray(F), names, 200, { slate: [] }),
      (e: unknown) => e instanceof FeedloopError && e.code === 'invalid_batch',
    );
  });

  void it('with a limit: exactly the best `limit` of the full pool by score, ties in candidate order', () => {
    const names = RANKING_FEATURES;
    const F = names.length;
    const col = (name: (typeof ITEM_SERVING_FEATURES)[number]) => names.indexOf(name);
    const n = 400;
    const many = Array.from({ length: n }, (_, i) => ({ itemId: `x${i}`, sources: [] }));
    const f = new Float32Array(n * F);
    for (let i = 0; i < n; i++) f[i * F + col('log_impressions_1d')] = Math.log1p(i % 7 === 0 ? 1000 : i % 50);
    const scores = Float32Array.from({ length: n }, (_, i) => Math.round(Math.sin(i) * 20) / 4); // many ties
    const full = explorationPool(many, f, names, 200, { slate: [{ itemId: 'x3' }], scores });
    const expected = [...full].sort((a, b) => b.item.score - a.item.score).slice(0, 25);
    for (const limit of [25, 0]) {
      const limited = explorationPool(many, f, names, 200, { slate: [{ itemId: 'x3' }], scores, limit });
      assert.deepEqual(limited, expected.slice(0, limit));
    }
    assert.deepEqual(explorationPool(many, f, names, 200, { slate: [{ itemId: 'x3' }], scores, limit: 10_000 }), full);
    // ids known unique (the merge's output): the same pool, the slate still set aside
    assert.deepEqual(explorationPool(many, f, names, 200, { slate: [{ itemId: 'x3' }], scores, unique: true }), full);
    assert.deepEqual(explorationPool(many, f, names, 200, { slate: [{ itemId: 'x3' }], scores, limit: 25, unique: true }), expected);
    assert.ok(!full.some((c) => c.item.itemId === 'x3'));
  });
});

void describe('requestRand', () => {
  void it('is reproducible per (request id, salt) and differs across them', () => {
    const draw = (id: string, salt: number) => {
      const r = requestRand(id, salt);
      return [r(), r(), r()];
    };
    assert.deepEqual(draw('req-1', 1), draw('req-1', 1));
    assert.notDeepEqual(draw('req-1', 1), draw('req-2', 1));
    assert.notDeepEqual(draw('req-1', 1), draw('req-1', 2));
    for (const x of draw('z', 0)) assert.ok(x >= 0 && x < 1);
  });

});
