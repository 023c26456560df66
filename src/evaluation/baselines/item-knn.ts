/**
 * ItemKNN baseline (item-based collaborative filtering, Sarwar et al. 2001; Deshpande & Karypis 2004): cosine
 * similarity between the item columns of the binary train matrix with an optional shrink term,
 * sim(i, j) = |U_i ∩ U_j| / (√(|U_i|·|U_j|) + shrink), pruned to each target item's `k` most similar items N_k(j); a
 * user's score for j is Σ_{i ∈ I_u ∩ N_k(j)} sim(i, j). The shrink term damps similarities resting on a handful of
 * co-occurrences (rare items), which dominate plain cosine on very sparse data. k and shrink are tuned on valid
 * Recall@20 over a small grid (the co-occurrence matrix is computed once).
 */
import { ValidationError } from '../../errors.js';
import { selectTopK, type TuneOptions, validScore } from '../full-ranking.js';
import type { InteractionData, Recommender } from '../recommender.js';
import { gramMatrix } from './gram.js';

/** Options of {@link fitItemKnn}. */
export interface ItemKnnOptions extends TuneOptions {
  /** Candidate neighbourhood sizes; the best on valid Recall@`tuneK` is kept (a single value skips tuning). */
  neighbours: readonly number[];
  /** Candidate shrink terms (default [0]). */
  shrinks?: readonly number[];
}

/** A fitted ItemKNN model: for each source item i, the targets j with i ∈ N_k(j) and their similarity (CSR). */
export class ItemKnnRecommender implements Recommender {
  readonly name = 'itemknn';
  constructor(
    readonly offsets: Int32Array,
    readonly targets: Int32Array,
    readonly sims: Float32Array,
    private readonly data: InteractionData,
    readonly k: number,
    readonly shrink: number,
  ) {}

  scoreUser(u: number, out: Float32Array): void {
    out.fill(0);
    const { offsets, items } = this.data.train;
    for (let p = offsets[u]; p < offsets[u + 1]; p++) {
      const i = items[p];
      for (let q = this.offsets[i]; q < this.offsets[i + 1]; q++) out[this.targets[q]] += this.sims[q];
    }
  }
}

/** Per target item, its `kMax` most similar items (descending) and their cosine similarity; -1 pads short rows. */
function neighbourLists(data: InteractionData, g: Float64Array, kMax: number, shrink: number): { idx: Int32Array; sim: Float32Array } {
  const n = data.numItems;
  const norm = Float64Array.from({ length: n }, (_, i) => Math.sqrt(g[i * n + i]));
  const row = new Float32Array(n);
  const idx = new Int32Array(n * kMax);
  const sim = new Float32Array(n * kMax);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const c = g[j * n + i];
      row[i] = i === j || c === 0 ? -Infinity : c / (norm[i] * norm[j] + shrink);
    }
    selectTopK(row, kMax, idx.subarray(j * kMax, (j + 1) * kMax), sim.subarray(j * kMax, (j + 1) * kMax));
  }
  return { idx, sim };
}

function prune(data: InteractionData, lists: { idx: Int32Array; sim: Float32Array }, kMax: number, k: number, shrink: number): ItemKnnRecommender {
  const n = data.numItems;
  const offsets = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) for (let r = 0; r < k; r++) if (lists.idx[j * kMax + r] >= 0) offsets[lists.idx[j * kMax + r] + 1]++;
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const fill = offsets.slice(0, n);
  const targets = new Int32Array(offsets[n]);
  const sims = new Float32Array(offsets[n]);
  for (let j = 0; j < n; j++) {
    for (let r = 0; r < k; r++) {
      const i = lists.idx[j * kMax + r];
      if (i < 0) continue;
      targets[fill[i]] = j;
      sims[fill[i]++] = lists.sim[j * kMax + r];
    }
  }
  return new ItemKnnRecommender(offsets, targets, sims, data, k, shrink);
}

/** Fits ItemKNN on `data.train`, tuning the neighbourhood size on valid. */
export function fitItemKnn(data: InteractionData, opts: ItemKnnOptions): Recommender {
  if (opts.neighbours.length === 0) throw new ValidationError('itemknn needs at least one neighbourhood size', 'neighbours');
  const tuneK = opts.tuneK ?? 20;
  const kMax = Math.min(Math.max(...opts.neighbours), Math.max(data.numItems - 1, 1));
  const shrinks = opts.shrinks ?? [0];
  const g = gramMatrix(data.train, data.numItems);
  let best: ItemKnnRecommender | undefined;
  let bestScore = -Infinity;
  for (const shrink of shrinks) {
    const lists = neighbourLists(data, g, kMax, shrink);
    for (const k of opts.neighbours) {
      const model = prune(data, lists, kMax, Math.min(k, kMax), shrink);
      if (opts.neighbours.length === 1 && shrinks.length === 1) return model;
      const score = validScore(model, data, opts);
      opts.log?.(`itemknn k=${k} shrink=${shrink}: valid recall@${tuneK} ${score.toFixed(4)}`);
      if (score > bestScore) {
        bestScore = score;
        best = model;
      }
    }
  }
  opts.log?.(`itemknn: chose k=${best!.k}, shrink=${best!.shrink}`);
  return best!;
}
