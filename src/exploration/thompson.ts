/**
 * Thompson-sampling exploration: each eligible item's rate of positives per impression has the posterior
 * Beta(1 + positives, 1 + max(0, impressions − positives)); an exploring slot draws one θ per eligible item and shows
 * the argmax. Its propensity share · P(argmax = x) is estimated with `propensityDraws` draws of the other items
 * (Rao–Blackwellised: each draw contributes P(θ_x > max of the others) from the Beta CDF). The policy and the
 * estimator are documented in explorer.ts.
 *
 * Randomness: at the first exploring slot the rule takes one number from `rand` to seed its own Beta stream
 * (BetaSampler); every θ (picks and estimates) comes from that stream, so a request stays reproducible from its seed.
 * Cost: the estimate draws one matrix of propensityDraws × |pool| θs per request (lazily, at the first exploring slot
 * with |E_p| ≥ 2) and reuses it for every later exploring slot (each estimate stays unbiased given its slot's
 * history, since the matrix is independent of the picks; estimates of different slots of one request are correlated).
 * Then each exploring slot costs |E_p| draws for the pick plus propensityDraws × |E_p| comparisons and
 * propensityDraws Beta CDF evaluations.
 */
import { ConfigError } from '../errors.js';
import type { Rand } from '../util/prng.js';
import { lnBeta, regularizedBeta } from '../util/special-functions.js';
import { BetaSampler } from './beta.js';
import { exploreSlots, type PickRule, type PickRuleFactory } from './explore-slots.js';
import type { Explorer } from './explorer.js';

/** Lower bound of an estimated pick probability (keeps inverse-propensity weights finite). */
export const MIN_PICK_PROBABILITY = 1e-12;

class ThompsonRule implements PickRule {
  private readonly alpha: Float64Array;
  private readonly beta: Float64Array;
  private sampler: BetaSampler | undefined;
  /** propensityDraws × pool θ draws, row-major by draw; filled at the first estimate. */
  private matrix: Float32Array | undefined;

  constructor(
    private readonly poolSize: number,
    counts: (i: number) => { impressions: number; positives: number },
    private readonly draws: number,
  ) {
    this.alpha = new Float64Array(poolSize);
    this.beta = new Float64Array(poolSize);
    for (let i = 0; i < poolSize; i++) {
      const c = counts(i);
      const imp = finiteOrZero(c.impressions);
      const pos = Math.max(0, finiteOrZero(c.positives));
      this.alpha[i] = 1 + pos;
      this.beta[i] = 1 + Math.max(0, imp - pos);
    }
  }

  pick(eligible: Int32Array, n: number, rand: Rand): { at: number; probability: number } {
    const sampler = (this.sampler ??= new BetaSampler(this.alpha, this.beta, Math.floor(rand() * 4294967296)));
    let at = 0;
    let best = -1;
    for (let k = 0; k < n; k++) {
      const theta = sampler.draw(eligible[k]);
      if (theta > best) {
        best = theta;
        at = k;
      }
    }
    if (n === 1) return { at, probability: 1 };
    const P = this.poolSize;
    const D = this.draws;
    const matrix = (this.matrix ??= fillMatrix(sampler, P, D));
    const x = eligible[at];
    const ax = this.alpha[x];
    const bx = this.beta[x];
    const lnB = lnBeta(bx, ax);
    let sum = 0;
    for (let d = 0; d < D; d++) {
      const row = d * P;
      let m = 0;
      for (let k = 0; k < n; k++) {
        const v = matrix[row + eligible[k]];
        if (v > m && k !== at) m = v;
      }
      sum += regularizedBeta(1 - m, bx, ax, lnB); // P(θ_x > m) = I_{1−m}(β_x, α_x)
    }
    return { at, probability: Math.max(MIN_PICK_PROBABILITY, sum / D) };
  }
}

function fillMatrix(sampler: BetaSampler, P: number, D: number): Float32Array {
  const m = new Float32Array(P * D);
  for (let d = 0; d < D; d++) for (let i = 0; i < P; i++) sampler.drawInto(i, m, d * P + i);
  return m;
}

function finiteOrZero(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

const thompsonRule: PickRuleFactory = (pool, opts) => new ThompsonRule(pool.length, (i) => pool[i], opts.propensityDraws);

export const thompsonExplorer: Explorer = {
  name: 'thompson',
  explore(slate, pool, opts, rand) {
    const draws = opts.propensityDraws;
    if (!(Number.isInteger(draws) && draws >= 1)) throw new ConfigError(`propensityDraws must be an integer ≥ 1, got ${draws}`, 'exploration.propensityDraws');
    return exploreSlots(slate, pool, opts, rand, thompsonRule);
  },
};
