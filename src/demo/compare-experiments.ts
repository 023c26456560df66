/**
 * The demo's experiment check (`feedloop demo --experiments`): two experiments through the real API on one set-up
 * demo, every simulated user on the `home` variant and the experiments doing the splitting:
 * - `demo-aa` (layer `aa`): two arms with no overrides — an A/A test, which should show no significant difference
 *   and pass the sample-ratio-mismatch check;
 * - `demo-ab` (layer `ab`, hashed independently): control vs `trending` only (a deliberately worse feed), which
 *   should be detected as significantly worse (and flagged by its watch-ratio guardrail);
 * - `demo-ope` (layer `ope`): exploration as configured (0.1) vs 0.3 vs off — the ground truth for off-policy
 *   evaluation over the serve log (`feedloop eval ope --serve-log`, the commands are printed after the run).
 * After the phase, `GET /v1/experiments/:id/results?aa_splits=200` of both is printed (per metric: relative
 * difference, 95 % interval, Welch p-value raw and Benjamini–Hochberg adjusted; the A/A re-randomisation check of
 * the statistics on the run's own users) and summarised in one JSON line.
 */
import type { AaCalibration } from '../experiments/aa-calibration.js';
import type { ExperimentResults } from '../experiments/results.js';
import { setupDemo, type DemoPhaseResult, type DemoSetupOptions } from './demo.js';
import { fmt, phaseSignal } from './phase-report.js';
import { requestJson } from './simulator.js';

export const DEMO_EXPERIMENTS = [
  { id: 'demo-aa', layer: 'aa', traffic: 1, arms: [{ name: 'a1', weight: 1, overrides: {} }, { name: 'a2', weight: 1, overrides: {} }] },
  {
    id: 'demo-ab',
    layer: 'ab',
    traffic: 1,
    arms: [{ name: 'control', weight: 1, overrides: {} }, { name: 'trending-only', weight: 1, overrides: { variant: 'trending' } }],
    guardrails: [{ metric: 'watch_ratio', maxRelativeDrop: 0.05 }],
  },
  // ground truth for off-policy evaluation over the serve log: the log of `explore-30` (30 % of slots explored) is
  // evaluated for share 0.1 and 0 and compared with what `configured` and `no-explore` really got (OPE_COMMANDS)
  {
    id: 'demo-ope',
    layer: 'ope',
    traffic: 1,
    arms: [
      { name: 'configured', weight: 1, overrides: {} },
      { name: 'explore-30', weight: 1, overrides: { exploration: { share: 0.3 } } },
      { name: 'no-explore', weight: 1, overrides: { exploration: { share: 0 } } },
    ],
  },
] as const;

/** The off-policy evaluations the demo's serve log supports (printed after the run; `<data>` is the demo's --data). */
export const OPE_COMMANDS = [
  'feedloop eval ope --serve-log --data <data> --target exploration.share=0 --arm demo-ope=explore-30,demo-ab=control --on-policy-arm demo-ope=no-explore,demo-ab=control',
  'feedloop eval ope --serve-log --data <data> --target exploration.share=0.1 --arm demo-ope=explore-30,demo-ab=control --on-policy-arm demo-ope=configured,demo-ab=control',
];

/** A/A re-randomisations of each experiment's control-behaviour users (src/experiments/aa-calibration.ts). */
const AA_SPLITS = 200;

/** The metrics printed per experiment (all of them are in the results). */
const SHOWN = ['watch_ratio', 'completion_rate', 'likes_per_impression', 'hides_per_impression', 'impressions'] as const;

export interface ExperimentsDemoResult {
  phase: DemoPhaseResult;
  results: (ExperimentResults & { aa_calibration?: AaCalibration })[];
}

export async function runExperimentsDemo(opts: DemoSetupOptions & { compareMs: number }): Promise<ExperimentsDemoResult | undefined> {
  // salts follow the demo's seed: runs with different seeds are independent splits (the user ids are the same in
  // every seed, so fixed salts would give every run the same split and the same cross-layer table)
  const seed = opts.seed ?? opts.world.seed;
  for (const e of DEMO_EXPERIMENTS) {
    const r = await requestJson('POST', `${opts.baseUrl}/v1/experiments`, { ...e, salt: `${e.id}:${seed}` });
    if (r.status !== 201) throw new Error(`POST /v1/experiments ${e.id}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  const demo = await setupDemo(opts);
  if (opts.signal.aborted) return undefined;
  const phase = await demo.runPhase({ name: 'experiments', arms: { home: 1 }, signal: phaseSignal(opts.signal, opts.compareMs), until: `for ${Math.round(opts.compareMs / 1000)} s` });
  const results: ExperimentResults[] = [];
  for (const e of DEMO_EXPERIMENTS) {
    const r = await requestJson('GET', `${opts.baseUrl}/v1/experiments/${e.id}/results?aa_splits=${AA_SPLITS}`);
    if (r.status !== 200) throw new Error(`GET results ${e.id}: ${r.status}`);
    results.push(r.body as ExperimentResults);
  }
  return { phase, results };
}

/** Per experiment: SRM, then per treatment arm and metric the relative difference against control. */
export function formatExperimentsDemo(r: ExperimentsDemoResult): string[] {
  const lines: string[] = [];
  for (const x of r.results) {
    lines.push(`experiment ${x.experiment_id}: ${x.users} users; SRM chi2 ${fmt(x.srm.chi2 ?? NaN, 2)}, p ${fmt(x.srm.p_value ?? NaN, 3)} → ${x.srm.flagged ? 'FLAGGED' : 'ok'}`);
    for (const arm of x.arms) {
      lines.push(`  arm ${arm.arm}: ${arm.users} users, ${arm.feed_requests} feed requests${arm.guardrails_flagged.length ? `, guardrails flagged: ${arm.guardrails_flagged.join(', ')}` : ''}`);
      for (const m of SHOWN) {
        const v = arm.metrics[m];
        const d = v?.vs_control;
        const mean = `${m.padEnd(22)} mean ${fmt(v?.mean ?? NaN, 4)}`;
        lines.push(
          d
            ? `    ${mean}  vs control ${fmt((d.relative_diff ?? NaN) * 100, 2)}% [${fmt((d.ci_low ?? NaN) * 100, 2)}%, ${fmt((d.ci_high ?? NaN) * 100, 2)}%] p ${fmt(d.p_value ?? NaN, 4)} (adjusted ${fmt(d.p_value_adjusted ?? NaN, 4)})${d.significant ? ' significant' : ''}`
            : `    ${mean}`,
        );
      }
    }
    const c = x.aa_calibration;
    if (c) {
      const rates = SHOWN.map((m) => `${m} ${fmt(c.false_positive_rate[m] * 100, 1)}%`).join(', ');
      lines.push(`  A/A re-randomisation (${c.splits} splits of the ${c.users} users of ${c.arms.join(' + ')}): p < ${c.alpha} in ${rates}`);
      lines.push(`    any metric significant: ${fmt(c.any_metric_unadjusted * 100, 1)}% unadjusted, ${fmt(c.any_metric_adjusted * 100, 1)}% after Benjamini–Hochberg (expected ≤ ${c.alpha * 100}%)`);
    }
  }
  lines.push('off-policy evaluation over this run\'s serve log (the demo-ope arms are the ground truth):', ...OPE_COMMANDS.map((c) => `  ${c}`));
  return lines;
}

/** The one-line JSON summary (the last stdout line of `feedloop demo --experiments`). */
export function experimentsDemoJson(r: ExperimentsDemoResult): Record<string, unknown> {
  return {
    phase: 'experiments',
    seconds: Math.round(r.phase.stats.elapsedMs / 1000),
    experiments: r.results.map((x) => ({
      id: x.experiment_id,
      users: x.users,
      srm_p: x.srm.p_value,
      srm_flagged: x.srm.flagged,
      significant_metrics: x.arms.flatMap((a) => Object.entries(a.metrics).filter(([, v]) => v.vs_control?.significant).map(([m]) => `${a.arm}:${m}`)),
      aa_calibration: x.aa_calibration,
      arms: x.arms.map((a) => ({
        arm: a.arm,
        users: a.users,
        guardrails_flagged: a.guardrails_flagged,
        metrics: Object.fromEntries(SHOWN.map((m) => [m, { mean: a.metrics[m]?.mean ?? null, ...(a.metrics[m]?.vs_control ?? {}) }])),
      })),
    })),
  };
}
