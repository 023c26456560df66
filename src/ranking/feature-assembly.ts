/**
 * Feature assembly: the vector the ranker sees per candidate = the item's real-time serving features
 * (ITEM_SERVING_FEATURES, read from the store in one call) + user×item cross features computed once per request:
 *
 * | name | value |
 * |---|---|
 * | category_affinity | user's decayed positives in the item's category / all their positives − ½ × the same for skips |
 * | author_affinity | the same over authors |
 * | follows_author | 1 if the user follows the item's author |
 * | freshness | exp(−age_hours / 24) |
 * | source_count | number of sources that proposed the item |
 * | covis_score | log1p(co-visitation source score) |
 * | user_like_rate | the user's smoothed like rate |
 * | session_items | items impressed in the user's current session |
 */
import { ITEM_SERVING_FEATURES } from '../features/definitions.js';
import type { ItemBatch } from '../features/feature-store.js';
import type { Candidate, FeedContext } from '../pipeline/feed-context.js';
import type { RankingBatch } from './ranker.js';

export const CROSS_FEATURES = [
  'category_affinity',
  'author_affinity',
  'follows_author',
  'freshness',
  'source_count',
  'covis_score',
  'user_like_rate',
  'session_items',
] as const;

export const RANKING_FEATURES: readonly string[] = [...ITEM_SERVING_FEATURES, ...CROSS_FEATURES];

/**
 * The ranking batch of `candidates`. `itemValues`, when given, holds their ITEM_SERVING_FEATURES already read
 * (row-major, index-aligned, e.g. by FeatureStore.candidateBatch); else they are read from the store.
 */
export function assembleFeatures(ctx: FeedContext, candidates: readonly Candidate[], attrs: ItemBatch, itemValues?: Float32Array): RankingBatch {
  const F = RANKING_FEATURES.length;
  const I = ITEM_SERVING_FEATURES.length;
  const n = candidates.length;
  let item = itemValues;
  if (!item) {
    item = new Float32Array(n * I);
    ctx.store.itemFeatures(candidates.map((c) => c.itemId), ctx.request.nowMs, item);
  } else if (item.length < n * I) throw new RangeError(`itemValues holds ${item.length} values, need ${n * I}`);
  const features = new Float32Array(n * F);
  const categories = affinity(ctx.user?.maps.categories);
  const authors = affinity(ctx.user?.maps.authors);
  const followed = new Set((ctx.user?.lists.followed ?? []).map((x) => x.id));
  const likeRate = ctx.user?.values.like_rate ?? 0;
  const sessionItems = ctx.user?.values.session_items ?? 0;
  const ageCol = ITEM_SERVING_FEATURES.indexOf('age_hours');
  for (let i = 0; i < n; i++) {
    const o = i * F;
    const io = i * I;
    for (let j = 0; j < I; j++) features[o + j] = item[io + j];
    const c = candidates[i];
    const cat = attrs.categories[i];
    const author = attrs.authorIds[i];
    let k = o + I;
    features[k++] = cat === undefined ? 0 : (categories.get(cat) ?? 0);
    features[k++] = author === undefined ? 0 : (authors.get(author) ?? 0);
    features[k++] = author !== undefined && followed.has(author) ? 1 : 0;
    features[k++] = attrs.known[i] ? Math.exp(-item[i * I + ageCol] / 24) : 0;
    features[k++] = c.sources.length;
    let covis = 0;
    for (const s of c.sources) if (s.name === 'covisitation') covis = s.score;
    features[k++] = Math.log1p(covis);
    features[k++] = likeRate;
    features[k++] = sessionItems;
  }
  return { candidates, featureNames: RANKING_FEATURES, features, attrs };
}

/** key → share of positives − ½ share of skips, from a user top-K map. */
function affinity(map: { key: string; values: Record<string, number> }[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!map?.length) return out;
  const pos = map.reduce((s, e) => s + e.values.positives, 0) + 1;
  const skips = map.reduce((s, e) => s + e.values.skips, 0) + 1;
  for (const e of map) out.set(e.key, e.values.positives / pos - (0.5 * e.values.skips) / skips);
  return out;
}
