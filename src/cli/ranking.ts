/**
 * `feedloop train ranking` and `feedloop eval ranking`.
 *
 * train: builds the examples of the data directory (serve log when it has enough joined impressions, else the
 * backfill), splits them by time (80/10/10), trains the multi-task ranker on train with early stopping and
 * calibration on valid, measures test, writes `<data>/models/ranking/<version>/`, points CURRENT at it and (with
 * `--notify URL`) asks a running server to swap it in.
 *
 * eval: the same examples (or `--dataset movielens-100k`, imported into a temporary directory and backfilled),
 * the multi-task model next to logistic regression and the heuristic ranker; a table per head (AUC, log-loss, ECE)
 * and ONE JSON object as the last stdout line.
 */
import { resolve } from 'node:path';
import type { FeedloopConfig } from '../config/config.js';
import { ValidationError } from '../errors.js';
import { rankingTable } from '../evaluation/ranking-eval.js';
import type { RankingExamples, TimeSplit } from '../training/ranking/examples.js';
import { rankerEvaluation, trainRankerFromDataDir } from '../training/ranking/train-from-data-dir.js';
import { timeSplit } from '../training/ranking/time-split.js';
import { examplesFromDataDir, examplesFromDataset, type ExampleSource } from '../training/ranking/training-set.js';
import { configFrom, parse } from './args.js';
import { defaultDatasetsDir } from './import.js';

const OPTIONS = {
  source: { type: 'string' },
  dataset: { type: 'string' },
  datasets: { type: 'string' },
  epochs: { type: 'string' },
  seed: { type: 'string' },
  notify: { type: 'string' },
  negatives: { type: 'string' },
} as const;

type Values = Record<string, string | boolean | undefined>;

function positiveInt(values: Values, k: string, d: number): number {
  const v = values[k];
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ValidationError(`--${k} must be a positive integer, got ${JSON.stringify(v)}`, k);
  return n;
}

function sourceOf(values: Values): ExampleSource {
  const source = (values.source ?? 'auto') as ExampleSource;
  if (!['auto', 'serve-log', 'backfill'].includes(source)) throw new ValidationError(`--source must be auto, serve-log or backfill`, 'source');
  return source;
}

async function loadExamples(values: Values, cfg: FeedloopConfig): Promise<{ ex: RankingExamples; name: string }> {
  const o = { source: sourceOf(values), seed: positiveInt(values, 'seed', 1), negativesPerPositive: positiveInt(values, 'negatives', 4) };
  const t0 = performance.now();
  let out: { ex: RankingExamples; name: string };
  if (typeof values.dataset === 'string') {
    if (values.dataset !== 'movielens-100k') throw new ValidationError(`--dataset must be movielens-100k (a timestamped dataset); got ${values.dataset}`, 'dataset');
    out = { ex: await examplesFromDataset(cfg, values.dataset, defaultDatasetsDir(values.datasets as string | undefined), o), name: values.dataset };
  } else {
    out = { ex: await examplesFromDataDir(cfg, o), name: resolve(cfg.data.dir) };
  }
  const { ex } = out;
  if (ex.n === 0) throw new ValidationError('no ranking examples: the log has no impressions joined to served requests, nor exposures to backfill', 'data');
  console.error(`examples: ${ex.n} from ${ex.source} of ${out.name} in ${((performance.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(ex.stats)}`);
  return out;
}

export async function runTrainRanking(argv: string[]): Promise<void> {
  const { values } = parse(argv, OPTIONS);
  if (values.dataset !== undefined) throw new ValidationError('train ranking reads a data directory (--data); use `feedloop eval ranking --dataset` for public datasets', 'dataset');
  const cfg = configFrom(values);
  const t0 = performance.now();
  const source = sourceOf(values);
  const res = await trainRankerFromDataDir(cfg, {
    source,
    seed: positiveInt(values, 'seed', 1),
    negativesPerPositive: positiveInt(values, 'negatives', 4),
    epochs: positiveInt(values, 'epochs', 10),
    log: (line) => console.error(line),
  });
  const { model, dir, evaluation: ev, examples: ex } = res;
  let notified: number | undefined;
  if (typeof values.notify === 'string') {
    const r = await fetch(`${values.notify.replace(/\/$/, '')}/v1/models/ranking/reload`, { method: 'POST' });
    notified = r.status;
  }
  console.log(rankingTable(ev.rows));
  console.log(`wrote ${dir} (CURRENT → ${model.version})`);
  console.log(
    JSON.stringify({
      version: model.version,
      dir,
      examples: ex.n,
      source: ex.source,
      best_epoch: ev.multitask.bestEpoch,
      examples_per_s: Math.round(ev.multitask.examplesPerSec),
      test: ev.rows.filter((r) => r.model === 'multitask'),
      wall_s: Math.round((performance.now() - t0) / 100) / 10,
      notified,
    }),
  );
}

export async function runEvalRanking(argv: string[]): Promise<void> {
  const { values } = parse(argv, OPTIONS);
  const cfg = configFrom(values);
  const { ex, name } = await loadExamples(values, cfg);
  const split = timeSplit(ex.ts, { validFraction: 0.1, testFraction: 0.1 });
  const ev = await evaluateRankersForTraining(ex, split, values, cfg);
  console.log(`ranking evaluation on ${name} (${ex.source}): ${ex.n} examples, time split train ${split.train.length} / valid ${split.valid.length} / test ${split.test.length} (test from ${new Date(split.testFromMs).toISOString()})`);
  console.log(`multi-task shape chosen on valid: ${ev.selection.map((x) => `emb ${x.embDim} → valid loss ${x.validLoss.toFixed(5)}`).join(', ')}; kept emb ${ev.multitask.model.spec.embDim}`);
  console.log(rankingTable(ev.rows));
  for (const h of ev.heads) {
    const d = ev.aucDiff[h];
    console.log(`  ${h.padEnd(9)} multitask − ${d.baseline}: AUC ${d.diff >= 0 ? '+' : ''}${d.diff.toFixed(4)} (95% CI ${d.ciLow.toFixed(4)} … ${d.ciHigh.toFixed(4)})`);
  }
  const beaten = ev.heads.filter((h) => ev.wins[h]);
  console.log(`multi-task beats both baselines on AUC for ${beaten.length}/${ev.heads.length} heads with enough positives (${ev.heads.join(', ')})`);
  console.log(
    JSON.stringify({
      dataset: name,
      source: ex.source,
      examples: ex.n,
      split: { train: split.train.length, valid: split.valid.length, test: split.test.length, valid_from: split.validFromMs, test_from: split.testFromMs },
      negative_sampling: ex.negativeSampling ?? null,
      heads: ev.heads,
      rows: ev.rows.map((r) => ({ ...r, auc: round(r.auc), log_loss: round(r.log_loss), ece: round(r.ece) })),
      multitask_beats_baselines: ev.wins,
      auc_diff_vs_best_baseline: Object.fromEntries(ev.heads.map((h) => [h, { baseline: ev.aucDiff[h].baseline, diff: round(ev.aucDiff[h].diff), ci_low: round(ev.aucDiff[h].ciLow), ci_high: round(ev.aucDiff[h].ciHigh) }])),
      model_selection: ev.selection.map((x) => ({ ...x, validLoss: round(x.validLoss) })),
      selected_emb_dim: ev.multitask.model.spec.embDim,
      all_heads_beaten: beaten.length === ev.heads.length && ev.heads.length > 0,
      train_examples_per_s: Math.round(ev.multitask.examplesPerSec),
    }),
  );
}

function evaluateRankersForTraining(ex: RankingExamples, split: TimeSplit, values: Values, cfg: FeedloopConfig) {
  return rankerEvaluation(ex, split, cfg, { epochs: positiveInt(values, 'epochs', 10), seed: positiveInt(values, 'seed', 1), log: (line) => console.error(line) });
}

const round = (x: number) => Math.round(x * 1e5) / 1e5;
