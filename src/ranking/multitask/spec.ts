/**
 * The shape of the multi-task ranker, shared by its trainer, its artefact and its serving graph.
 *
 * Input row of one (user, candidate) pair, `inputDim` wide:
 *   [ normalised dense features (F) | item emb | author emb | category emb | 3 dots | user emb ]   (embs `embDim` wide)
 * where the dots are ⟨e_user, e_item⟩, ⟨e_user, e_author⟩, ⟨e_user, e_category⟩: explicit second-order interactions
 * (as in factorisation machines / DLRM) that make personalisation easy to learn; computed in JS, as are their
 * gradients.
 * The user's embedding comes last so that the first layer splits into a candidate part (rows 0 … candidateDim−1 of
 * W0) and a user part (the last `embDim` rows): at serving the user part, u = e_user · W0ᵤ + b0, is computed once per
 * request and broadcast over the candidates.
 *
 * Layers: `hidden` ReLU layers then one linear layer to the T heads (logits). `hidden = []` and `embDim = 0` is
 * plain logistic regression per head on the dense features (the baseline).
 */
import { RANKING_TASKS, type RankingTask } from '../../training/ranking/examples.js';

export const EMBEDDING_FIELDS = ['item', 'author', 'category', 'user'] as const;
export type EmbeddingField = (typeof EMBEDDING_FIELDS)[number];

export interface MultiTaskSpec {
  /** Dense input features, in the order of the ranking feature vector. */
  featureNames: string[];
  /** Heads, in output order. */
  tasks: RankingTask[];
  /** Width of every id embedding; 0 = no id embeddings. */
  embDim: number;
  /** Widths of the shared ReLU layers. */
  hidden: number[];
  /** Hashed buckets per embedding table. */
  buckets: Record<EmbeddingField, number>;
}

export const DEFAULT_TASKS: RankingTask[] = [...RANKING_TASKS];

/** Number of user × (item, author, category) dot products in the input (0 without embeddings). */
export function dotCount(s: MultiTaskSpec): number {
  return s.embDim > 0 ? EMBEDDING_FIELDS.length - 1 : 0;
}

export function inputDim(s: MultiTaskSpec): number {
  return candidateDim(s) + s.embDim;
}

/** Width of the per-candidate part of the input (everything but the user embedding; the dots included). */
export function candidateDim(s: MultiTaskSpec): number {
  return s.featureNames.length + (EMBEDDING_FIELDS.length - 1) * s.embDim + dotCount(s);
}

/** [in, out] of every layer, the last one being the heads. */
export function layerShapes(s: MultiTaskSpec): [number, number][] {
  const widths = [inputDim(s), ...s.hidden, s.tasks.length];
  return widths.slice(1).map((w, l) => [widths[l], w]);
}

/** Dense parameters: per layer a row-major weight matrix [in, out] and a bias [out]. */
export interface DenseLayer {
  w: Float32Array;
  b: Float32Array;
}

/**
 * Per-feature input transform learned from the training split: x' = (t(x) − mean) / std with t(x) = asinh(x) (a
 * signed log: ≈ sign(x)·ln(2|x|) for large |x|, ≈ x near 0) for heavy-tailed features (counters), t(x) = x otherwise.
 */
export interface Normaliser {
  log: boolean[];
  mean: number[];
  std: number[];
}

/** A normaliser compiled to typed arrays for the hot path. */
export interface CompiledNormaliser {
  log: Uint8Array;
  shift: Float64Array;
  scale: Float64Array;
}

export function compileNormaliser(nm: Normaliser): CompiledNormaliser {
  return { log: Uint8Array.from(nm.log, (b) => (b ? 1 : 0)), shift: Float64Array.from(nm.mean), scale: Float64Array.from(nm.std, (s) => 1 / s) };
}

/** Applies the normaliser to `n` rows of `src` (row-major, F wide) into `dst` rows of width `dstStride`. */
export function normaliseRows(nm: CompiledNormaliser, src: Float32Array, n: number, dst: Float32Array, dstStride: number, dstOffset = 0): void {
  const F = nm.shift.length;
  const { log, shift, scale } = nm;
  for (let i = 0; i < n; i++) {
    const so = i * F;
    const d0 = dstOffset + i * dstStride;
    for (let f = 0; f < F; f++) {
      let x = src[so + f];
      if (log[f] === 1) x = Math.asinh(x);
      dst[d0 + f] = (x - shift[f]) * scale[f];
    }
  }
}

/** Fits the normaliser on rows `idx` of `features` (F wide): a feature is log-transformed when its |max| exceeds 20. */
export function fitNormaliser(features: Float32Array, F: number, idx: ArrayLike<number>): Normaliser {
  const log: boolean[] = [];
  const mean: number[] = [];
  const std: number[] = [];
  for (let f = 0; f < F; f++) {
    let maxAbs = 0;
    for (let k = 0; k < idx.length; k++) maxAbs = Math.max(maxAbs, Math.abs(features[idx[k] * F + f]));
    const lg = maxAbs > 20;
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < idx.length; k++) {
      let x = features[idx[k] * F + f];
      if (lg) x = Math.asinh(x);
      s += x;
      s2 += x * x;
    }
    const n = Math.max(1, idx.length);
    const m = s / n;
    const sd = Math.sqrt(Math.max(0, s2 / n - m * m));
    log.push(lg);
    mean.push(Number.isFinite(m) ? m : 0);
    std.push(sd > 1e-6 && Number.isFinite(sd) ? sd : 1);
  }
  return { log, mean, std };
}
