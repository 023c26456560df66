import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../../src/errors.js';
import { atK, evaluate, selectTopK } from '../../src/evaluation/full-ranking.js';
import type { InteractionData, Recommender } from '../../src/evaluation/recommender.js';
import { csrFromLists, loadSplitData, nnz } from '../../src/evaluation/split-data.js';
import { tempDir } from '../helpers/fixtures.js';

function dataOf(train: number[][], valid: number[][], test: number[][], numItems: number): InteractionData {
  return {
    name: 'tiny',
    numUsers: train.length,
    numItems,
    train: csrFromLists(train),
    valid: csrFromLists(valid),
    test: csrFromLists(test),
    userIds: train.map((_, u) => String(u)),
    itemIds: Array.from({ length: numItems }, (_, i) => String(i)),
  };
}

/** Scores fixed per user (a table), optionally a huge bonus on the given items. */
function fixed(table: number[][], name = 'fixed'): Recommender {
  return { name, scoreUser: (u, out) => out.set(table[u]) };
}

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} vs ${b}`);

void describe('selectTopK', () => {
  void it('selects the k highest, ties to the lower index, skipping -Infinity and NaN', () => {
    const s = Float32Array.from([1, 5, 3, 5, -Infinity, NaN, 4]);
    const idx = new Int32Array(3);
    const sc = new Float32Array(3);
    assert.equal(selectTopK(s, 3, idx, sc), 3);
    assert.deepEqual([...idx], [1, 3, 6]);
    assert.deepEqual([...sc], [5, 5, 4]);
  });

  void it('pads with -1 when fewer than k items are selectable', () => {
    const idx = new Int32Array(4);
    assert.equal(selectTopK(Float32Array.from([-Infinity, 2, -Infinity]), 4, idx, new Float32Array(4)), 1);
    assert.deepEqual([...idx], [1, -1, -1, -1]);
  });

  void it('agrees with a full sort on random scores', () => {
    let x = 7;
    const s = Float32Array.from({ length: 500 }, () => ((x = (x * 48271) % 2147483647) % 1000) / 10);
    const idx = new Int32Array(40);
    selectTopK(s, 40, idx, new Float32Array(40));
    const sorted = [...s.keys()].sort((a, b) => s[b] - s[a] || a - b).slice(0, 40);
    assert.deepEqual([...idx], sorted);
  });
});

void describe('evaluate', () => {
  // user 0: train {0}, test {1, 3}; user 1: test {5}; user 2: train only (not evaluated)
  const data = dataOf([[0], [], [2]], [[], [], []], [[1, 3], [5], []], 6);
  const desc = [6, 5, 4, 3, 2, 1];
  const model = fixed([desc, desc, desc]);

  void it('computes Recall, NDCG, HitRate and coverage against hand-computed values', () => {
    const r = evaluate(model, data, { split: 'test', ks: [1, 2, 3], maskValidWhenTesting: false });
    assert.equal(r.users, 2);
    const idcg2 = 1 + 1 / Math.log2(3);
    // user 0 ranks 1, 2, 3, 4, 5 (0 masked): hits at ranks 1 and 3; user 1 ranks 0, 1, 2: no hit
    close(atK(r, 1).recall, (0.5 + 0) / 2);
    close(atK(r, 1).ndcg, (1 + 0) / 2);
    close(atK(r, 1).hitRate, 0.5);
    close(atK(r, 2).recall, 0.25);
    close(atK(r, 2).ndcg, 1 / idcg2 / 2);
    close(atK(r, 3).recall, (1 + 0) / 2);
    close(atK(r, 3).ndcg, (1 + 0.5) / idcg2 / 2);
    close(atK(r, 1).coverage, 2 / 6); // {1} ∪ {0}
    close(atK(r, 3).coverage, 4 / 6); // {1,2,3} ∪ {0,1,2}
  });

  void it('uses the ideal DCG over min(K, |test items|)', () => {
    const d = dataOf([[]], [[]], [[0]], 4);
    const r = evaluate(fixed([[1, 2, 3, 4]]), d, { split: 'test', ks: [4], maskValidWhenTesting: false });
    close(atK(r, 4).ndcg, 1 / Math.log2(5)); // hit at rank 4, ideal = 1 (one relevant item)
    close(atK(r, 4).recall, 1);
  });

  void it("masks the user's train items, so boosting them changes nothing", () => {
    const cheat: Recommender = {
      name: 'cheat',
      scoreUser: (u, out) => {
        out.set(desc);
        for (const i of [[0], [], [2]][u]) out[i] = 1e9;
      },
    };
    const a = evaluate(model, data, { split: 'test', ks: [1, 2, 3], maskValidWhenTesting: false });
    const b = evaluate(cheat, data, { split: 'test', ks: [1, 2, 3], maskValidWhenTesting: false });
    assert.deepEqual(b.atK, a.atK);
  });

  void it('masks valid items when scoring test only if asked', () => {
    const d = dataOf([[]], [[0]], [[1]], 3);
    const m = fixed([[3, 2, 1]]);
    const off = evaluate(m, d, { split: 'test', ks: [1], maskValidWhenTesting: false });
    const on = evaluate(m, d, { split: 'test', ks: [1], maskValidWhenTesting: true });
    close(atK(off, 1).recall, 0);
    close(atK(on, 1).recall, 1);
    const valid = evaluate(m, d, { split: 'valid', ks: [1], maskValidWhenTesting: true });
    close(atK(valid, 1).recall, 1); // valid items are the relevant ones there, never masked
  });

  void it('masks extra per-user items (train negatives) in both splits', () => {
    const d = dataOf([[]], [[2]], [[1]], 3);
    const m = fixed([[3, 2, 1]]);
    const extraMask = csrFromLists([[0]]);
    close(atK(evaluate(m, d, { split: 'test', ks: [1], maskValidWhenTesting: false, extraMask }), 1).recall, 1);
    close(atK(evaluate(m, d, { split: 'valid', ks: [2], maskValidWhenTesting: false, extraMask }), 2).recall, 1);
    close(atK(evaluate(m, d, { split: 'valid', ks: [2], maskValidWhenTesting: false }), 2).recall, 0);
  });

  void it('reports progress', () => {
    const seen: number[] = [];
    evaluate(model, data, { split: 'test', ks: [1], maskValidWhenTesting: false, progressEvery: 1, onProgress: (done, total) => seen.push(done, total) });
    assert.deepEqual(seen, [1, 2, 2, 2]);
  });
});

void describe('split loaders', () => {
  void it('loads the per-user format with file ids as dense indices', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const d = join(dir, 'movielens-1m', 'lightgcnpp_split');
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'train.txt'), '0 0 1 2\n1 2 3\n');
      await writeFile(join(d, 'valid.txt'), '0 3\n');
      await writeFile(join(d, 'test.txt'), '0 4\n1 1 0\n');
      const data = loadSplitData('movielens-1m-split', dir);
      assert.equal(data.numUsers, 2);
      assert.equal(data.numItems, 5);
      assert.deepEqual([nnz(data.train), nnz(data.valid), nnz(data.test)], [5, 1, 3]);
      assert.deepEqual([...data.test.items.subarray(data.test.offsets[1], data.test.offsets[2])], [0, 1]);
      assert.equal(data.trainNegatives, null);
    } finally {
      await cleanup();
    }
  });

  void it('keeps only label-1 rows of the labelled format, remapping non-contiguous ids', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const d = join(dir, 'kuairec', 'sigformer_split');
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'train.txt'), '5 10 1.00\n5 30 0.00\n7 20 1.00\n');
      await writeFile(join(d, 'valid.txt'), '7 10 0.00\n');
      await writeFile(join(d, 'test.txt'), '5 20 1.00\n');
      const data = loadSplitData('kuairec-split', dir);
      assert.deepEqual([data.numUsers, data.numItems], [2, 3]);
      assert.deepEqual(data.itemIds, ['10', '20', '30']);
      assert.deepEqual([...data.train.offsets], [0, 1, 2]);
      assert.deepEqual([...data.train.items], [0, 1]);
      assert.equal(nnz(data.valid), 0);
      assert.deepEqual([...data.test.items], [1]);
      assert.deepEqual([...data.trainNegatives!.items], [2]); // (5, 30, 0) in train; valid negatives are not kept
      assert.deepEqual([...data.trainNegatives!.offsets], [0, 1, 1]);
    } finally {
      await cleanup();
    }
  });

  void it('names the missing file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      assert.throws(
        () => loadSplitData('movielens-1m-split', dir),
        (e: unknown) => e instanceof ValidationError && e.message.includes(join(dir, 'movielens-1m', 'lightgcnpp_split', 'train.txt')),
      );
      assert.throws(() => loadSplitData('nope', dir), (e: unknown) => e instanceof ValidationError && e.field === 'dataset');
    } finally {
      await cleanup();
    }
  });
});
