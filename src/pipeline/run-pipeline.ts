/**
 * Runs one feed request through a PipelineSpec, timing every stage. Failure policy: a source that throws is
 * dropped (fails open); a ranker that throws is replaced by the fallback ranker; a re-ranker that throws is skipped;
 * side effects run after the response and never fail it. Every degradation is named in `debug.degraded`.
 */
import type { FeedDebug, FeedResponse, ServeRecord } from '../domain/feed.js';
import type { ItemBatch } from '../features/feature-store.js';
import { assembleFeatures } from '../ranking/feature-assembly.js';
import type { RankingBatch, RankResult } from '../ranking/ranker.js';
import type { SlateItem, SlateItemInfo } from '../reranking/reranker.js';
import type { Candidate, FeedContext } from './feed-context.js';
import type { PipelineSpec } from './home-feed.js';

export interface PipelineObserver {
  stage?(stage: string, ms: number): void;
  candidates?(source: string, n: number): void;
  removed?(filter: string, reason: string, n: number): void;
  degraded?(component: string): void;
}

export interface PipelineRun {
  response: FeedResponse;
  /** Builds the serve record and runs the side effects; call after the response is sent. */
  finish(): void;
}

export async function runPipeline(spec: PipelineSpec, ctx: FeedContext, debug: boolean, obs: PipelineObserver = {}): Promise<PipelineRun> {
  const timings: Record<string, number> = {};
  const degraded: string[] = [];
  const t0 = performance.now();
  let mark = t0;
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = now - mark;
    obs.stage?.(stage, now - mark);
    mark = now;
  };
  const degrade = (component: string) => {
    degraded.push(component);
    obs.degraded?.(component);
  };

  // 0. the user's real-time features (undefined: cold start)
  ctx.user = ctx.store.describe('user', ctx.request.userId, ctx.request.nowMs);
  lap('user');

  // 1. sources, concurrently; merged with de-duplication that keeps every proposing source
  const bySource: Record<string, number> = {};
  const results = await Promise.all(
    spec.sources.map(async (src) => {
      try {
        return { src, items: await src.fetch(ctx, ctx.config.quotas[src.name] ?? 100) };
      } catch {
        degrade(`source:${src.name}`);
        return { src, items: [] };
      }
    }),
  );
  const merged = new Map<string, Candidate>();
  for (const { src, items } of results) {
    bySource[src.name] = items.length;
    obs.candidates?.(src.name, items.length);
    for (const it of items) {
      const c = merged.get(it.itemId);
      if (c) c.sources.push({ name: src.name, score: it.score });
      else merged.set(it.itemId, { itemId: it.itemId, sources: [{ name: src.name, score: it.score }] });
    }
  }
  let candidates = [...merged.values()];
  lap('sources');

  // 2. filters
  let attrs = ctx.store.itemBatch(candidates.map((c) => c.itemId));
  const removed: ServeRecord['removed'] = [];
  const removedByReason: Record<string, number> = {};
  for (const f of spec.filters) {
    const verdicts = f.apply(ctx, candidates, attrs);
    const keep: number[] = [];
    const counts: Record<string, number> = {};
    verdicts.forEach((reason, i) => {
      if (reason === undefined) keep.push(i);
      else {
        removed.push({ item_id: candidates[i].itemId, filter: f.name, reason });
        counts[reason] = (counts[reason] ?? 0) + 1;
      }
    });
    for (const [reason, n] of Object.entries(counts)) {
      removedByReason[reason] = (removedByReason[reason] ?? 0) + n;
      obs.removed?.(f.name, reason, n);
    }
    if (keep.length !== candidates.length) {
      candidates = keep.map((i) => candidates[i]);
      attrs = pick(attrs, keep);
    }
  }
  lap('filters');

  // 3. features and ranking
  const batch = assembleFeatures(ctx, candidates, attrs);
  lap('features');
  let ranker = spec.ranker;
  let ranked: RankResult;
  try {
    ranked = await spec.ranker.rank(ctx, batch);
    if (ranked.scores.length !== candidates.length) throw new Error(`ranker ${spec.ranker.name} returned ${ranked.scores.length} scores for ${candidates.length}`);
  } catch {
    degrade(`ranker:${spec.ranker.name}`);
    ranker = spec.fallbackRanker;
    ranked = await spec.fallbackRanker.rank(ctx, batch);
  }
  const order = Array.from(candidates.keys()).sort((a, b) => ranked.scores[b] - ranked.scores[a]);
  let slate: SlateItem[] = order.map((i) => ({ ...candidates[i], score: ranked.scores[i], propensity: 1 }));
  lap('ranking');

  // 4. re-rankers
  const infoByItem = new Map<string, SlateItemInfo>(
    candidates.map((c, i) => [
      c.itemId,
      { authorId: attrs.authorIds[i], category: attrs.categories[i], createdAtMs: attrs.known[i] ? attrs.createdAtMs[i] : Number.NaN, vector: () => ctx.itemVector?.(c.itemId) },
    ]),
  );
  for (const r of spec.rerankers) {
    try {
      slate = r.rerank(ctx, slate, ctx.request.limit, (id) => infoByItem.get(id)!);
    } catch {
      degrade(`reranker:${r.name}`);
    }
  }
  slate = slate.slice(0, ctx.request.limit);
  lap('reranking');
  timings.total = performance.now() - t0;
  obs.stage?.('total', timings.total);

  const response: FeedResponse = {
    request_id: ctx.request.requestId,
    variant: spec.name,
    items: slate.map((s, position) => ({ item_id: s.itemId, score: round(s.score), sources: s.sources.map((x) => x.name), position })),
  };
  if (debug) {
    const dbg: FeedDebug = { timings_ms: roundAll(timings), candidates_by_source: bySource, removed_by_reason: removedByReason, degraded };
    dbg.ranker = { name: ranker.name, version: ranker.version };
    const index = new Map(candidates.map((c, i) => [c.itemId, i]));
    dbg.item_scores = Object.fromEntries(
      slate.map((s) => {
        const i = index.get(s.itemId)!;
        const parts: Record<string, number> = { ranker_score: round(ranked.scores[i]) };
        for (const [name, values] of Object.entries(ranked.components ?? {})) parts[name] = round(values[i]);
        return [s.itemId, parts];
      }),
    );
    response.debug = dbg;
  }
  return {
    response,
    finish: () => {
      const record = serveRecord(spec, ctx, batch, ranked, ranker.version, removed, slate, timings, degraded);
      for (const se of spec.sideEffects) {
        try {
          se.run(record);
        } catch {
          obs.degraded?.(`side-effect:${se.name}`);
        }
      }
    },
  };
}

function serveRecord(
  spec: PipelineSpec,
  ctx: FeedContext,
  batch: RankingBatch,
  ranked: RankResult,
  rankerVersion: string,
  removed: ServeRecord['removed'],
  slate: SlateItem[],
  timings: Record<string, number>,
  degraded: string[],
): ServeRecord {
  return {
    request_id: ctx.request.requestId,
    ts: ctx.request.nowMs,
    user_id: ctx.request.userId,
    session_id: ctx.request.sessionId,
    variant: spec.name,
    context: { limit: ctx.request.limit, known_user: ctx.user !== undefined },
    config_version: ctx.configVersion,
    model_versions: { ranker: rankerVersion },
    feature_names: [...batch.featureNames],
    candidates: batch.candidates.map((c) => ({ item_id: c.itemId, sources: c.sources })),
    features: batch.features,
    scores: { score: ranked.scores, ...ranked.components },
    removed,
    slate: slate.map((s, position) => ({ item_id: s.itemId, position, score: s.score, propensity: s.propensity })),
    timings_ms: roundAll(timings),
    degraded,
  };
}

function pick(a: ItemBatch, keep: number[]): ItemBatch {
  return {
    known: Uint8Array.from(keep, (i) => a.known[i]),
    deleted: Uint8Array.from(keep, (i) => a.deleted[i]),
    authorIds: keep.map((i) => a.authorIds[i]),
    categories: keep.map((i) => a.categories[i]),
    createdAtMs: Float64Array.from(keep, (i) => a.createdAtMs[i]),
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const roundAll = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
