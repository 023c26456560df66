/**
 * Training examples for the multi-task ranker: one row per (user, item) exposure with the feature vector the ranker
 * saw (or would have seen) at that moment, the labels that followed, and the exposure's time.
 *
 * Two builders produce them (both point-in-time correct, both tested for leakage):
 * - `examplesFromServeLog` (from-serve-log.ts): impressions joined to the logged serve record (features exactly as
 *   served) and to the reactions within a label window;
 * - `backfillExamples` (backfill.ts): for history without a serve log (imported datasets), the event log replayed
 *   into a fresh feature store, features assembled before each exposure is applied, plus sampled negatives.
 */

/** The ranker's heads, in output order. `watch` is the expected watch ratio in [0, 1]; the others are probabilities. */
export const RANKING_TASKS = ['complete', 'like', 'share', 'follow', 'hide', 'watch'] as const;
export type RankingTask = (typeof RANKING_TASKS)[number];

export interface RankingExamples {
  /** Names of the columns of `features` (RANKING_FEATURES when built by this module). */
  featureNames: readonly string[];
  /** Number of examples. */
  n: number;
  /** Row-major n × featureNames.length, float32 as the ranker saw it. */
  features: Float32Array;
  /** Exposure time (serve time, or the event's time in a backfill), ms. Examples are in non-decreasing `ts` order. */
  ts: Float64Array;
  userIds: string[];
  itemIds: string[];
  /** The item's author and category at exposure time (undefined when the catalog had none). */
  authorIds: (string | undefined)[];
  categories: (string | undefined)[];
  /** Per task, one label per example: 0/1 (`watch`: a ratio in [0, 1]); NaN = unknown for this example (masked in training and metrics). */
  labels: Record<RankingTask, Float32Array>;
  /**
   * Importance weight of each example: 1 for real exposures; for a sampled negative, 1 / (probability that this
   * negative was sampled) — the inverse of the sampling ratio, so weighted statistics describe the full population.
   */
  weights: Float32Array;
  /** The request that served it (serve-log examples), else undefined. */
  requestIds?: (string | undefined)[];
  /** Where the examples came from. */
  source: 'serve-log' | 'backfill';
  /** Backfill only: how many negatives were sampled per exposure, and the mean kept fraction of the eligible negatives. */
  negativeSampling?: { perPositive: number; meanKeptFraction: number };
  /** Counters of what the builder saw and dropped (e.g. impressions without a serve record), for the report. */
  stats: Record<string, number>;
}

/** Indices of a time split. Every train ts < every valid ts ≤ … < every test ts boundary (ties go to the later part). */
export interface TimeSplit {
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  /** The cut times: valid starts at `validFromMs`, test at `testFromMs`. */
  validFromMs: number;
  testFromMs: number;
}
