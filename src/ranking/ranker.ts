/**
 * The `Ranker` port: scores candidates from their feature vectors.
 *
 * Contract: `rank` returns one score per candidate, same length and order as `batch.candidates` (higher is better).
 * It may be async and may throw; the pipeline then orders the slate with the fallback ranker and reports the
 * fallback. `version` is written to the serve log with every request.
 */
import type { ItemBatch } from '../features/feature-store.js';
import type { Candidate, FeedContext } from '../pipeline/feed-context.js';

export interface RankingBatch {
  candidates: readonly Candidate[];
  /** Names of the columns of `features`. */
  featureNames: readonly string[];
  /** Row-major candidates × featureNames. */
  features: Float32Array;
  /** Catalog attributes of the candidates (author, category, …), index-aligned. */
  attrs: ItemBatch;
}

export interface Ranker {
  readonly name: string;
  readonly version: string;
  /** `signal` aborts at the ranking deadline (`latency.rankingMs`): the fallback ranker has then taken over. */
  rank(ctx: FeedContext, batch: RankingBatch, signal?: AbortSignal): RankResult | Promise<RankResult>;
}

export interface RankResult {
  scores: Float32Array;
  /** Optional named partial scores (e.g. heads of a multi-task model), index-aligned with the candidates, for the serve log and explanations. */
  components?: Record<string, Float32Array>;
}
