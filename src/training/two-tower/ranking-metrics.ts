/**
 * Full-ranking Recall@K / NDCG@K of a user matrix against an item matrix (inner-product scores), the LightGCN-family
 * protocol: rank all items, mask the given sets (the user's training items, and e.g. validation items when scoring
 * test), Recall@K = hits / |truth|, NDCG@K with binary relevance and ideal DCG over min(K, |truth|), averaged over
 * users with at least one truth item. Scores are computed in chunks with an onnxruntime Gemm (fast path for the
 * per-epoch validation of training); the evaluator of `src/evaluation` remains the reference for reported numbers.
 */
import { siftDown, siftUp } from '../../util/top-k-heap.js';
import ort from 'onnxruntime-node';
import type { Csr } from '../../evaluation/recommender.js';
import { buildScoreGraph, createSession } from './train-graph.js';

/** Metric name (`recall@10`, `ndcg@20`, …) → mean over evaluated users, plus `users`. */
export type RankingMetrics = Record<string, number>;

/** Options: which users (default all), cut-offs, threads and chunk size. */
export interface RankingOptions {
  ks: readonly number[];
  users?: Int32Array;
  threads?: number;
  chunkUsers?: number;
}

/** Top-`k` item indices of `scores` (descending), skipping items whose score is −Infinity. */
export function topK(scores: Float32Array, k: number, outIdx: Int32Array): number {
  const heapS = new Float32Array(k);
  let n = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (s === -Infinity) continue;
    if (n < k) siftUp(heapS, outIdx, n++, s, i);
    else if (s > heapS[0]) siftDown(heapS, outIdx, n, s, i);
  }
  // heap → descending order
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => heapS[b] - heapS[a] || outIdx[a] - outIdx[b]);
  const idx = order.map((j) => outIdx[j]);
  for (let j = 0; j < n; j++) outIdx[j] = idx[j];
  return n;
}

/** Accumulates Recall@K and NDCG@K for one user's ranked list. */
export function addUserMetrics(ranked: Int32Array, n: number, truth: Set<number>, ks: readonly number[], sums: Float64Array): void {
  const maxK = ks[ks.length - 1];
  let dcg = 0;
  let hits = 0;
  let ki = 0;
  for (let r = 0; r < maxK; r++) {
    if (r < n && truth.has(ranked[r])) {
      hits++;
      dcg += 1 / Math.log2(r + 2);
    }
    while (ki < ks.length && ks[ki] === r + 1) {
      let idcg = 0;
      for (let j = 0; j < Math.min(ks[ki], truth.size); j++) idcg += 1 / Math.log2(j + 2);
      sums[2 * ki] += hits / truth.size;
      sums[2 * ki + 1] += dcg / idcg;
      ki++;
    }
  }
}

/** Evaluates `users × dim` against `items × dim` on `truth`, masking `masks` per user. */
export async function rankingMetrics(
  userMatrix: Float32Array,
  itemMatrix: Float32Array,
  dim: number,
  truth: Csr,
  masks: readonly Csr[],
  opts: RankingOptions,
): Promise<RankingMetrics> {
  const ks = [...opts.ks].sort((a, b) => a - b);
  const numItems = itemMatrix.length / dim;
  const numUsers = truth.offsets.length - 1;
  const users = (opts.users ?? Int32Array.from({ length: numUsers }, (_, u) => u)).filter((u) => truth.offsets[u + 1] > truth.offsets[u]);
  const session = await createSession(buildScoreGraph(dim), opts.threads ?? 2);
  const chunk = opts.chunkUsers ?? 512;
  const itemsT = new ort.Tensor('float32', itemMatrix, [numItems, dim]);
  const sums = new Float64Array(2 * ks.length);
  const ranked = new Int32Array(ks[ks.length - 1]);
  const uBuf = new Float32Array(chunk * dim);
  try {
    for (let c0 = 0; c0 < users.length; c0 += chunk) {
      const n = Math.min(chunk, users.length - c0);
      for (let j = 0; j < n; j++) uBuf.set(userMatrix.subarray(users[c0 + j] * dim, (users[c0 + j] + 1) * dim), j * dim);
      const res = await session.run({ users: new ort.Tensor('float32', uBuf.subarray(0, n * dim), [n, dim]), items: itemsT });
      const scores = res.scores.data as Float32Array;
      for (let j = 0; j < n; j++) {
        const u = users[c0 + j];
        const row = scores.subarray(j * numItems, (j + 1) * numItems);
        for (const m of masks) for (let p = m.offsets[u]; p < m.offsets[u + 1]; p++) row[m.items[p]] = -Infinity;
        const got = topK(row, ranked.length, ranked);
        const t = new Set<number>();
        for (let p = truth.offsets[u]; p < truth.offsets[u + 1]; p++) t.add(truth.items[p]);
        addUserMetrics(ranked, got, t, ks, sums);
      }
    }
  } finally {
    await session.release();
  }
  const out: RankingMetrics = { users: users.length };
  ks.forEach((k, i) => {
    out[`recall@${k}`] = sums[2 * i] / users.length;
    out[`ndcg@${k}`] = sums[2 * i + 1] / users.length;
  });
  return out;
}
