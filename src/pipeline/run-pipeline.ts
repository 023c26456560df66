/**
 * Runs one feed request through a PipelineSpec inside the latency ledger, timing every stage.
 *
 * Failure and deadline policy (every fallback is named in the response's `fallbacks`, in `debug.degraded` and in
 * metrics):
 * - the user's features fail → the request continues as a cold start (`feature-store:user`);
 * - a source throws or misses `latency.sourcesMs` → dropped (`source:<name>` / `source:<name>:deadline`);
 * - the store fails while filtering or assembling features → the request is served from the fallback lists
 *   (`feature-store`);
 * - the ranker throws or misses its deadline (`latency.rankingMs`, cut to what is left of `sourcesMs + rankingMs`
 *   since the request started) → the fallback ranker orders the slate (`ranker:<name>` / `ranker:<name>:deadline`,
 *   fallback `fallback-ranker`);
 * - a re-ranker throws → skipped; side effects run after the response and never fail it;
 * - a slate shorter than the limit is topped up from trending + fresh (passing the filters), and when the store
 *   cannot answer, from the precomputed popular list (`trending+fresh`, `popular-list`): a feed is never empty while
 *   anything is popular.
 */
import type { FeedDebug, FeedResponse, ServeRecord } from '../domain/feed.js';
import type { ItemBatch } from '../features/feature-store.js';
import { assembleFeatures } from '../ranking/feature-assembly.js';
import type { RankingBatch, RankResult } from '../ranking/ranker.js';
import type { SlateItem, SlateItemInfo } from '../reranking/reranker.js';
import type { FeedloopConfig } from '../config/config.js';
import { explorationPool } from '../exploration/exploration-pool.js';
import { explorerFor } from '../exploration/explorers.js';
import { requestRand } from '../exploration/request-rand.js';
import { withDeadline } from './deadline.js';
import type { Candidate, FeedContext } from './feed-context.js';
import type { PipelineSpec } from './home-feed.js';
import type { PopularList } from './popular-list.js';
import { applyFilters, pickRows } from '../filtering/apply-filters.js';
import { ITEM_SERVING_FEATURES } from '../features/definitions.js';
import { argsortDesc } from '../util/argsort.js';
import { topUp } from './top-up.js';
import { mergeCandidates } from './merge-candidates.js';
import { round, roundAll, serveRecord } from './serve-record.js';

export interface PipelineObserver {
  stage?(stage: string, ms: number): void;
  candidates?(source: string, n: number): void;
  removed?(filter: string, reason: string, n: number): void;
  degraded?(component: string): void;
  fallback?(name: string): void;
}

export interface RunOptions {
  /** Deadline of the candidate sources, ms. */
  sourcesMs?: number;
  /**
   * Deadline of the ranker, ms from when ranking starts, but never later than `sourcesMs + rankingMs` after the
   * request started (the ledger's candidates + ranking budget): a request that spent longer on its candidates (a
   * GC pause, a slow filter) gives a late ranker less time, so a late ranker does not push it past the ledger.
   */
  rankingMs?: number;
  /** The last-resort list when the store cannot answer. */
  popular?: PopularList;
  /** Exploration settings (config `exploration`); used by pipelines with `explore: true`. */
  exploration?: FeedloopConfig['exploration'];
}

/** Salt of the per-request exploration RNG (replays of a request id reproduce its draws). */
export const EXPLORATION_SALT = 0x5107;

export interface PipelineRun {
  response: FeedResponse;
  /** Builds the serve record and runs the side effects; call after the response is sent. */
  finish(): void;
}

const EMPTY_ATTRS: ItemBatch = { known: new Uint8Array(0), deleted: new Uint8Array(0), authorIds: [], categories: [], createdAtMs: new Float64Array(0) };

export async function runPipeline(spec: PipelineSpec, ctx: FeedContext, debug: boolean, obs: PipelineObserver = {}, opts: RunOptions = {}): Promise<PipelineRun> {
  const timings: Record<string, number> = {};
  const degraded: string[] = [];
  const fallbacks: string[] = [];
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
  const fallback = (name: string) => {
    if (fallbacks.includes(name)) return;
    fallbacks.push(name);
    obs.fallback?.(name);
  };
  const limit = ctx.request.limit;

  // 0. the user's real-time features (undefined: cold start)
  try {
    ctx.user = ctx.store.describe('user', ctx.request.userId, ctx.request.nowMs);
  } catch {
    degrade('feature-store:user');
  }
  lap('user');

  // 1. sources, concurrently, each within the sources deadline; merged keeping every proposing source
  const bySource: Record<string, number> = {};
  const sourcesMs = opts.sourcesMs ?? Number.POSITIVE_INFINITY;
  const results = await Promise.all(
    spec.sources.map(async (src) => {
      const quota = ctx.config.quotas[src.name] ?? 100;
      const out = await withDeadline(sourcesMs, (signal) => src.fetch(ctx, quota, signal));
      if (out.ok) return { src, items: out.value };
      degrade(out.reason === 'timeout' ? `source:${src.name}:deadline` : `source:${src.name}`);
      return { src, items: [] };
    }),
  );
  let candidates = mergeCandidates(results, (h, id) => ctx.store.isHandleOf(h, id), ctx.exclude);
  for (const { src, items } of results) {
    bySource[src.name] = items.length;
    obs.candidates?.(src.name, items.length);
  }
  lap('sources');

  // 2. filters and 3. features: both read the store; if it fails, the request is served from the fallback lists
  const removed: ServeRecord['removed'] = [];
  const removedByReason: Record<string, number> = {};
  let attrs = EMPTY_ATTRS;
  let batch: RankingBatch;
  let storeOk = true;
  try {
    // one read per candidate: the filters' attributes and the ranker's item features together (so the `filters`
    // timing includes reading the item features, and `features` is the cross features and the batch)
    const itemValues = new Float32Array(candidates.length * ITEM_SERVING_FEATURES.length);
    const ids = new Array<string>(candidates.length);
    const handles = new Int32Array(candidates.length);
    for (let i = 0; i < candidates.length; i++) {
      ids[i] = candidates[i].itemId;
      handles[i] = candidates[i].handle ?? -1;
    }
    attrs = ctx.store.candidateBatch(ids, ctx.request.nowMs, itemValues, handles);
    const counts = new Map<string, number>(); // `filter\0reason` → removals
    let kept: number[];
    ({ candidates, attrs, kept } = applyFilters(spec.filters, ctx, candidates, attrs, (filter, itemId, reason) => {
      removed.push({ item_id: itemId, filter, reason });
      removedByReason[reason] = (removedByReason[reason] ?? 0) + 1;
      const key = `${filter}\0${reason}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }));
    for (const [key, n] of counts) {
      const [filter, reason] = key.split('\0');
      obs.removed?.(filter, reason, n);
    }
    lap('filters');
    const keptValues = kept.length === itemValues.length / ITEM_SERVING_FEATURES.length ? itemValues : pickRows(itemValues, kept, ITEM_SERVING_FEATURES.length);
    batch = assembleFeatures(ctx, candidates, attrs, keptValues);
  } catch {
    storeOk = false;
    degrade('feature-store');
    fallback('feature-store');
    lap('filters');
    candidates = [];
    attrs = EMPTY_ATTRS;
    batch = { candidates, featureNames: [], features: new Float32Array(0), attrs };
  }
  lap('features');

  // 4. ranking within the ranking deadline, else the fallback ranker
  let ranker = spec.ranker;
  let ranked: RankResult = { scores: new Float32Array(0) };
  if (candidates.length > 0) {
    const rankingMs = rankingDeadline(opts, performance.now() - t0);
    const out = await withDeadline(rankingMs, (signal) => spec.ranker.rank(ctx, batch, signal));
    if (out.ok && out.value.scores.length === candidates.length) ranked = out.value;
    else {
      degrade(out.ok || out.reason === 'error' ? `ranker:${spec.ranker.name}` : `ranker:${spec.ranker.name}:deadline`);
      fallback('fallback-ranker');
      ranker = spec.fallbackRanker;
      ranked = await spec.fallbackRanker.rank(ctx, batch);
    }
  }
  // the re-rankers see the ranker's best `rerankDepth` candidates (exploration below still draws from all of them)
  const order = argsortDesc(ranked.scores);
  const depth = Math.min(order.length, Math.max(limit, ctx.config.rerankDepth));
  let slate: SlateItem[] = new Array<SlateItem>(depth);
  for (let k = 0; k < depth; k++) {
    const i = order[k];
    slate[k] = { itemId: candidates[i].itemId, sources: candidates[i].sources, score: ranked.scores[i], propensity: 1 };
  }
  lap('ranking');

  // 5. re-rankers; what they know of an item is built on first use
  const indexOf = candidateIndex(candidates, order, depth);
  const infos = new Map<string, SlateItemInfo>();
  const infoOf = (id: string): SlateItemInfo | undefined => {
    let info = infos.get(id);
    if (info) return info;
    const i = indexOf(id);
    if (i === undefined) return undefined;
    info = { authorId: attrs.authorIds[i], category: attrs.categories[i], createdAtMs: attrs.known[i] ? attrs.createdAtMs[i] : Number.NaN, vector: () => ctx.itemVector?.(id) };
    infos.set(id, info);
    return info;
  };
  for (const r of spec.rerankers) {
    try {
      slate = r.rerank(ctx, slate, limit, (id) => infoOf(id)!);
    } catch {
      degrade(`reranker:${r.name}`);
    }
  }
  slate = slate.slice(0, limit);

  // 6. exploration: a share of slots to items with few impressions, every shown item's propensity logged
  const ex = opts.exploration;
  if (spec.explore && ex && ex.share > 0 && storeOk && slate.length > 0) {
    try {
      // a pool within poolSize comes in candidate order: the sort orders it (a few dozen entries)
      const pool = explorationPool(candidates, batch.features, batch.featureNames, ex.maxImpressions, { slate, scores: ranked.scores, attrs, limit: ex.poolSize, unique: true })
        .sort((a, b) => b.item.score - a.item.score)
        .slice(0, ex.poolSize);
      slate = explorerFor(ex.policy).explore(
        slate,
        pool,
        {
          share: ex.share,
          propensityDraws: ex.propensityDraws,
          maxPerAuthor: ctx.config.maxPerAuthor,
          authorWindow: ctx.config.authorWindow,
          maxPerCategory: ctx.config.maxPerCategory,
          categoryWindow: ctx.config.categoryWindow,
          infoOf: (id) => infoOf(id) ?? {},
        },
        requestRand(ctx.request.requestId, EXPLORATION_SALT),
      );
    } catch {
      degrade(`explorer:${ex.policy}`);
    }
  }

  // 7. a short slate is topped up: trending + fresh through the filters, else the popular list
  if (slate.length < limit) {
    const rankedItems = () => Array.from(order.subarray(0, Math.min(order.length, 4 * limit + slate.length)), (i) => ({ itemId: candidates[i].itemId, sources: candidates[i].sources, score: ranked.scores[i], propensity: 1 }));
    slate = topUp(spec, ctx, slate, limit, storeOk, opts.popular, fallback, (id) => infoOf(id)?.authorId, rankedItems);
  }
  lap('reranking');
  timings.total = performance.now() - t0;
  obs.stage?.('total', timings.total);

  const response: FeedResponse = {
    request_id: ctx.request.requestId,
    variant: spec.name,
    items: slate.map((s, position) => ({ item_id: s.itemId, score: round(s.score), sources: s.sources.map((x) => x.name), position })),
  };
  if (fallbacks.length) response.fallbacks = [...fallbacks];
  if (degraded.length) response.degraded = [...degraded];
  if (debug) {
    const dbg: FeedDebug = { timings_ms: roundAll(timings), candidates_by_source: bySource, removed_by_reason: removedByReason, degraded, candidates_ranked: candidates.length };
    dbg.ranker = { name: ranker.name, version: ranker.version };
    dbg.item_scores = Object.fromEntries(
      slate.flatMap((s) => {
        const i = indexOf(s.itemId);
        if (i === undefined) return [];
        const parts: Record<string, number> = { ranker_score: round(ranked.scores[i]) };
        for (const [name, values] of Object.entries(ranked.components ?? {})) parts[name] = round(values[i]);
        return [[s.itemId, parts]];
      }),
    );
    response.debug = dbg;
  }
  return {
    response,
    finish: () => {
      const started = performance.now();
      const record = serveRecord(spec.name, ctx, batch, ranked, ranker.version, removed, slate, timings, degraded, fallbacks);
      for (const se of spec.sideEffects) {
        try {
          se.run(record);
        } catch {
          obs.degraded?.(`side-effect:${se.name}`);
        }
      }
      // work the response did not wait for, but the next request on this event loop may
      obs.stage?.('after-response', performance.now() - started);
    },
  };
}

/** The ranker's deadline, ms, `elapsedMs` into the request: `rankingMs`, cut to what is left of `sourcesMs + rankingMs` (≥ 0). */
export function rankingDeadline(opts: Pick<RunOptions, 'sourcesMs' | 'rankingMs'>, elapsedMs: number): number {
  const rankingMs = opts.rankingMs ?? Number.POSITIVE_INFINITY;
  const left = (opts.sourcesMs ?? Number.POSITIVE_INFINITY) + rankingMs - elapsedMs;
  return Math.max(0, Math.min(rankingMs, left));
}

/**
 * Index of a candidate by item id (ids are unique after the merge), undefined for others. The re-rankers ask about
 * the slate, so the ranker's best `depth` are indexed first and the rest only when an id is not found among them.
 */
function candidateIndex(candidates: readonly Candidate[], order: ArrayLike<number>, depth: number): (itemId: string) => number | undefined {
  const index = new Map<string, number>();
  const first = order.length === candidates.length ? depth : 0;
  for (let k = 0; k < first; k++) index.set(candidates[order[k]].itemId, order[k]);
  let complete = first === candidates.length;
  return (itemId) => {
    const i = index.get(itemId);
    if (i !== undefined || complete) return i;
    complete = true;
    for (let j = 0; j < candidates.length; j++) index.set(candidates[j].itemId, j);
    return index.get(itemId);
  };
}
