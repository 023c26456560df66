/**
 * One training run of the serving ranker from an engine data directory: examples (serve log, else backfill), a time
 * split (80/10/10), the multi-task model trained on train with early stopping and calibration on valid, test metrics
 * next to the two baselines, and the versioned artefact written with CURRENT pointing at it. What
 * `feedloop train ranking` and the demo's ranker comparison run.
 */
import { join, resolve } from 'node:path';
import type { FeedloopConfig } from '../../config/config.js';
import { ValidationError } from '../../errors.js';
import { evaluateRankers, type RankingEvalResult } from '../../evaluation/ranking-eval.js';
import { rankingModelsDir, saveRankerArtefact, setCurrentRankingModel } from '../../ranking/multitask/artefact.js';
import type { MultiTaskModel } from '../../ranking/multitask/model.js';
import type { RankingExamples, TimeSplit } from './examples.js';
import { timeSplit } from './time-split.js';
import { examplesFromDataDir, type TrainingSetOptions } from './training-set.js';

export interface TrainFromDataDirOptions extends TrainingSetOptions {
  epochs?: number;
  /** Heads are reported when test has at least this many positives and negatives (default 50). */
  minPositives?: number;
  log?: (line: string) => void;
}

export interface TrainFromDataDirResult {
  model: MultiTaskModel;
  dir: string;
  examples: RankingExamples;
  split: TimeSplit;
  evaluation: RankingEvalResult;
}

export async function trainRankerFromDataDir(cfg: FeedloopConfig, o: TrainFromDataDirOptions = {}): Promise<TrainFromDataDirResult> {
  const ex = await examplesFromDataDir(cfg, o);
  if (ex.n === 0) throw new ValidationError('no ranking examples: the log has no impressions joined to served requests, nor exposures to backfill', 'data');
  o.log?.(`examples: ${ex.n} from ${ex.source} ${JSON.stringify(ex.stats)}`);
  const split = timeSplit(ex.ts, { validFraction: 0.1, testFraction: 0.1 });
  const evaluation = await rankerEvaluation(ex, split, cfg, o);
  const model = evaluation.multitask.model;
  model.parts.meta.data = {
    source: ex.source,
    examples: ex.n,
    train: split.train.length,
    valid: split.valid.length,
    test: split.test.length,
    first: new Date(ex.ts[0]).toISOString(),
    last: new Date(ex.ts[ex.n - 1]).toISOString(),
    negativeSampling: ex.negativeSampling ?? null,
  };
  model.parts.meta.metrics = { test: evaluation.rows, selection: evaluation.selection, bestEpoch: evaluation.multitask.bestEpoch, examplesPerSec: Math.round(evaluation.multitask.examplesPerSec) };
  const dataDir = resolve(cfg.data.dir);
  const dir = join(rankingModelsDir(dataDir), model.version);
  await saveRankerArtefact(model, dir, cfg.ranking.valueWeights);
  await setCurrentRankingModel(dataDir, model.version);
  return { model, dir, examples: ex, split, evaluation };
}

/** The multi-task model next to logistic regression and the heuristic ranker on one split (see ranking-eval.ts). */
export function rankerEvaluation(
  ex: RankingExamples,
  split: TimeSplit,
  cfg: FeedloopConfig,
  o: { epochs?: number; seed?: number; minPositives?: number; log?: (line: string) => void },
): Promise<RankingEvalResult> {
  const epochs = o.epochs ?? 10;
  const seed = o.seed ?? 1;
  return evaluateRankers(ex, split, {
    heuristicWeights: cfg.ranking.heuristicWeights,
    multitask: { epochs, seed, patience: 2 },
    logistic: { epochs, seed, patience: 2 },
    minPositives: o.minPositives,
    log: o.log,
  });
}
