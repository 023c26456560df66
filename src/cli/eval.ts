/**
 * `feedloop eval --dataset movielens-1m-split|kuairec-split`: offline full-ranking evaluation. Loads the split, fits
 * each registered model on train (tuning on valid), scores test, and prints a table (computed rows, then the
 * published rows for the dataset), whether BPR-MF reproduces the published numbers within ±5 % on Recall@10 and
 * NDCG@10, and ONE JSON object as the last stdout line. Progress goes to stderr.
 */
import { textTable } from '../util/text-table.js';
import { ValidationError } from '../errors.js';
import { PUBLISHED, REPRODUCTION_TOLERANCE } from '../evaluation/baselines/published.js';
import { DEFAULT_MASK_VALID_WHEN_TESTING, atK, evaluate, type EvaluationResult } from '../evaluation/full-ranking.js';
import { MODELS, getModel } from '../evaluation/model-registry.js';
import { SPLIT_DATASETS, loadSplitData, nnz } from '../evaluation/split-data.js';
import { parse } from './args.js';
import { runEvalRanking } from './ranking.js';
import { runEvalOpe } from './eval-ope.js';
import { runEvalReplay } from './eval-replay.js';
import { defaultDatasetsDir } from './import.js';

const KS = [10, 20, 40] as const;
const METRIC_KEYS = ['recall@10', 'ndcg@10', 'recall@20', 'ndcg@20', 'recall@40', 'ndcg@40', 'hitrate@10', 'coverage@10'] as const;
type MetricKey = (typeof METRIC_KEYS)[number];

/** One row of the output (JSON shape). */
export interface EvalRow extends Partial<Record<MetricKey, number | null>> {
  model: string;
  source: 'computed' | 'published';
  fit_seconds?: number;
}

const round = (x: number) => Math.round(x * 1e5) / 1e5;

function rowOf(r: EvaluationResult, fitSeconds: number): EvalRow {
  const row: EvalRow = { model: r.model, source: 'computed' };
  for (const k of KS) {
    row[`recall@${k}`] = round(atK(r, k).recall);
    row[`ndcg@${k}`] = round(atK(r, k).ndcg);
  }
  row['hitrate@10'] = round(atK(r, 10).hitRate);
  row['coverage@10'] = round(atK(r, 10).coverage);
  row.fit_seconds = Math.round(fitSeconds * 10) / 10;
  return row;
}

function table(rows: EvalRow[]): string {
  const cols: [string, (r: EvalRow) => string][] = [
    ['model', (r) => r.model],
    ['source', (r) => r.source],
    ...(['recall@10', 'ndcg@10', 'recall@20', 'ndcg@20', 'recall@40', 'ndcg@40', 'hitrate@10', 'coverage@10'] as const).map(
      (k) => [k.replace('recall', 'R').replace('ndcg', 'N').replace('hitrate', 'HR').replace('coverage', 'Cov'), (r: EvalRow) => (typeof r[k] === 'number' ? r[k].toFixed(4) : '-')] as [string, (r: EvalRow) => string],
    ),
    ['fit s', (r) => (r.fit_seconds === undefined ? '-' : r.fit_seconds.toFixed(1))],
  ];
  return textTable([cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r)))], 2);
}

/** Runs `feedloop eval` with `argv` (after the subcommand). */
export async function runEval(argv: string[]): Promise<void> {
  if (argv[0] === 'ranking') return runEvalRanking(argv.slice(1));
  if (argv[0] === 'ope') return runEvalOpe(argv.slice(1));
  if (argv[0] === 'replay') return runEvalReplay(argv.slice(1));
  const { values } = parse(argv, {
    dataset: { type: 'string' },
    datasets: { type: 'string' },
    models: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
    quick: { type: 'boolean' },
    'mask-valid': { type: 'boolean' },
  });
  if (typeof values.dataset !== 'string') throw new ValidationError(`--dataset is required: one of ${SPLIT_DATASETS.join(', ')}`, 'dataset');
  const dataset = values.dataset;
  const names = typeof values.models === 'string' ? values.models.split(',').map((s) => s.trim()).filter(Boolean) : MODELS.map((m) => m.name);
  const entries = names.map(getModel);
  const intOpt = (k: string): number | undefined => {
    if (values[k] === undefined) return undefined;
    const v = Number(values[k]);
    if (!Number.isInteger(v) || v < 0) throw new ValidationError(`--${k} must be a non-negative integer, got ${String(values[k])}`, k);
    return v;
  };
  const epochs = intOpt('epochs');
  const seed = intOpt('seed') ?? 42;
  const quick = values.quick === true;
  const maskValid = values['mask-valid'] === true ? true : DEFAULT_MASK_VALID_WHEN_TESTING;
  const log = (msg: string) => process.stderr.write(`[eval] ${msg}\n`);

  const t0 = performance.now();
  const data = loadSplitData(dataset, defaultDatasetsDir(values.datasets as string | undefined));
  log(
    `${dataset}: ${data.numUsers} users, ${data.numItems} items, train/valid/test ${nnz(data.train)}/${nnz(data.valid)}/${nnz(data.test)} ` +
      `positives (${Math.round(performance.now() - t0)} ms)`,
  );
  // the split's own protocol: KuaiRec (SIGformer) also masks the user's train negatives, i.e. every item shown in train
  const extraMask = data.trainNegatives;
  const rows: EvalRow[] = [];
  let testUsers = 0;
  for (const entry of entries) {
    const tf = performance.now();
    log(`fitting ${entry.name} …`);
    const model = await entry.fit(data, { seed, quick, epochs, log, extraMask });
    const fitSeconds = (performance.now() - tf) / 1000;
    const r = evaluate(model, data, { split: 'test', ks: KS, maskValidWhenTesting: maskValid, extraMask });
    testUsers = r.users;
    const row = rowOf(r, fitSeconds);
    row.model = entry.name;
    rows.push(row);
    log(`${entry.name}: test recall@10 ${row['recall@10']} ndcg@10 ${row['ndcg@10']} (fit ${fitSeconds.toFixed(1)} s, eval ${(r.elapsedMs / 1000).toFixed(1)} s)`);
  }
  const published: EvalRow[] = (PUBLISHED[dataset] ?? []).map((p) => {
    const row: EvalRow = { model: p.model, source: 'published' };
    for (const k of METRIC_KEYS) row[k] = p.metrics[k as keyof typeof p.metrics] ?? null;
    return row;
  });
  const all = [...rows, ...published];
  const masked = ['train', ...(extraMask ? ['train-negatives'] : []), ...(maskValid ? ['valid'] : [])];
  console.log(`${dataset}: full ranking over ${data.numItems} items, ${testUsers} test users, masked: ${masked.join(' + ')}; tuned on valid, reported on test`);
  console.log(table(all));

  const bpr = rows.find((r) => r.model === 'bpr-mf');
  const ref = published.find((r) => r.model === 'bpr-mf');
  let reproduced: boolean | null = null;
  const reproduction: Record<string, { computed: number; published: number; rel_diff: number }> = {};
  if (bpr && ref) {
    reproduced = true;
    for (const k of ['recall@10', 'ndcg@10'] as const) {
      const c = bpr[k] as number;
      const p = ref[k] as number;
      const rel = (c - p) / p;
      reproduction[k] = { computed: c, published: p, rel_diff: round(rel) };
      if (Math.abs(rel) > REPRODUCTION_TOLERANCE) reproduced = false;
    }
    const fmt = (k: string) => `${k} ${reproduction[k].computed.toFixed(4)} vs ${reproduction[k].published.toFixed(4)} (${(reproduction[k].rel_diff * 100).toFixed(1)} %)`;
    console.log(`BPR-MF ${reproduced ? 'reproduced' : 'NOT reproduced'} within ±${REPRODUCTION_TOLERANCE * 100} %: ${fmt('recall@10')}, ${fmt('ndcg@10')}`);
  } else {
    console.log(bpr ? `BPR-MF reproduction: no published BPR-MF numbers for ${dataset}` : 'BPR-MF reproduction: bpr-mf was not run');
  }
  const protocol = {
    ranking: 'full',
    ks: KS,
    masked,
    relevance: 'binary; ideal DCG over min(K, |test items|)',
    averaged_over: 'users with >= 1 test item',
    test_users: testUsers,
    num_items: data.numItems,
    tuning: 'valid recall@20',
    seed,
    quick,
  };
  console.log(JSON.stringify({ dataset, protocol, models: all, bpr_reproduced: reproduced, bpr_reproduction: reproduction }));
}
