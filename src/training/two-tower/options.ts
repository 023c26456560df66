/**
 * Options of `trainTwoTower` and their defaults.
 */
import type { IdMode } from '../embedding-table.js';
import type { ItemSide } from './types.js';

/** Training options (all optional; defaults are the ML-1M settings). */
export interface TrainTwoTowerOptions {
  seed?: number;
  dim?: number;
  hidden?: number;
  temperature?: number;
  historyMax?: number;
  batchSize?: number;
  uniformNegatives?: number;
  /** Apply logQ correction to sampled candidates (default true). */
  logQ?: boolean;
  epochs?: number;
  /** Stop after this many evaluations without a better valid Recall@20. */
  patience?: number;
  embeddingOptimizer?: 'adagrad' | 'adam';
  lrEmbedding?: number;
  lrDense?: number;
  weightDecay?: number;
  initScale?: number;
  /** Pool the user's history from the item id table itself (one item table) instead of a separate history table. */
  shareItemTable?: boolean;
  /** Probability of dropping an item's id embedding in training (teaches the side features to stand alone). */
  itemIdDropout?: number;
  userIdMode?: IdMode;
  itemIdMode?: IdMode;
  userBuckets?: number;
  itemBuckets?: number;
  itemSideBuckets?: number;
  userSideBuckets?: number;
  itemSides?: (ItemSide | undefined)[];
  threads?: number;
  /** Evaluate on valid every N epochs (default 1); 0 = never (no early stopping). */
  evalEvery?: number;
  /** Called every `stepEvery` steps with the running loss (for progress bars). */
  onStep?: (p: StepProgress) => void;
  stepEvery?: number;
}

/** Per-step progress. */
export interface StepProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
}

/** Defaults: the settings tuned on the ML-1M split's valid set (test R@10 0.158, NDCG@10 0.316 there). */
export const DEFAULT_TRAIN_OPTIONS = {
  seed: 1,
  dim: 64,
  hidden: 64,
  temperature: 0.15,
  historyMax: 64,
  batchSize: 1024,
  uniformNegatives: 1024,
  logQ: true,
  epochs: 15,
  patience: 3,
  embeddingOptimizer: 'adagrad' as 'adagrad' | 'adam',
  lrEmbedding: 0.15,
  lrDense: 1e-3,
  weightDecay: 0,
  initScale: 0.1,
  itemIdDropout: 0,
  shareItemTable: true,
  userIdMode: 'dense' as IdMode,
  itemIdMode: 'dense' as IdMode,
  userBuckets: 1 << 20,
  itemBuckets: 1 << 20,
  itemSideBuckets: 1 << 14,
  userSideBuckets: 1 << 10,
  threads: 2,
  evalEvery: 1,
  stepEvery: 50,
};

/** Resolved options. */
export type ResolvedTrainOptions = typeof DEFAULT_TRAIN_OPTIONS & Pick<TrainTwoTowerOptions, 'itemSides' | 'onStep'>;


/** Defaults overridden by every option that is set (an explicit `undefined` keeps the default). */
export function resolveTrainOptions(opts: TrainTwoTowerOptions): ResolvedTrainOptions {
  const set = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_TRAIN_OPTIONS, ...set };
}
