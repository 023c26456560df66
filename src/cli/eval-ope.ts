/**
 * `feedloop eval ope --dataset open-bandit [--datasets DIR] [--bootstrap N] [--seed N] [--folds K]
 * [--target-policy frequency|daily-frequency|mean-propensity]`: off-policy evaluation on the Open Bandit Dataset.
 * For each campaign (men, women) it estimates the Bernoulli-TS policy's CTR from the uniform-random logs with IPS,
 * SNIPS and DR (95 % percentile-bootstrap intervals, effective sample size) and compares each with BTS's on-policy
 * CTR. Prints notes and a table, then ONE JSON object as the last stdout line.
 */
import { textTable } from '../util/text-table.js';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { evaluateOpenBanditCampaign, type CampaignResult, type OpeRow } from '../evaluation/ope/open-bandit-eval.js';
import { OPEN_BANDIT_CAMPAIGNS, OPEN_BANDIT_DIR, loadOpenBanditLog } from '../evaluation/ope/open-bandit.js';
import { TARGET_POLICY_MODES, type TargetPolicyMode } from '../evaluation/ope/target-policy.js';
import { intOption, parse } from './args.js';
import { runEvalOpeServeLog } from './eval-ope-serve-log.js';
import { defaultDatasetsDir } from './import.js';

const OPE_DATASETS = ['open-bandit'] as const;

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

function table(rows: OpeRow[]): string {
  const cols: [string, (r: OpeRow) => string][] = [
    ['campaign', (r) => r.campaign],
    ['estimator', (r) => r.estimator],
    ['estimate', (r) => r.estimate.toFixed(5)],
    ['ci_low', (r) => r.ci_low.toFixed(5)],
    ['ci_high', (r) => r.ci_high.toFixed(5)],
    ['ess', (r) => r.ess.toFixed(0)],
    ['on_policy', (r) => r.on_policy.toFixed(5)],
    ['covered', (r) => (r.covered ? 'yes' : 'NO')],
  ];
  return textTable([cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r)))], 2);
}

function notes(c: CampaignResult): string {
  const p = c.btsProfile;
  const sums = p.sumOfMeansPerPosition.map((s) => s.toFixed(2)).join('/');
  return (
    `${c.campaign}: random logs ${c.randomRows} rows, CTR ${c.randomCtr.toFixed(5)}, propensity ${c.randomPropensities.map((x) => x.toFixed(5)).join(',')}; ` +
    `BTS on-policy CTR ${c.onPolicy.value.toFixed(5)} (own 95 % CI ${c.onPolicy.ciLow.toFixed(5)}–${c.onPolicy.ciHigh.toFixed(5)}, ${c.onPolicy.n} rows); ` +
    `BTS logged propensity varies in ${p.pairsVarying}/${p.pairs} (item, position) pairs (median max/min ${p.medianMaxOverMin.toFixed(1)}, ` +
    `Σ mean per position ${sums}); reward-model prior strength per fold ${c.priorStrengths.map((m) => (Number.isFinite(m) ? m.toFixed(0) : '-')).join(',')}`
  );
}

/** Runs `feedloop eval ope` with `argv` (after `ope`). */
export async function runEvalOpe(argv: string[]): Promise<void> {
  if (argv.includes('--serve-log')) return runEvalOpeServeLog(argv);
  const { values } = parse(argv, {
    dataset: { type: 'string' },
    datasets: { type: 'string' },
    bootstrap: { type: 'string' },
    seed: { type: 'string' },
    folds: { type: 'string' },
    'target-policy': { type: 'string' },
  });
  if (typeof values.dataset !== 'string' || !(OPE_DATASETS as readonly string[]).includes(values.dataset)) {
    throw new ValidationError(`--dataset is required: one of ${OPE_DATASETS.join(', ')}`, 'dataset');
  }
  const resamples = intOption(values, 'bootstrap', 2000, 1);
  const seed = intOption(values, 'seed', 42);
  const folds = intOption(values, 'folds', 5, 2);
  const targetPolicy = (values['target-policy'] ?? 'frequency') as TargetPolicyMode;
  if (!TARGET_POLICY_MODES.includes(targetPolicy)) {
    throw new ValidationError(`--target-policy must be one of ${TARGET_POLICY_MODES.join(', ')}, got ${String(targetPolicy)}`, 'target-policy');
  }
  const root = join(defaultDatasetsDir(values.datasets as string | undefined), OPEN_BANDIT_DIR);
  const log = (msg: string) => process.stderr.write(`[eval ope] ${msg}\n`);

  const results: CampaignResult[] = [];
  for (const campaign of OPEN_BANDIT_CAMPAIGNS) {
    const t0 = performance.now();
    const random = loadOpenBanditLog(root, 'random', campaign);
    const bts = loadOpenBanditLog(root, 'bts', campaign);
    results.push(evaluateOpenBanditCampaign(campaign, random, bts, { resamples, seed, folds, targetPolicy }));
    log(`${campaign}: ${random.n} random + ${bts.n} bts rows, ${Math.round(performance.now() - t0)} ms`);
  }
  const rows = results.flatMap((c) => c.rows);
  console.log(
    `open-bandit: Bernoulli-TS CTR estimated from the uniform-random logs; target policy π_e(item|position) = ${targetPolicy}; ` +
      `95 % percentile bootstrap (${resamples} replicates, seed ${seed}); DR reward model: smoothed CTR per (item, position), ${folds}-fold cross-fitted on the random logs`,
  );
  for (const c of results) console.log(notes(c));
  console.log(table(rows));
  const json = rows.map((r) => ({ ...r, estimate: r6(r.estimate), ci_low: r6(r.ci_low), ci_high: r6(r.ci_high), ess: Math.round(r.ess * 10) / 10, on_policy: r6(r.on_policy) }));
  console.log(JSON.stringify({ dataset: 'open-bandit', target_policy: targetPolicy, bootstrap: resamples, seed, folds, rows: json }));
}
