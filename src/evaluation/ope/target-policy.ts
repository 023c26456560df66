/**
 * The action distribution π_e(item | position) of a non-contextual policy (Open Bandit's Bernoulli TS), derived from
 * that policy's own logs.
 *
 * What the BTS logs show: `propensity_score` is NOT constant per (item, position). The policy's posterior was updated
 * every few minutes, and the logged propensity of one (item, position) ranges over two orders of magnitude during the
 * week (men, item 0 at position 1: 0.001 … 0.60). The mean logged propensity per (item, position) is therefore
 * size-biased — a row is logged more often when its propensity is high, so the mean estimates E[π_t²]/E[π_t] rather
 * than E[π_t] — and summed over items it is 1.7–2.3 per position instead of 1.
 *
 * Modes:
 * - `frequency` (default): π_e(i|p) = #(bts rows with item i at position p) / #(bts rows at position p), the
 *   realised time-average of π_t(i|p) over the logging week (unbiased for it; sums to 1 per position). The on-policy
 *   CTR it is compared with is exactly the click rate under this realised action mix.
 * - `daily-frequency`: the same per UTC day, so the policy is time-matched to each evaluated row at day granularity
 *   (the propensities move within hours, which 10k rows cannot resolve per item); a day without bts rows at that
 *   position falls back to the whole-period frequency.
 * - `mean-propensity`: the mean logged propensity per (item, position), normalised to sum 1 per position — shown
 *   only for comparison (size-biased, see above).
 */
import { ValidationError } from '../../errors.js';
import { OPEN_BANDIT_POSITIONS, type BanditLog } from './open-bandit.js';

export type TargetPolicyMode = 'frequency' | 'daily-frequency' | 'mean-propensity';
export const TARGET_POLICY_MODES: readonly TargetPolicyMode[] = ['frequency', 'daily-frequency', 'mean-propensity'];

const DAY_MS = 86_400_000;

/** π_e(item | position, time bucket) as one flat table. */
export interface ItemPositionPolicy {
  mode: TargetPolicyMode;
  numItems: number;
  numPositions: number;
  /** First UTC day (epoch day number) of the daily buckets; buckets 0..days−1 are days, bucket `days` the whole period. */
  firstDay: number;
  days: number;
  /** prob[(bucket · numPositions + position) · numItems + item]. */
  prob: Float64Array;
}

/** Offset of π_e(· | position) at time `tMs` in `policy.prob` (a row of numItems probabilities summing to 1). */
export function distributionOffset(policy: ItemPositionPolicy, position: number, tMs: number): number {
  let bucket = policy.days;
  if (policy.mode === 'daily-frequency') {
    const d = Math.floor(tMs / DAY_MS) - policy.firstDay;
    if (d >= 0 && d < policy.days) bucket = d;
  }
  return (bucket * policy.numPositions + position) * policy.numItems;
}

/** π_e(item | position) at time `tMs`. */
export function targetProbability(policy: ItemPositionPolicy, item: number, position: number, tMs: number): number {
  return policy.prob[distributionOffset(policy, position, tMs) + item];
}

function normaliseRow(prob: Float64Array, off: number, numItems: number): boolean {
  let s = 0;
  for (let i = 0; i < numItems; i++) s += prob[off + i];
  if (s === 0) return false;
  for (let i = 0; i < numItems; i++) prob[off + i] /= s;
  return true;
}

/**
 * Derives π_e(item | position) from `log` (the target policy's own logs) in the given mode (see the module doc).
 * `numItems` defaults to the log's. Every position must occur in the log.
 */
export function targetPolicyFromLog(log: BanditLog, mode: TargetPolicyMode = 'frequency', numItems = log.numItems): ItemPositionPolicy {
  if (!TARGET_POLICY_MODES.includes(mode)) throw new ValidationError(`target policy mode must be one of ${TARGET_POLICY_MODES.join(', ')}, got ${JSON.stringify(mode)}`, 'target-policy');
  const P = OPEN_BANDIT_POSITIONS;
  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (let r = 0; r < log.n; r++) {
    const d = Math.floor(log.timestampMs[r] / DAY_MS);
    if (d < firstDay) firstDay = d;
    if (d > lastDay) lastDay = d;
  }
  const days = mode === 'daily-frequency' ? lastDay - firstDay + 1 : 0;
  const prob = new Float64Array((days + 1) * P * numItems);
  const whole = days * P * numItems;
  for (let r = 0; r < log.n; r++) {
    const cell = log.position[r] * numItems + log.item[r];
    prob[whole + cell] += mode === 'mean-propensity' ? log.propensity[r] : 1;
    if (days > 0) prob[(Math.floor(log.timestampMs[r] / DAY_MS) - firstDay) * P * numItems + cell] += 1;
  }
  if (mode === 'mean-propensity') {
    const count = new Float64Array(P * numItems);
    for (let r = 0; r < log.n; r++) count[log.position[r] * numItems + log.item[r]]++;
    for (let c = 0; c < count.length; c++) if (count[c] > 0) prob[whole + c] /= count[c];
  }
  for (let p = 0; p < P; p++) {
    if (!normaliseRow(prob, whole + p * numItems, numItems)) throw new ValidationError(`${log.source}: no rows at position ${p + 1}`, 'datasets');
  }
  for (let d = 0; d < days; d++) {
    for (let p = 0; p < P; p++) {
      const off = (d * P + p) * numItems;
      if (!normaliseRow(prob, off, numItems)) prob.copyWithin(off, whole + p * numItems, whole + (p + 1) * numItems);
    }
  }
  return { mode, numItems, numPositions: P, firstDay: Number.isFinite(firstDay) ? firstDay : 0, days, prob };
}

/** How the logged propensities of a log behave per (item, position) (for the report). */
export interface PropensityProfile {
  /** Distinct propensity values in the log. */
  distinctValues: number;
  /** (item, position) pairs seen, and how many of them have more than one distinct propensity. */
  pairs: number;
  pairsVarying: number;
  /** Median over pairs seen ≥ 2 times of max/min logged propensity. */
  medianMaxOverMin: number;
  /** Per position: Σ over items of the mean logged propensity (1 if the propensities were constant and complete). */
  sumOfMeansPerPosition: number[];
}

/** Summarises whether the logged propensity is constant per (item, position); see PropensityProfile. */
export function propensityProfile(log: BanditLog): PropensityProfile {
  const byPair = new Map<number, number[]>();
  const distinct = new Set<number>();
  for (let r = 0; r < log.n; r++) {
    const k = log.position[r] * log.numItems + log.item[r];
    let v = byPair.get(k);
    if (!v) byPair.set(k, (v = []));
    v.push(log.propensity[r]);
    distinct.add(log.propensity[r]);
  }
  const ratios: number[] = [];
  const sums = new Array<number>(OPEN_BANDIT_POSITIONS).fill(0);
  let varying = 0;
  for (const [k, v] of byPair) {
    const min = Math.min(...v);
    const max = Math.max(...v);
    if (max > min) varying++;
    if (v.length >= 2) ratios.push(max / min);
    sums[Math.floor(k / log.numItems)] += v.reduce((a, b) => a + b, 0) / v.length;
  }
  ratios.sort((a, b) => a - b);
  const median = ratios.length === 0 ? 1 : ratios[Math.floor(ratios.length / 2)];
  return { distinctValues: distinct.size, pairs: byPair.size, pairsVarying: varying, medianMaxOverMin: median, sumOfMeansPerPosition: sums };
}
