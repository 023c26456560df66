/**
 * EASE (Steck, WWW 2019): a closed-form item-item linear autoencoder. With G = XᵀX over the binary train matrix,
 * P = (G + λI)⁻¹ and B = I − P·diagMat(1/diag(P)), i.e. B[i][j] = −P[i][j] / P[j][j] and B[i][i] = 0; a user's scores
 * are x_u·B (the sum of the rows of B of the user's train items). λ is tuned on valid Recall@20 over an ascending
 * grid (stopping once the score drops); each value costs one SPD inverse (~15 s for ML-1M's 3,628 items on one core,
 * see spd-inverse.ts) plus a valid evaluation (~7 s: dense row sums).
 */
import { ValidationError } from '../../errors.js';
import { type TuneOptions, validScore } from '../full-ranking.js';
import type { InteractionData, Recommender } from '../recommender.js';
import { gramMatrix } from './gram.js';
import { invertSpdInPlace } from './spd-inverse.js';

/** Options of {@link fitEase}. */
export interface EaseOptions extends TuneOptions {
  /**
   * Candidate L2 strengths, tried in ascending order until valid Recall@`tuneK` drops; the best is kept (a single
   * value skips tuning).
   */
  lambdas: readonly number[];
}

/** A fitted EASE model. */
export class EaseRecommender implements Recommender {
  readonly name: string;
  constructor(
    /** Row-major numItems × numItems weights, zero diagonal. */
    readonly weights: Float32Array,
    readonly numItems: number,
    private readonly data: InteractionData,
    readonly lambda: number,
  ) {
    this.name = 'ease';
  }

  scoreUser(u: number, out: Float32Array): void {
    const n = this.numItems;
    const w = this.weights;
    out.fill(0);
    const { offsets, items } = this.data.train;
    for (let p = offsets[u]; p < offsets[u + 1]; p++) {
      const row = items[p] * n;
      for (let j = 0; j < n; j++) out[j] += w[row + j];
    }
  }
}

/** EASE weights for one λ from the Gram matrix `g` (not modified); `a` and `work` are n × n scratch buffers. */
export function easeWeights(g: Float64Array, n: number, lambda: number, a = new Float64Array(n * n), work?: Float64Array): Float32Array {
  a.set(g);
  for (let i = 0; i < n; i++) a[i * n + i] += lambda;
  invertSpdInPlace(a, n, work);
  const b = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) b[ri + j] = i === j ? 0 : -a[ri + j] / a[j * n + j];
  }
  return b;
}

/** Fits EASE on `data.train`, tuning λ on valid. */
export function fitEase(data: InteractionData, opts: EaseOptions): Recommender {
  if (opts.lambdas.length === 0) throw new ValidationError('ease needs at least one λ', 'lambdas');
  const n = data.numItems;
  const tuneK = opts.tuneK ?? 20;
  const g = gramMatrix(data.train, n);
  const a = new Float64Array(n * n);
  const work = new Float64Array(n * n);
  let best: EaseRecommender | undefined;
  let bestScore = -Infinity;
  // ascending grid, stopped at the first value that scores below the best so far (valid recall is unimodal in λ)
  for (const lambda of [...opts.lambdas].sort((x, y) => x - y)) {
    const t0 = performance.now();
    const model = new EaseRecommender(easeWeights(g, n, lambda, a, work), n, data, lambda);
    if (opts.lambdas.length === 1) return model;
    const score = validScore(model, data, opts);
    opts.log?.(`ease λ=${lambda}: valid recall@${tuneK} ${score.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    if (score <= bestScore) break;
    bestScore = score;
    best = model;
  }
  opts.log?.(`ease: chose λ=${best!.lambda}`);
  return best!;
}
