/**
 * An experiment's results (`GET /v1/experiments/:id/results`) from the per-user sums of arm-metrics.ts, with the
 * user as the unit of analysis:
 * - per arm and metric: users with a defined value, mean and sd of the per-user values; against the control (the
 *   first arm): the relative difference of the means, mean(arm) / mean(control) − 1, its 95 % confidence interval
 *   (delta method, Welch df), the two-sided p-value of Welch's t-test and that p-value adjusted by Benjamini–Hochberg
 *   over all the experiment's comparisons (every metric of every treatment arm); `significant` when the adjusted
 *   p < 0.05. Nine metrics tested at 0.05 each would call some difference significant in roughly a quarter of A/A
 *   tests; the adjustment keeps that chance near 5 %.
 *   Per-user values: impressions, sessions (all users seen); watch_ratio = Σ watch ratio / timed views (users with
 *   a timed view); completion_rate, likes_/shares_/hides_per_impression = count / impressions (users with an
 *   impression); session_length_s = session time / sessions (users with a session); requests_per_day = feed requests
 *   / active days (users with a request).
 * - sample-ratio mismatch: Pearson's chi-square of the users per arm (holdout included) against the shares the
 *   configuration implies; `flagged` when p < 0.001 — the assignment or the logging is broken, distrust the rest.
 * - guardrails: an arm is flagged when a guardrail metric moved against control by more than its limit
 *   (maxRelativeDrop / maxRelativeIncrease) and the move is significant on its own (unadjusted p < 0.05): a guardrail
 *   is a single pre-declared test that protects users, so it keeps its full sensitivity.
 * - per arm also: feed requests and p99 feed latency (ms, ~8 % bucket resolution) and event counts by type.
 */
import { EVENT_TYPES } from '../domain/schemas.js';
import { COL, ROW_WIDTH as K, type ExperimentStats } from './arm-metrics.js';
import { compileExperiment } from './assignment.js';
import { ARM_METRICS, BUCKETS, HOLDOUT_ARM, type ArmMetric, type Experiment } from './experiment.js';
import { benjaminiHochberg, chiSquareGoodnessOfFit, relativeDifference, summarize, welch } from './stats.js';

/** One arm's per-user values and counters: the input of `analyse`. */
export interface ArmSample {
  name: string;
  /** Users seen in the arm. */
  users: number;
  /** Per-user values of each metric (users for whom it is defined). */
  values: Record<ArmMetric, ArrayLike<number>>;
  requests?: number;
  p99Ms?: number;
  events?: Record<string, number>;
}

export interface MetricResult {
  users: number;
  mean: number | null;
  sd: number | null;
  vs_control?: { relative_diff: number | null; ci_low: number | null; ci_high: number | null; p_value: number | null; p_value_adjusted: number | null; significant: boolean };
}

export interface ArmResult {
  arm: string;
  users: number;
  expected_share: number;
  feed_requests: number;
  feed_p99_ms: number | null;
  events: Record<string, number>;
  metrics: Record<ArmMetric, MetricResult>;
  /** Guardrail metrics this arm breached. */
  guardrails_flagged: ArmMetric[];
}

export interface ExperimentResults {
  experiment_id: string;
  status: string;
  control: string;
  users: number;
  alpha: number;
  /** How `significant` corrects for the many comparisons (metrics × treatment arms) of one experiment. */
  correction: 'benjamini-hochberg';
  srm: { chi2: number | null; df: number; p_value: number | null; flagged: boolean; threshold: number };
  arms: ArmResult[];
  guardrails: { arm: string; metric: ArmMetric; limit: string; relative_diff: number | null; p_value: number | null; flagged: boolean }[];
}

const ALPHA = 0.05;
const SRM_ALPHA = 0.001;
const num = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(6)) : null);

/** The configured share of each arm (holdout last), from the rounded bucket boundaries the assignment uses. */
export function expectedShares(e: Experiment): number[] {
  const c = compileExperiment(e);
  const shares: number[] = [];
  let prev = c.holdoutEnd;
  for (const end of c.armEnds) {
    shares.push((end - prev) / BUCKETS);
    prev = end;
  }
  shares.push(c.holdoutEnd / BUCKETS);
  return shares;
}

/** Empty per-metric value lists. */
export const emptyValues = (): Record<ArmMetric, number[]> => Object.fromEntries(ARM_METRICS.map((m) => [m, [] as number[]])) as Record<ArmMetric, number[]>;

/** Appends the per-user metric values of row `r` of the stats (where defined, see the header) to `v`. */
export function pushUserValues(s: ExperimentStats, r: number, v: Record<ArmMetric, number[]>): void {
  const d = s.data;
  const at = r * K;
  const imp = d[at + COL.impressions];
  v.impressions.push(imp);
  v.sessions.push(d[at + COL.sessions]);
  if (d[at + COL.viewsTimed] > 0) v.watch_ratio.push(d[at + COL.watchSum] / d[at + COL.viewsTimed]);
  if (imp > 0) {
    v.completion_rate.push(d[at + COL.completes] / imp);
    v.likes_per_impression.push(d[at + COL.likes] / imp);
    v.shares_per_impression.push(d[at + COL.shares] / imp);
    v.hides_per_impression.push(d[at + COL.hides] / imp);
  }
  if (d[at + COL.sessions] > 0) v.session_length_s.push(d[at + COL.sessionMs] / d[at + COL.sessions] / 1000);
  if (d[at + COL.activeDays] > 0) v.requests_per_day.push(d[at + COL.requests] / d[at + COL.activeDays]);
}

/** Per-arm samples of an experiment's stats (arms in order, then holdout); empty arms when nothing was recorded. */
export function armSamples(e: Experiment, s: ExperimentStats | undefined): ArmSample[] {
  const n = e.arms.length + 1;
  const vals = Array.from({ length: n }, emptyValues);
  const users = new Array<number>(n).fill(0);
  if (s && s.arms === n) {
    for (let r = 0; r < s.size; r++) {
      users[s.armOf[r]]++;
      pushUserValues(s, r, vals[s.armOf[r]]);
    }
  }
  return vals.map((values, a) => ({
    name: a < e.arms.length ? e.arms[a].name : HOLDOUT_ARM,
    users: users[a],
    values,
    requests: s && s.arms === n ? s.armRequests[a] : 0,
    p99Ms: s && s.arms === n ? s.latencyQuantile(a, 0.99) : Number.NaN,
    events: Object.fromEntries(EVENT_TYPES.map((t, i) => [t, s && s.arms === n ? s.armEvents[a * EVENT_TYPES.length + i] : 0])),
  }));
}

/** The results of an experiment from its recorded stats. */
export function experimentResults(e: Experiment, s: ExperimentStats | undefined): ExperimentResults {
  return analyse(e, armSamples(e, s));
}

/**
 * Statistics over per-arm samples: `samples` are the arms in the experiment's order, then holdout (left out of the
 * comparison table when the experiment has none and no users).
 */
export function analyse(e: Experiment, samples: readonly ArmSample[]): ExperimentResults {
  const shares = expectedShares(e);
  const control = samples[0];
  const controlSummaries = Object.fromEntries(ARM_METRICS.map((m) => [m, summarize(control.values[m])])) as Record<ArmMetric, ReturnType<typeof summarize>>;
  const guardrails: ExperimentResults['guardrails'] = [];
  const rawP: [NonNullable<MetricResult['vs_control']>, number][] = [];
  const metricsOf = samples.map((sample, a) => {
    const metrics = {} as Record<ArmMetric, MetricResult>;
    for (const m of ARM_METRICS) {
      const sm = summarize(sample.values[m]);
      const r: MetricResult = { users: sm.n, mean: num(sm.mean), sd: num(Math.sqrt(sm.variance)) };
      if (a > 0) {
        const c = controlSummaries[m];
        const rel = relativeDifference(c, sm);
        const t = welch(c, sm);
        r.vs_control = { relative_diff: num(rel.estimate), ci_low: num(rel.low), ci_high: num(rel.high), p_value: num(t.p), p_value_adjusted: null, significant: false };
        rawP.push([r.vs_control, t.p]);
      }
      metrics[m] = r;
    }
    return metrics;
  });
  const adjusted = benjaminiHochberg(rawP.map(([, p]) => p));
  rawP.forEach(([v], i) => {
    v.p_value_adjusted = num(adjusted[i]);
    v.significant = adjusted[i] < ALPHA;
  });
  const arms: ArmResult[] = samples.map((sample, a) => {
    const metrics = metricsOf[a];
    const flagged: ArmMetric[] = [];
    if (a > 0) {
      for (const g of e.guardrails) {
        const v = metrics[g.metric].vs_control!;
        const rel = v.relative_diff ?? Number.NaN;
        const checks: [string, boolean][] = [];
        if (g.maxRelativeDrop !== undefined) checks.push([`drop ≤ ${g.maxRelativeDrop}`, rel < -g.maxRelativeDrop]);
        if (g.maxRelativeIncrease !== undefined) checks.push([`increase ≤ ${g.maxRelativeIncrease}`, rel > g.maxRelativeIncrease]);
        for (const [limit, breached] of checks) {
          const hit = breached && (v.p_value ?? 1) < ALPHA;
          if (hit && !flagged.includes(g.metric)) flagged.push(g.metric);
          guardrails.push({ arm: sample.name, metric: g.metric, limit, relative_diff: v.relative_diff, p_value: v.p_value, flagged: hit });
        }
      }
    }
    return {
      arm: sample.name,
      users: sample.users,
      expected_share: shares[a] ?? 0,
      feed_requests: sample.requests ?? 0,
      feed_p99_ms: num(sample.p99Ms ?? Number.NaN),
      events: sample.events ?? {},
      metrics,
      guardrails_flagged: flagged,
    };
  });
  const srm = chiSquareGoodnessOfFit(
    samples.map((x) => x.users),
    samples.map((_, a) => shares[a] ?? 0),
  );
  const shown = e.holdout > 0 || (samples[e.arms.length]?.users ?? 0) > 0 ? arms : arms.slice(0, e.arms.length);
  return {
    experiment_id: e.id,
    status: e.status,
    control: control.name,
    users: samples.reduce((s, x) => s + x.users, 0),
    alpha: ALPHA,
    correction: 'benjamini-hochberg',
    srm: { chi2: num(srm.chi2), df: srm.df, p_value: num(srm.p), flagged: srm.p < SRM_ALPHA, threshold: SRM_ALPHA },
    arms: shown,
    guardrails,
  };
}
