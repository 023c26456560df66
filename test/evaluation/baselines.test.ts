import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fitBprMf, MfRecommender } from '../../src/evaluation/baselines/bpr-mf.js';
import { EaseRecommender, fitEase } from '../../src/evaluation/baselines/ease.js';
import { gramMatrix } from '../../src/evaluation/baselines/gram.js';
import { fitItemKnn, ItemKnnRecommender } from '../../src/evaluation/baselines/item-knn.js';
import { fitPopularity } from '../../src/evaluation/baselines/popularity.js';
import { invertSpdInPlace } from '../../src/evaluation/baselines/spd-inverse.js';
import { atK, evaluate } from '../../src/evaluation/full-ranking.js';
import { getModel, MODELS } from '../../src/evaluation/model-registry.js';
import type { InteractionData, Recommender } from '../../src/evaluation/recommender.js';
import { csrFromLists } from '../../src/evaluation/split-data.js';
import { rng } from '../helpers/fixtures.js';

/**
 * Block-structured data: `blocks` equal groups of users and items; each user likes `perUser` random items of their
 * own block plus one random item anywhere; each user's items are split 70/10/20 at random. Popularity is flat by
 * construction, so only models that learn the blocks do well.
 */
function blockData(opts: { users?: number; items?: number; blocks?: number; perUser?: number; seed?: number } = {}): InteractionData {
  const { users = 240, items = 80, blocks = 4, perUser = 10, seed = 3 } = opts;
  const r = rng(seed);
  const size = items / blocks;
  const lists: number[][][] = [[], [], []];
  for (let u = 0; u < users; u++) {
    const b = u % blocks;
    const liked = new Set<number>();
    while (liked.size < perUser) liked.add(b * size + Math.floor(r() * size));
    liked.add(Math.floor(r() * items));
    const split: number[][] = [[], [], []];
    for (const i of liked) {
      const x = r();
      split[x < 0.7 ? 0 : x < 0.8 ? 1 : 2].push(i);
    }
    if (split[2].length === 0) split[2].push(split[0].pop()!);
    split.forEach((s, k) => lists[k].push(s));
  }
  return {
    name: 'blocks',
    numUsers: users,
    numItems: items,
    train: csrFromLists(lists[0]),
    valid: csrFromLists(lists[1]),
    test: csrFromLists(lists[2]),
    userIds: lists[0].map((_, u) => `u${u}`),
    itemIds: Array.from({ length: items }, (_, i) => `i${i}`),
  };
}

const recallAt = (m: Recommender, d: InteractionData, k: number) => atK(evaluate(m, d, { split: 'test', ks: [k], maskValidWhenTesting: true }), k).recall;

void describe('SPD inverse', () => {
  void it('inverts a random SPD matrix (size not a multiple of the 4-row blocks)', () => {
    const n = 23;
    const r = rng(5);
    const x = Array.from({ length: n * n }, () => r() - 0.5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < n; k++) s += x[i * n + k] * x[j * n + k];
      a[i * n + j] = s;
    }
    const inv = a.slice();
    invertSpdInPlace(inv, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * inv[k * n + j];
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9, `(${i},${j}) ${s}`);
    }
  });
});

void describe('baselines', () => {
  const data = blockData();

  void it('popularity ranks by train counts', () => {
    const d = { ...data, train: csrFromLists([[0, 1], [1], [1, 2]]), numUsers: 3, numItems: 4 };
    const out = new Float32Array(4);
    fitPopularity(d).scoreUser(0, out);
    assert.deepEqual([...out], [1, 3, 1, 0]);
  });

  void it('ItemKNN computes cosine similarity over co-occurrence', () => {
    // item 0: users {0, 1}; item 1: users {0, 1, 2, 3}; item 2: user {3}
    const d = { ...data, numUsers: 4, numItems: 3, train: csrFromLists([[0, 1], [0, 1], [1], [1, 2]]) };
    const m = fitItemKnn(d, { neighbours: [5] }) as ItemKnnRecommender;
    const out = new Float32Array(3);
    m.scoreUser(2, out); // user 2 has item 1 only
    assert.ok(Math.abs(out[0] - 2 / Math.sqrt(8)) < 1e-6);
    assert.ok(Math.abs(out[2] - 1 / Math.sqrt(4)) < 1e-6);
    assert.equal(out[1], 0);
  });

  void it('EASE recovers an obvious item-item structure', () => {
    // items come in pairs (2p, 2p+1) that users always take together, plus a little noise
    const r = rng(9);
    const lists = Array.from({ length: 120 }, () => {
      const p = Math.floor(r() * 5);
      const s = new Set([2 * p, 2 * p + 1]);
      if (r() < 0.3) s.add(Math.floor(r() * 10));
      return [...s];
    });
    const d = { ...data, numUsers: lists.length, numItems: 10, train: csrFromLists(lists) };
    const m = fitEase(d, { lambdas: [1] }) as EaseRecommender;
    for (let i = 0; i < 10; i++) {
      const row = [...m.weights.subarray(i * 10, i * 10 + 10)];
      assert.equal(row[i], 0);
      assert.equal(row.indexOf(Math.max(...row)), i ^ 1, `row ${i}: ${row.map((v) => v.toFixed(2)).join(' ')}`);
    }
    // the gram matrix it starts from is symmetric with popularity on the diagonal
    const g = gramMatrix(d.train, 10);
    assert.equal(g[0 * 10 + 1], g[1 * 10 + 0]);
  });

  void it('ItemKNN, BPR-MF and EASE beat popularity on block-structured data', () => {
    const pop = recallAt(fitPopularity(data), data, 5);
    const knn = recallAt(fitItemKnn(data, { neighbours: [5, 20] }), data, 5);
    const bpr = recallAt(fitBprMf(data, { epochs: 40, evalEvery: 5, seed: 1 }), data, 5);
    const ease = recallAt(fitEase(data, { lambdas: [1, 10, 100] }), data, 5);
    for (const [name, v] of Object.entries({ knn, bpr, ease })) assert.ok(v > pop * 1.5 && v > 0.3, `${name} recall@5 ${v} vs popularity ${pop}`);
  });

  void it('BPR-MF is deterministic for a seed', () => {
    const a = fitBprMf(data, { epochs: 3, evalEvery: 0, seed: 11 }) as MfRecommender;
    const b = fitBprMf(data, { epochs: 3, evalEvery: 0, seed: 11 }) as MfRecommender;
    const c = fitBprMf(data, { epochs: 3, evalEvery: 0, seed: 12 }) as MfRecommender;
    assert.deepEqual(a.itemFactors, b.itemFactors);
    assert.deepEqual(a.userFactors, b.userFactors);
    assert.notDeepEqual(a.itemFactors, c.itemFactors);
  });
});

void describe('model registry', () => {
  void it('fits every registered model through one interface', async () => {
    const data = blockData({ users: 60, items: 40 });
    for (const entry of MODELS) {
      const m = await entry.fit(data, { seed: 1, quick: true, epochs: 2, log: () => {}, extraMask: null });
      const out = new Float32Array(data.numItems);
      m.scoreUser(0, out);
      assert.ok(out.every(Number.isFinite), entry.name);
    }
    assert.equal(getModel('ease').name, 'ease');
    assert.throws(() => getModel('nope'), /unknown model/);
  });
});
