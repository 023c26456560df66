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
}

/**
 * Builds the pool from a ranking batch: `features` is row-major candidates × featureNames. Returns the candidates not
 * in the slate (first occurrence of an id) with impressions < maxImpressions, in candidate order, each with
 * `propensity` 1 (the explorer sets it). Returns [] when the counters are not among `featureNames` (a degraded batch
 * without features). NaN counters read as 0. Throws FeedloopError `invalid_batch` when `features` does not hold one
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
  const exclude = new Set(inputs.slate.map((s) => s.itemId));
  const out: ExplorationCandidate[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (exclude.has(c.itemId)) continue;
    exclude.add(c.itemId);
    const o = i * F;
    const impressions = count(features[o + impCol]);
    if (!(impressions < maxImpressions)) continue;
    const positives = count(features[o + likeCol]) + count(features[o + complCol]);
    const own = (c as { score?: unknown }).score;
    const score = inputs.scores ? inputs.scores[i] : typeof own === 'number' ? own : 0;
    out.push({
      item: { itemId: c.itemId, sources: c.sources, score, propensity: 1 },
      impressions,
      positives,
      authorId: inputs.attrs?.authorIds[i],
      category: inputs.attrs?.categories[i],
    });
  }
  return out;
}

/** A log1p-transformed counter back to a count (NaN or negative → 0). */
function count(logValue: number): number {
  const v = Math.expm1(logValue);
  return v > 0 ? v : 0;
}
