/**
 * A/A re-randomisation: is the experiment statistics' false-positive rate what it claims, on this experiment's own
 * users? The users who got the control behaviour (the control arm, holdout users, and every arm whose overrides
 * equal the control's — in an A/A test, all of them) are split again into two halves by K fresh hashes (salt
 * `<experiment salt>:aa:<k>`), and each split is analysed like an experiment (Welch per metric, Benjamini–Hochberg
 * over the metrics). No split has a real difference, so per metric about α of the splits should be significant
 * before adjustment, and about α should show any significant metric after it. A rate far above α means the
 * per-user values break the test's assumptions (dependence between users, extreme skew) and the results endpoint
 * cannot be trusted on this traffic.
 *
 * Served as `GET /v1/experiments/:id/results?aa_splits=K` (K ≤ 1000); the splits reuse the same users, so they are
 * not independent of each other, but each one is a valid A/A test.
 */
import { bucketOf } from './assignment.js';
import type { ExperimentStats } from './arm-metrics.js';
import { ARM_METRICS, BUCKETS, type ArmMetric, type Experiment } from './experiment.js';
import { emptyValues, pushUserValues } from './results.js';
import { benjaminiHochberg, summarize, welch } from './stats.js';

export interface AaCalibration {
  splits: number;
  /** Users re-split (all users with the control behaviour). */
  users: number;
  /** The arms those users came from. */
  arms: string[];
  alpha: number;
  /** Per metric: the share of splits with unadjusted p < α (expected ≈ α). */
  false_positive_rate: Record<ArmMetric, number>;
  /** The share of splits with any metric at unadjusted p < α. */
  any_metric_unadjusted: number;
  /** The share of splits with any metric significant after Benjamini–Hochberg (what `significant` reports; expected ≤ α). */
  any_metric_adjusted: number;
}

/** The largest number of splits one call may ask for. */
export const MAX_AA_SPLITS = 1000;

/** Re-splits the control-behaviour users of `e` `splits` times (see the header). */
export function aaCalibration(e: Experiment, s: ExperimentStats | undefined, splits: number, alpha = 0.05): AaCalibration {
  const control = JSON.stringify(e.arms[0]?.overrides ?? {});
  const armIdx: number[] = [];
  e.arms.forEach((a, i) => {
    if (JSON.stringify(a.overrides ?? {}) === control) armIdx.push(i);
  });
  armIdx.push(e.arms.length); // holdout users get no overrides
  const rows: number[] = [];
  if (s && s.arms === e.arms.length + 1) for (let r = 0; r < s.size; r++) if (armIdx.includes(s.armOf[r])) rows.push(r);
  const positives = Object.fromEntries(ARM_METRICS.map((m) => [m, 0])) as Record<ArmMetric, number>;
  let anyRaw = 0;
  let anyAdjusted = 0;
  for (let k = 0; k < splits; k++) {
    const halves = [emptyValues(), emptyValues()];
    const salt = `${e.salt}:aa:${k}`;
    for (const r of rows) pushUserValues(s!, r, halves[bucketOf(s!.userIds[r], salt) < BUCKETS / 2 ? 0 : 1]);
    const p = ARM_METRICS.map((m) => welch(summarize(halves[0][m]), summarize(halves[1][m])).p);
    ARM_METRICS.forEach((m, i) => {
      if (p[i] < alpha) positives[m]++;
    });
    if (p.some((x) => x < alpha)) anyRaw++;
    if (benjaminiHochberg(p).some((x) => x < alpha)) anyAdjusted++;
  }
  const share = (x: number) => (splits > 0 ? Number((x / splits).toFixed(4)) : Number.NaN);
  return {
    splits,
    users: rows.length,
    arms: armIdx.map((i) => (i < e.arms.length ? e.arms[i].name : 'holdout')),
    alpha,
    false_positive_rate: Object.fromEntries(ARM_METRICS.map((m) => [m, share(positives[m])])) as Record<ArmMetric, number>,
    any_metric_unadjusted: share(anyRaw),
    any_metric_adjusted: share(anyAdjusted),
  };
}
