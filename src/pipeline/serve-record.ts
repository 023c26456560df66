/** Builds the serve-log record of a request (see `ServeRecord` in src/domain/feed.ts). */
import type { ServeRecord } from '../domain/feed.js';
import type { RankingBatch, RankResult } from '../ranking/ranker.js';
import type { SlateItem } from '../reranking/reranker.js';
import type { FeedContext } from './feed-context.js';

export function serveRecord(
  variant: string,
  ctx: FeedContext,
  batch: RankingBatch,
  ranked: RankResult,
  rankerVersion: string,
  removed: ServeRecord['removed'],
  slate: SlateItem[],
  timings: Record<string, number>,
  degraded: string[],
  fallbacks: string[],
): ServeRecord {
  const keep = rowsToKeep(ctx.config.serveLogCandidates, batch, slate);
  const width = batch.featureNames.length;
  const pick = (a: Float32Array, w: number) => (keep ? Float32Array.from({ length: keep.length * w }, (_, k) => a[keep[Math.floor(k / w)] * w + (k % w)]) : a);
  const scores: Record<string, Float32Array> = {};
  for (const [name, values] of Object.entries({ score: ranked.scores, ...ranked.components })) scores[name] = pick(values, 1);
  return {
    request_id: ctx.request.requestId,
    ts: ctx.request.nowMs,
    user_id: ctx.request.userId,
    session_id: ctx.request.sessionId,
    variant,
    context: { limit: ctx.request.limit, known_user: ctx.user !== undefined, ...(fallbacks.length ? { fallbacks: fallbacks.join(',') } : {}) },
    config_version: ctx.configVersion,
    model_versions: { ranker: rankerVersion },
    feature_names: [...batch.featureNames],
    candidates: (keep ? keep.map((i) => batch.candidates[i]) : batch.candidates).map((c) => ({ item_id: c.itemId, sources: c.sources })),
    features: pick(batch.features, width),
    scores,
    removed,
    slate: slate.map((s, position) => ({ item_id: s.itemId, position, score: s.score, propensity: s.propensity, ...((s as { explored?: boolean }).explored ? { explored: true } : {}) })),
    timings_ms: roundAll(timings),
    degraded,
  };
}

/** Row indices of the served candidates (in ranker input order) when only those are logged, else undefined (all). */
function rowsToKeep(mode: 'all' | 'served', batch: RankingBatch, slate: SlateItem[]): number[] | undefined {
  if (mode === 'all') return undefined;
  const served = new Set(slate.map((s) => s.itemId));
  const rows: number[] = [];
  batch.candidates.forEach((c, i) => {
    if (served.has(c.itemId)) rows.push(i);
  });
  return rows;
}

export const round = (x: number) => Math.round(x * 1e6) / 1e6;
export const roundAll = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
