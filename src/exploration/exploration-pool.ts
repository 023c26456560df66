/**
 * The exploration pool: ranked candidates that did not make the slate and have been shown little, with the counters
 * the pick rules read, taken from the ranker's feature rows (no extra feature-store read):
 *   impressions = expm1(log_impressions_1d)
 *   positives   = expm1(log_likes_1d) + expm1(log_completions_1d)
 * (decayed 1-day counters, log1p-transformed in ITEM_SERVING_FEATURES; a completed-and-liked impression counts twice,
 * which only sharpens the Beta posterior's first shape). Kept: impressions < maxImpressions.
 */
import { FeedloopError } from '../errors.js';
import type { ITEM_SERVING_FEATURES } from '../features/definitions.js';
import type { Candidate } from '../pipeline/feed-context.js';
import type { ExplorationCandidate } from './explorer.js';
import { argsortDesc } from '../util/argsort.js';

type ServingFeature = (typeof ITEM_SERVING_FEATURES)[number];
const IMPRESSIONS: ServingFeature = 'log_impressions_1d';
const LIKES: ServingFeature = 'log_likes_1d';
const COMPLETIONS: ServingFeature = 'log_completions_1d';

export interface PoolInputs {
  /** The slate's items: excluded from the pool. */
  slate: readonly { itemId: string }[];
  /** Ranking scores, index-aligned with the candidates; default: a candidate's own `score` if it has one, else 0. */
  scores?: ArrayLike<number>;
  /** Catalog attributes, index-aligned with the candidates (`RankingBatch.attrs`); else the explorer asks `infoOf`. */
  attrs?: { authorIds: readonly (string | undefined)[]; categories: readonly (string | undefined)[] };
  /**
   * When more candidates are eligible, keep only the `limit` best by score, best first (ties in candidate order),
   * building entries for those alone (a pool of ~1000 candidates of which the explorer reads a few dozen). Applied
   * when `scores` is a Float32Array; a pool within the limit stays in candidate order.
   */
  limit?: number;
  /**
   * The candidates' ids are known to be unique (the merge's output): only the slate's ids are set aside, without a
   * set of every candidate id (~1000 insertions per request).
   */
  unique?: boolean;
}

/**
 * Builds the pool from a ranking batch: `features` is row-major candidates × featureNames. Returns the candidates not
 * in the slate (first occurrence of an id) with impressions < maxImpressions, in candidate order, each with
 * `propensity` 1 (the explorer sets it). With `inputs.limit` and more eligible candidates than that, only the best
 * `limit` by score, best first. Returns [] when the counters are not among `featureNames` (a degraded batch without
 * features). NaN counters read as 0. Throws FeedloopError `invalid_batch` when `features` does not hold one
 * row per candidate.
 */
export function explorationPool(
  candidates: readonly Candidate[],
  features: Float32Array,
  featureNames: readonly string[],
  maxImpressions: number,
  inputs: PoolInputs,
): ExplorationCandidate[] {
  const F = featureNames.length;
  const impCol = featureNames.indexOf(IMPRESSIONS);
  const likeCol = featureNames.indexOf(LIKES);
  const complCol = featureNames.indexOf(COMPLETIONS);
  if (impCol < 0 || likeCol < 0 || complCol < 0 || candidates.length === 0) return [];
  if (features.length !== candidates.length * F) {
    throw new FeedloopError('invalid_batch', 'server', `features hold ${features.length} values, expected ${candidates.length} × ${F}`);
  }
  const exclude = new Set<string>();
  for (const s of inputs.slate) exclude.add(s.itemId);
  const unique = inputs.unique === true;
  const scoreOf = (i: number): number => {
    const own = (candidates[i] as { score?: unknown }).score;
    return inputs.scores ? inputs.scores[i] : typeof own === 'number' ? own : 0;
  };
  // the eligible candidates, in candidate order
  const eligible: number[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (exclude.has(c.itemId)) continue;
    if (!unique) exclude.add(c.itemId);
    if (count(features[i * F + impCol]) < maxImpressions) eligible.push(i);
  }
  let chosen: ArrayLike<number> = eligible;
  const { limit, scores } = inputs;
  if (limit !== undefined && scores instanceof Float32Array && eligible.length > limit) {
    const s = new Float32Array(eligible.length);
    for (let k = 0; k < eligible.length; k++) s[k] = scores[eligible[k]];
    const order = argsortDesc(s).subarray(0, Math.max(0, limit));
    chosen = Array.from(order, (k) => eligible[k]);
  }
  const out: ExplorationCandidate[] = new Array<ExplorationCandidate>(chosen.length);
  for (let k = 0; k < chosen.length; k++) {
    const i = chosen[k];
    const c = candidates[i];
    const o = i * F;
    out[k] = {
      item: { itemId: c.itemId, sources: c.sources, score: scoreOf(i), propensity: 1 },
      impressions: count(features[o + impCol]),
      positives: count(features[o + likeCol]) + count(features[o + complCol]),
      authorId: inputs.attrs?.authorIds[i],
      category: inputs.attrs?.categories[i],
    };
  }
  return out;
}

/** A log1p-transformed counter back to a count (NaN or negative → 0). */
function count(logValue: number): number {
  const v = Math.expm1(logValue);
  return v > 0 ? v : 0;
}
