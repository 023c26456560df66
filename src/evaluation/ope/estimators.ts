/**
 * Off-policy estimators of a target (evaluation) policy π_e's mean reward V(π_e) = E_x Σ_a π_e(a|x) r(x, a) from
 * rows logged under another (behaviour) policy π_b. Per logged row i (context x_i, logged action a_i):
 *
 * - r_i         the observed reward,
 * - p_b,i       π_b(a_i|x_i), the logging propensity (must be > 0: the logged action had a chance),
 * - p_e,i       π_e(a_i|x_i), the target policy's probability of the same action,
 * - w_i         = p_e,i / p_b,i, the importance weight,
 * - q̂_i        q̂(x_i, a_i), a reward model's prediction for the logged action (DR only),
 * - V̂_i        Σ_a π_e(a|x_i) q̂(x_i, a), the reward model's value of π_e in context x_i (DR only).
 *
 * Estimators:
 * - IPS   V̂ = (1/n) Σ w_i r_i — unbiased when p_b is right and π_b covers π_e's support; high variance.
 * - SNIPS V̂ = Σ w_i r_i / Σ w_i — self-normalised: biased O(1/n), consistent, bounded by the reward range, usually
 *         much less variance than IPS.
 * - DR    V̂ = (1/n) Σ [V̂_i + w_i (r_i − q̂_i)] — the model's value corrected by weighted residuals: unbiased if
 *         either the propensities or the reward model are right; exact (zero variance from the actions) with a
 *         perfect model. Fit q̂ on other rows than the ones it scores (cross-fitting) or the correction shrinks.
 *
 * Intervals: `bootstrap` (default) is the percentile bootstrap over rows (seeded, reproducible); `normal` is the
 * CLT interval mean ± z·sd/√n for IPS and DR and the delta-method interval for SNIPS
 * (sd² ≈ mean(w_i² (r_i − V̂)²) / mean(w)²). The DR bootstrap keeps q̂ fixed (it does not refit the model), so it
 * ignores the model's own fitting noise — with cross-fitting that is the usual, asymptotically valid choice.
 * Every estimate also reports the effective sample size (Σw)² / Σw² of its weights.
 */
import { ValidationError } from '../../errors.js';
import { bootstrapRatio, meanVar, normalQuantile, type Interval } from './stats.js';

/** Logged rows as columns (all the same length n ≥ 1). */
export interface LoggedData {
  /** r_i, finite. */
  reward: Float64Array;
  /** π_b(a_i|x_i), in (0, 1]. */
  behaviorProb: Float64Array;
  /** π_e(a_i|x_i), in [0, 1]. */
  targetProb: Float64Array;
  /** q̂(x_i, a_i), finite; required by DR. */
  rewardHat?: Float64Array;
  /** V̂(x_i) = Σ_a π_e(a|x_i) q̂(x_i, a), finite; required by DR. */
  targetValueHat?: Float64Array;
}

export type EstimatorName = 'ips' | 'snips' | 'dr';
export const ESTIMATORS: readonly EstimatorName[] = ['ips', 'snips', 'dr'];

/** How the interval is computed. */
export interface IntervalOptions {
  /** `bootstrap` (percentile, default) or `normal` (CLT / delta method). */
  method?: 'bootstrap' | 'normal';
  /** Coverage, 0 < level < 1 (default 0.95). */
  level?: number;
  /** Bootstrap replicates (default 2000). */
  resamples?: number;
  /** Bootstrap PRNG seed (default 1). */
  seed?: number;
}

export interface Estimate {
  estimator: EstimatorName;
  /** The point estimate of V(π_e). */
  estimate: number;
  ciLow: number;
  ciHigh: number;
  /** Interval method and level actually used. */
  interval: 'bootstrap' | 'normal';
  level: number;
  /** Effective sample size (Σw)²/Σw² (0 if every weight is 0). */
  ess: number;
  /** Rows used. */
  n: number;
}

function checkColumn(col: Float64Array | undefined, name: string, n: number, ok: (v: number) => boolean, range: string): Float64Array {
  if (!(col instanceof Float64Array)) throw new ValidationError(`${name} must be a Float64Array`, name);
  if (col.length !== n) throw new ValidationError(`${name} has ${col.length} rows, reward has ${n}`, name);
  for (let i = 0; i < n; i++) {
    if (!ok(col[i])) throw new ValidationError(`${name}[${i}] = ${col[i]} is not ${range}`, `${name}/${i}`);
  }
  return col;
}

const finite = (v: number) => Number.isFinite(v);

/**
 * Checks the columns (lengths equal, n ≥ 1, rewards finite, 0 < p_b ≤ 1, 0 ≤ p_e ≤ 1, model columns finite when
 * `needsModel`). Throws ValidationError whose `field` names the column, or `column/row` for a bad value.
 */
export function validateLoggedData(data: LoggedData, needsModel: boolean): void {
  if (!(data.reward instanceof Float64Array)) throw new ValidationError('reward must be a Float64Array', 'reward');
  const n = data.reward.length;
  if (n === 0) throw new ValidationError('no logged rows', 'reward');
  checkColumn(data.reward, 'reward', n, finite, 'finite');
  checkColumn(data.behaviorProb, 'behaviorProb', n, (v) => v > 0 && v <= 1, 'in (0, 1]');
  checkColumn(data.targetProb, 'targetProb', n, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  if (needsModel) {
    checkColumn(data.rewardHat, 'rewardHat', n, finite, 'finite');
    checkColumn(data.targetValueHat, 'targetValueHat', n, finite, 'finite');
  }
}

function checkOptions(o: IntervalOptions): Required<IntervalOptions> {
  const method = o.method ?? 'bootstrap';
  if (method !== 'bootstrap' && method !== 'normal') throw new ValidationError(`interval method must be bootstrap or normal, got ${String(method)}`, 'method');
  const level = o.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new ValidationError(`level must be in (0, 1), got ${level}`, 'level');
  const resamples = o.resamples ?? 2000;
  if (!Number.isInteger(resamples) || resamples < 1) throw new ValidationError(`resamples must be a positive integer, got ${resamples}`, 'resamples');
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed)) throw new ValidationError(`seed must be an integer, got ${seed}`, 'seed');
  return { method, level, resamples, seed };
}

/** Importance weights w_i = p_e,i / p_b,i. */
export function importanceWeights(data: LoggedData): Float64Array {
  const n = data.reward.length;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = data.targetProb[i] / data.behaviorProb[i];
  return w;
}

/** Effective sample size (Σw)²/Σw²: n when all weights are equal, → 1 when one row dominates; 0 if all are 0. */
export function effectiveSampleSize(w: Float64Array): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    s += w[i];
    s2 += w[i] * w[i];
  }
  return s2 === 0 ? 0 : (s * s) / s2;
}

/** Estimate, interval and ESS of Σ num / Σ den (den undefined ⇒ the mean of num). */
function finish(
  estimator: EstimatorName,
  num: Float64Array,
  den: Float64Array | undefined,
  w: Float64Array,
  normalSd: (estimate: number) => number,
  o: Required<IntervalOptions>,
): Estimate {
  const n = num.length;
  let sn = 0;
  let sd = 0;
  for (let i = 0; i < n; i++) {
    sn += num[i];
    sd += den === undefined ? 1 : den[i];
  }
  const estimate = sd === 0 ? 0 : sn / sd;
  let ci: Interval;
  if (o.method === 'bootstrap') ci = bootstrapRatio(num, den, o.resamples, o.level, o.seed);
  else {
    const half = normalQuantile(0.5 + o.level / 2) * normalSd(estimate);
    ci = { low: estimate - half, high: estimate + half };
  }
  return { estimator, estimate, ciLow: ci.low, ciHigh: ci.high, interval: o.method, level: o.level, ess: effectiveSampleSize(w), n };
}

/** IPS: V̂ = (1/n) Σ w_i r_i. Normal interval: sd(w r)/√n. */
export function ipsEstimate(data: LoggedData, options: IntervalOptions = {}): Estimate {
  validateLoggedData(data, false);
  const o = checkOptions(options);
  const w = importanceWeights(data);
  const terms = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) terms[i] = w[i] * data.reward[i];
  return finish('ips', terms, undefined, w, () => Math.sqrt(meanVar(terms).variance / terms.length), o);
}

/**
 * SNIPS: V̂ = Σ w_i r_i / Σ w_i (0 when Σw = 0). Normal interval by the delta method:
 * sd ≈ √(Σ w_i² (r_i − V̂)²) / Σ w_i. The bootstrap (default) resamples rows and recomputes the ratio.
 */
export function snipsEstimate(data: LoggedData, options: IntervalOptions = {}): Estimate {
  validateLoggedData(data, false);
  const o = checkOptions(options);
  const w = importanceWeights(data);
  const num = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) num[i] = w[i] * data.reward[i];
  const sd = (v: number) => {
    let sw = 0;
    let s = 0;
    for (let i = 0; i < w.length; i++) {
      sw += w[i];
      s += w[i] * w[i] * (data.reward[i] - v) * (data.reward[i] - v);
    }
    return sw === 0 ? 0 : Math.sqrt(s) / sw;
  };
  return finish('snips', num, w, w, sd, o);
}

/** DR: V̂ = (1/n) Σ [V̂_i + w_i (r_i − q̂_i)]. Normal interval: sd of the terms / √n. Needs rewardHat, targetValueHat. */
export function drEstimate(data: LoggedData, options: IntervalOptions = {}): Estimate {
  validateLoggedData(data, true);
  const o = checkOptions(options);
  const w = importanceWeights(data);
  const q = data.rewardHat as Float64Array;
  const v = data.targetValueHat as Float64Array;
  const terms = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) terms[i] = v[i] + w[i] * (data.reward[i] - q[i]);
  return finish('dr', terms, undefined, w, () => Math.sqrt(meanVar(terms).variance / terms.length), o);
}

/** Runs the named estimator (see ipsEstimate, snipsEstimate, drEstimate). */
export function estimate(name: EstimatorName, data: LoggedData, options: IntervalOptions = {}): Estimate {
  switch (name) {
    case 'ips':
      return ipsEstimate(data, options);
    case 'snips':
      return snipsEstimate(data, options);
    case 'dr':
      return drEstimate(data, options);
    default:
      throw new ValidationError(`unknown estimator ${JSON.stringify(name)}: one of ${ESTIMATORS.join(', ')}`, 'estimator');
  }
}
