/**
 * Diversity by maximal marginal relevance (MMR).
 *
 * Considers the top M = min(n, max(3·limit, 60)) items of the slate. With w = `feed.diversityWeight` (clamped to
 * [0, 1]; 0 returns the slate unchanged), it fills min(limit, M) slots greedily, each with the not yet placed
 * considered item i maximising
 *
 *   (1 − w) · rel(i) − w · max(0, max_{j placed} sim(i, j))
 *
 * (ties: the better-ranked item), where rel(i) is the score min–max normalised over the M considered items (1 for
 * all when their finite scores are equal; 0 for a non-finite score) and sim(i, j) is the cosine of the two items'
 * vectors when both have one (`info.vector()`, non-zero, of the dimension of the first vector seen), else 1 for the
 * same author, 0.5 for the same category, 0 otherwise (unknown authors and categories match nothing). Similarity below 0 counts as 0: an opposite
 * item is no more novel than an unrelated one. The first slot therefore takes the most relevant item.
 *
 * Output: the whole slate — the MMR picks, then the considered items not picked in their input order, then the items
 * beyond M in their input order — so the caps that follow have slack. Items are passed through unchanged (their
 * `score` stays the ranker's, adjusted by the re-rankers before; the order carries the decision; `propensity` is
 * kept). Cost: O(M·d) to gather the vectors into one slab, then O(limit · M · d) for the picks (d = vector
 * dimension, 1 without vectors); one slab and a few typed arrays, no allocation per pair.
 */
import type { ReRanker, SlateItem } from './reranker.js';
import { KeyInterner } from './slate-math.js';

export const diversityReRanker: ReRanker = {
  name: 'diversity',
  rerank(ctx, slate, limit, info) {
    const w = Math.min(1, ctx.config.diversityWeight);
    const n = slate.length;
    const slots = Math.max(0, Math.floor(limit));
    if (!(w > 0) || n < 2 || slots === 0) return slate.slice();
    const M = Math.min(n, Math.max(3 * slots, 60));
    const k = Math.min(slots, M);

    // relevance: scores min–max normalised over the considered items
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < M; i++) {
      const s = slate[i].score;
      if (!Number.isFinite(s)) continue;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const rel = new Float64Array(M);
    for (let i = 0; i < M; i++) {
      const s = slate[i].score;
      rel[i] = !Number.isFinite(s) ? 0 : hi > lo ? (s - lo) / (hi - lo) : 1;
    }

    // keys and unit vectors (one slab, row i at i·dim)
    const authors = new KeyInterner();
    const categories = new KeyInterner();
    const author = new Int32Array(M);
    const category = new Int32Array(M);
    const vectors: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(M);
    let dim = 0;
    for (let i = 0; i < M; i++) {
      const it = info(slate[i].itemId);
      author[i] = authors.id(it.authorId);
      category[i] = categories.id(it.category);
      const v = it.vector();
      vectors[i] = v;
      if (dim === 0 && v !== undefined) dim = v.length;
    }
    const hasVec = new Uint8Array(M);
    const slab = new Float32Array(M * dim);
    for (let i = 0; i < M; i++) {
      const v = vectors[i];
      if (v === undefined || v.length !== dim || dim === 0) continue;
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += v[d] * v[d];
      if (!(norm > 0) || !Number.isFinite(norm)) continue;
      const inv = 1 / Math.sqrt(norm);
      const o = i * dim;
      for (let d = 0; d < dim; d++) slab[o + d] = v[d] * inv;
      hasVec[i] = 1;
    }

    const sim = (i: number, j: number): number => {
      if (hasVec[i] && hasVec[j]) {
        const oi = i * dim;
        const oj = j * dim;
        let d0 = 0;
        let d1 = 0;
        let d = 0;
        for (; d + 1 < dim; d += 2) {
          d0 += slab[oi + d] * slab[oj + d];
          d1 += slab[oi + d + 1] * slab[oj + d + 1];
        }
        if (d < dim) d0 += slab[oi + d] * slab[oj + d];
        return d0 + d1;
      }
      if (author[i] >= 0 && author[i] === author[j]) return 1;
      if (category[i] >= 0 && category[i] === category[j]) return 0.5;
      return 0;
    };

    // greedy MMR; maxSim[i] = max(0, max similarity of i to the placed items), kept incrementally
    const maxSim = new Float64Array(M);
    const placed = new Uint8Array(M);
    const out: SlateItem[] = [];
    for (let t = 0; t < k; t++) {
      let best = -1;
      let bestValue = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < M; i++) {
        if (placed[i]) continue;
        const value = (1 - w) * rel[i] - w * maxSim[i];
        if (value > bestValue) {
          best = i;
          bestValue = value;
        }
      }
      placed[best] = 1;
      out.push(slate[best]);
      if (t === k - 1) break;
      for (let i = 0; i < M; i++) {
        if (placed[i]) continue;
        const s = sim(i, best);
        if (s > maxSim[i]) maxSim[i] = s;
      }
    }
    for (let i = 0; i < M; i++) if (!placed[i]) out.push(slate[i]);
    for (let i = M; i < n; i++) out.push(slate[i]);
    return out;
  },
};
