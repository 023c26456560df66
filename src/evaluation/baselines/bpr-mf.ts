/**
 * BPR-MF (Rendle et al., UAI 2009): user and item factors (dim 64 by default) trained by per-sample SGD on the
 * pairwise loss −ln σ(p_u·q_i − p_u·q_j) + reg/2·(‖p_u‖² + ‖q_i‖² + ‖q_j‖²), one (u, i) train pair per step in a
 * shuffled epoch, j drawn uniformly from the items u has not interacted with in train. Factors live in Float32Array
 * slabs; the PRNG is seeded (mulberry32), so a seed gives the same model. Early stopping on valid Recall@20: the
 * model is evaluated every `evalEvery` epochs and the best factors are kept; training stops after `patience`
 * evaluations without improvement or at `epochs`.
 */
import { mulberry32 } from '../../util/prng.js';
import { type TuneOptions, validScore } from '../full-ranking.js';
import type { InteractionData, Recommender } from '../recommender.js';

/** Options of {@link fitBprMf}. */
export interface BprMfOptions extends TuneOptions {
  dim?: number;
  /** SGD step size (default 0.05). */
  lr?: number;
  /** L2 strength (default 0.005). */
  reg?: number;
  /** Maximum number of epochs (default 100). */
  epochs?: number;
  /** Evaluate on valid every N epochs (default 3); 0 disables early stopping (train all epochs). */
  evalEvery?: number;
  /** Evaluations without improvement before stopping (default 5). */
  patience?: number;
  /** Initial factors uniform in ±initScale (default 0.1). */
  initScale?: number;
  seed?: number;
}

/** A fitted matrix factorisation: score(u, i) = p_u·q_i. */
export class MfRecommender implements Recommender {
  constructor(
    readonly name: string,
    readonly dim: number,
    /** numUsers × dim, row-major. */
    readonly userFactors: Float32Array,
    /** numItems × dim, row-major. */
    readonly itemFactors: Float32Array,
  ) {}

  scoreUser(u: number, out: Float32Array): void {
    const d = this.dim;
    const p = this.userFactors;
    const q = this.itemFactors;
    const pu = u * d;
    for (let i = 0, qi = 0; i < out.length; i++, qi += d) {
      let s = 0;
      for (let f = 0; f < d; f++) s += p[pu + f] * q[qi + f];
      out[i] = s;
    }
  }
}

/** Bitset of the train matrix for O(1) "has u interacted with j" checks (numUsers × numItems bits). */
function trainBits(data: InteractionData): { bits: Uint32Array; words: number } {
  const words = (data.numItems + 31) >>> 5;
  const bits = new Uint32Array(data.numUsers * words);
  const { offsets, items } = data.train;
  for (let u = 0; u < data.numUsers; u++) for (let p = offsets[u]; p < offsets[u + 1]; p++) bits[u * words + (items[p] >>> 5)] |= 1 << (items[p] & 31);
  return { bits, words };
}

/** Trains BPR-MF on `data.train` with early stopping on valid. */
export function fitBprMf(data: InteractionData, opts: BprMfOptions = {}): Recommender {
  const d = opts.dim ?? 64;
  const lr = opts.lr ?? 0.05;
  const reg = opts.reg ?? 0.005;
  const epochs = opts.epochs ?? 100;
  const evalEvery = opts.evalEvery ?? 3;
  const patience = opts.patience ?? 5;
  const tuneK = opts.tuneK ?? 20;
  const rand = mulberry32(opts.seed ?? 42);
  const init = opts.initScale ?? 0.1;
  const { numUsers, numItems } = data;
  const P = Float32Array.from({ length: numUsers * d }, () => (2 * rand() - 1) * init);
  const Q = Float32Array.from({ length: numItems * d }, () => (2 * rand() - 1) * init);
  const model = new MfRecommender('bpr-mf', d, P, Q);
  const { bits, words } = trainBits(data);
  const { offsets, items } = data.train;
  const nnz = items.length;
  const pairUser = new Int32Array(nnz);
  for (let u = 0; u < numUsers; u++) pairUser.fill(u, offsets[u], offsets[u + 1]);
  const order = Int32Array.from({ length: nnz }, (_, k) => k);
  const pu = new Float32Array(d);
  let best = { score: -Infinity, epoch: 0, P: P.slice(), Q: Q.slice() };
  let sinceBest = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    for (let k = nnz - 1; k > 0; k--) {
      const r = Math.floor(rand() * (k + 1));
      const t = order[k];
      order[k] = order[r];
      order[r] = t;
    }
    let loss = 0;
    for (let s = 0; s < nnz; s++) {
      const e = order[s];
      const u = pairUser[e];
      const i = items[e];
      let j: number;
      do j = Math.floor(rand() * numItems);
      while ((bits[u * words + (j >>> 5)] & (1 << (j & 31))) !== 0);
      const ou = u * d;
      const oi = i * d;
      const oj = j * d;
      let x = 0;
      for (let f = 0; f < d; f++) x += P[ou + f] * (Q[oi + f] - Q[oj + f]);
      const g = 1 / (1 + Math.exp(x)); // σ(−x) = −∂loss/∂x
      loss += x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
      for (let f = 0; f < d; f++) pu[f] = P[ou + f];
      for (let f = 0; f < d; f++) {
        const qi = Q[oi + f];
        const qj = Q[oj + f];
        P[ou + f] += lr * (g * (qi - qj) - reg * pu[f]);
        Q[oi + f] += lr * (g * pu[f] - reg * qi);
        Q[oj + f] += lr * (-g * pu[f] - reg * qj);
      }
    }
    const trainSec = (performance.now() - t0) / 1000;
    if (evalEvery <= 0 || (epoch % evalEvery !== 0 && epoch !== epochs)) continue;
    const score = validScore(model, data, opts);
    opts.log?.(`bpr-mf epoch ${epoch}: loss ${(loss / nnz).toFixed(4)}, valid recall@${tuneK} ${score.toFixed(4)} (train ${trainSec.toFixed(1)} s)`);
    if (score > best.score) {
      best = { score, epoch, P: P.slice(), Q: Q.slice() };
      sinceBest = 0;
    } else if (++sinceBest >= patience) {
      break;
    }
  }
  if (evalEvery <= 0) return model;
  opts.log?.(`bpr-mf: best epoch ${best.epoch} (valid recall@${tuneK} ${best.score.toFixed(4)})`);
  return new MfRecommender('bpr-mf', d, best.P, best.Q);
}
