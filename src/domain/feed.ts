/**
 * The feed's wire contract (GET /v1/feed) and the serve-log record every served request leaves behind.
 */

/** One slot of a served slate. */
export interface FeedItem {
  item_id: string;
  /** Final score after re-ranking (higher is better); comparable only within one response. */
  score: number;
  /** Names of every candidate source that proposed the item. */
  sources: string[];
  /** 0-based slot; clients echo it in the `impression` event with the `request_id`. */
  position: number;
}

export interface FeedResponse {
  request_id: string;
  /** Pipeline variant that served the request (`home` unless asked otherwise). */
  variant: string;
  items: FeedItem[];
  /** Corrections made to the request (e.g. a capped limit). */
  notices?: string[];
  /**
   * Fallbacks that served this request, when any fired: `fallback-ranker` (the ranker failed or missed its deadline),
   * `feature-store` (the store failed: served from the fallback lists), `trending+fresh` / `popular-list` (a short
   * slate was topped up). Components dropped or replaced are listed in `degraded`.
   */
  fallbacks?: string[];
  /**
   * Components dropped, cut at their deadline or replaced in this request, when any: `source:<name>` (e.g.
   * `source:two-tower` when the ANN index fails), `source:<name>:deadline`, `ranker:<name>[:deadline]`,
   * `feature-store[:user]`, `reranker:<name>`.
   */
  degraded?: string[];
  /** The experiments the user is in and their arm (`holdout` for holdout users), when any (src/experiments/). */
  experiments?: ExperimentArm[];
  /** Present with `debug=1`: per-stage timings (ms), candidate counts, degraded stages. */
  debug?: FeedDebug;
}

/** A user's arm in one experiment. */
export interface ExperimentArm {
  id: string;
  arm: string;
}

export interface FeedDebug {
  timings_ms: Record<string, number>;
  candidates_by_source: Record<string, number>;
  removed_by_reason: Record<string, number>;
  degraded: string[];
  /** Candidates left after the filters, i.e. scored by the ranker. */
  candidates_ranked: number;
  limit_capped?: boolean;
  /** The ranker that scored the slate (name and model version). */
  ranker?: { name: string; version: string };
  /**
   * Per served item: the ranker's score and its named components (a learned ranker's calibrated heads, e.g.
   * `p_like`, `watch_ratio`), so the value model's terms can be read off: score = Σ weight × head.
   */
  item_scores?: Record<string, Record<string, number>>;
}

/**
 * What the serve log stores per request: enough to rebuild the ranker's training example (features exactly as the
 * ranker saw them) and to evaluate other policies off-line (propensities).
 */
export interface ServeRecord {
  request_id: string;
  /** Server time of the request, ms. */
  ts: number;
  user_id: string;
  session_id?: string;
  variant: string;
  /** Request context: limit, whether the user was known, … */
  context: Record<string, string | number | boolean>;
  config_version: string;
  model_versions: Record<string, string>;
  /** Names of the ranker's feature vector, in order. */
  feature_names: string[];
  /** Every candidate that reached the ranker, in the ranker's input order (only the served ones with `feed.serveLogCandidates: "served"`). */
  candidates: { item_id: string; sources: { name: string; score: number }[] }[];
  /** The ranker's input: row-major candidates × feature_names, float32 exactly as the ranker saw it. */
  features: Float32Array;
  /** Scores per candidate (index-aligned with `candidates`): `score`, plus any named components of the ranker. */
  scores: Record<string, Float32Array>;
  /** Candidates removed by filters. */
  removed: { item_id: string; filter: string; reason: string }[];
  /**
   * The slate served. `propensity`: the probability of this item at this position under the serving policy, given
   * the items served at earlier positions (their product is the probability of the whole slate); 1 − share for a kept
   * slot, share × the pick probability for an exploration slot (`explored`), 1 when no exploration was possible.
   */
  slate: { item_id: string; position: number; score: number; propensity: number; explored?: boolean }[];
  timings_ms: Record<string, number>;
  degraded: string[];
  /** The experiments the user was in and their arm, when any (as in the response). */
  experiments?: ExperimentArm[];
}
