/**
 * Offline evaluation of rankers on a time split of ranking examples, every model scored the same way on the test
 * part: per head, AUC (ranking quality), log-loss and expected calibration error (calibration fitted on valid only).
 *
 * Models:
 * - `multitask`: the multi-task ranker (id embeddings + shared layers + one head per task), its shape chosen among
 *   `candidates` by validation loss;
 * - `logistic`: logistic regression per head on the same dense features (same trainer, no hidden layer, no ids);
 * - `heuristic`: the serving heuristic ranker's score (Σ weight × feature, weights from config), one score for every
 *   head; its probabilities come from Platt scaling of that score on valid.
 * A head is reported when the test part has at least `minPositives` positives and as many negatives.
 */
import { textTable } from '../util/text-table.js';
import { predictLogits } from '../training/ranking/batch-graph.js';
import { calibrate, fitCalibrator, type Calibrator } from '../training/ranking/calibration.js';
import type { RankingExamples, RankingTask, TimeSplit } from '../training/ranking/examples.js';
import { auc, expectedCalibrationError, logLoss, positives } from '../training/ranking/metrics.js';
import { trainRanker, type RankerTrainOptions, type TrainedRanker } from '../training/ranking/train-ranker.js';
import { mulberry32 } from '../util/prng.js';

export interface HeadMetrics {
  model: string;
  head: RankingTask;
  auc: number;
  log_loss: number;
  ece: number;
  test_positives: number;
  test_examples: number;
}

export interface RankingEvalResult {
  rows: HeadMetrics[];
  /** Heads with enough positives on test (the ones compared). */
  heads: RankingTask[];
  multitask: TrainedRanker;
  logistic: TrainedRanker;
  /** Heads where the multi-task model's AUC beats both baselines. */
  wins: Record<string, boolean>;
  /** Per head: multi-task AUC − the better baseline's, with a 95 % paired-bootstrap interval over test examples. */
  aucDiff: Record<string, { baseline: string; diff: number; ciLow: number; ciHigh: number }>;
  /** The multi-task shapes tried and their validation losses (the lowest is `multitask`). */
  selection: { embDim: number; hidden: number[]; validLoss: number }[];
}

const DEFAULT_CANDIDATES: RankerTrainOptions[] = [{ embDim: 8 }, { embDim: 0 }];

export interface RankingEvalOptions {
  heuristicWeights: Readonly<Record<string, number>>;
  minPositives?: number;
  multitask?: RankerTrainOptions;
  /**
   * Shapes of the multi-task model to try (each overrides `multitask`); the one with the lowest validation loss is
   * kept — model selection on valid, never on test. Default: 8-wide id embeddings, and none (sparse ids can overfit
   * when users and items have few examples each).
   */
  candidates?: RankerTrainOptions[];
  /** Paired bootstrap resamples of the test set for the AUC-difference intervals (Poisson(1) weights). */
  bootstrapResamples?: number;
  logistic?: RankerTrainOptions;
  log?: (line: string) => void;
}

export async function evaluateRankers(ex: RankingExamples, split: TimeSplit, o: RankingEvalOptions): Promise<RankingEvalResult> {
  const log = o.log ?? (() => {});
  const minPos = o.minPositives ?? 50;
  const epochLine = (name: string) => (e: { epoch: number; trainLoss: number; validLoss: number; examplesPerSec: number; best: boolean }) =>
    log(`${name} epoch ${e.epoch} | train loss ${e.trainLoss.toFixed(4)} | valid loss ${e.validLoss.toFixed(4)} | ${Math.round(e.examplesPerSec)} ex/s${e.best ? ' *' : ''}`);
  let multitask: TrainedRanker | undefined;
  const selection: { embDim: number; hidden: number[]; validLoss: number }[] = [];
  for (const c of o.candidates ?? DEFAULT_CANDIDATES) {
    const shape = `multitask(emb ${c.embDim ?? 8})`;
    const trained = await trainRanker(ex, split, { onEpoch: epochLine(shape), ...o.multitask, ...c });
    const validLoss = trained.epochs[trained.bestEpoch - 1]?.validLoss ?? Infinity;
    selection.push({ embDim: trained.model.spec.embDim, hidden: trained.model.spec.hidden, validLoss });
    log(`${shape}: best valid loss ${validLoss.toFixed(5)} (epoch ${trained.bestEpoch})`);
    if (!multitask || validLoss < (multitask.epochs[multitask.bestEpoch - 1]?.validLoss ?? Infinity)) multitask = trained;
  }
  if (!multitask) throw new Error('no multi-task candidate to train');
  const logistic = await trainRanker(ex, split, { epochs: 10, onEpoch: epochLine('logistic'), ...o.logistic, kind: 'logistic' });
  const tasks = multitask.model.spec.tasks;
  const test = split.test;
  const labelsOf = (task: RankingTask, idx: Int32Array) => Float32Array.from(idx, (i) => ex.labels[task][i]);
  const heads = tasks.filter((task) => {
    const y = labelsOf(task, test);
    const known = y.filter((v) => !Number.isNaN(v)).length;
    const pos = positives(y);
    return pos >= minPos && known - pos >= minPos;
  });

  const rows: HeadMetrics[] = [];
  const testScores = new Map<string, Float32Array>();
  const add = (model: string, task: RankingTask, score: Float32Array, prob: Float32Array) => {
    const y = labelsOf(task, test);
    testScores.set(`${model}|${task}`, score);
    rows.push({
      model,
      head: task,
      auc: auc(score, y),
      log_loss: logLoss(prob, y),
      ece: expectedCalibrationError(prob, y),
      test_positives: positives(y),
      test_examples: y.filter((v) => !Number.isNaN(v)).length,
    });
  };
  // learned models: calibrated heads (calibrators were fitted on valid by the trainer); scored on the sampled test
  // distribution (no population correction) so that every model is compared on the same examples
  for (const [name, trained] of [
    ['multitask', multitask],
    ['logistic', logistic],
  ] as const) {
    const logits = await predictLogits(trained.model, ex, test);
    const T = trained.model.spec.tasks.length;
    const probs = trained.model.spec.tasks.map(() => new Float32Array(test.length));
    trained.model.headOutputs(logits, test.length, probs, false);
    for (const task of heads) {
      const t = trained.model.taskIndex(task);
      add(name, task, Float32Array.from(test, (_, k) => logits[k * T + t]), probs[t]);
    }
  }
  // the heuristic ranker: one score, Platt-calibrated per head on valid
  const hValid = heuristicScores(ex, split.valid, o.heuristicWeights);
  const hTest = heuristicScores(ex, test, o.heuristicWeights);
  for (const task of heads) {
    const c: Calibrator = fitCalibrator('platt', hValid, labelsOf(task, split.valid));
    add('heuristic', task, hTest, hTest.map((s) => calibrate(c, s)));
  }
  const wins: Record<string, boolean> = {};
  const aucDiff: Record<string, { baseline: string; diff: number; ciLow: number; ciHigh: number }> = {};
  for (const task of heads) {
    const get = (m: string) => rows.find((r) => r.model === m && r.head === task)?.auc ?? Number.NaN;
    wins[task] = get('multitask') > get('logistic') && get('multitask') > get('heuristic');
    const baseline = get('logistic') >= get('heuristic') ? 'logistic' : 'heuristic';
    aucDiff[task] = {
      baseline,
      ...pairedBootstrapAucDiff(testScores.get(`multitask|${task}`)!, testScores.get(`${baseline}|${task}`)!, labelsOf(task, test), o.bootstrapResamples ?? 100, 7),
    };
  }
  return { rows, heads, multitask, logistic, wins, aucDiff, selection };
}

/**
 * AUC(a) − AUC(b) on the same examples, and a 95 % percentile interval from a paired bootstrap: each resample
 * weights every example by a Poisson(1) draw (the same weights for both models), so the interval reflects how much
 * the difference depends on which test examples happened to be drawn.
 */
export function pairedBootstrapAucDiff(a: Float32Array, b: Float32Array, labels: Float32Array, resamples: number, seed: number): { diff: number; ciLow: number; ciHigh: number } {
  const diff = auc(a, labels) - auc(b, labels);
  const rand = mulberry32(seed);
  const w = new Float32Array(labels.length);
  const diffs: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < w.length; i++) w[i] = poisson1(rand);
    diffs.push(auc(a, labels, w) - auc(b, labels, w));
  }
  diffs.sort((x, y) => x - y);
  const q = (p: number) => diffs[Math.min(diffs.length - 1, Math.max(0, Math.floor(p * diffs.length)))] ?? Number.NaN;
  return { diff, ciLow: q(0.025), ciHigh: q(0.975) };
}

/** A Poisson(1) draw (Knuth's method). */
function poisson1(rand: () => number): number {
  const limit = Math.exp(-1);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

/** The heuristic ranker's score of examples `idx`: Σ weight × feature over the example's logged features. */
export function heuristicScores(ex: RankingExamples, idx: Int32Array, weights: Readonly<Record<string, number>>): Float32Array {
  const F = ex.featureNames.length;
  const w = ex.featureNames.map((f) => weights[f] ?? 0);
  const out = new Float32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const o = idx[k] * F;
    let s = 0;
    for (let f = 0; f < F; f++) s += w[f] * ex.features[o + f];
    out[k] = s;
  }
  return out;
}

/** The report table: one line per head and model. */
export function rankingTable(rows: HeadMetrics[]): string {
  const head = ['head', 'model', 'AUC', 'log-loss', 'ECE', 'test pos', 'test n'];
  const cells = rows.map((r) => [r.head, r.model, r.auc.toFixed(4), r.log_loss.toFixed(4), r.ece.toFixed(4), String(Math.round(r.test_positives)), String(r.test_examples)]);
  return textTable([head, ...cells], 2);
}
