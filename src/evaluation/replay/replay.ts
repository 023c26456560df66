/**
 * Prequential (test-then-learn) replay. Events stream in time order through every variant; at each evaluation point
 * (an event chosen by src/evaluation/replay/sampling.ts) every variant is first asked for its top K for that user at
 * the event's own time, and only then does the event reach the variants:
 *
 *   for each event e (time order):
 *     every variant: advanceTo(e.ts)                       daily-batch variants refresh at a new UTC day here
 *     if e is a point: every variant: recommend(e.user, e.ts, exclude = e.user's items so far, K)
 *                      hit when e.item is in the top K; NDCG@K = 1 / log2(rank + 2)   (metrics.ts)
 *     every variant: observe(e); e.item joins the user's items
 *
 * All variants answer on exactly the same points with the same exclusions, so their metrics compare directly. The
 * user's items so far are excluded for every variant (a MovieLens user rates a movie once, so they can never be the
 * next item); the pipeline's own filters apply on top. Points are also split by whether the user had already
 * interacted earlier the same UTC day — the points where a daily refresh cannot know the user's current session.
 */
import type { StoredEvent } from '../../domain/schemas.js';
import { NextItemMetrics } from './metrics.js';
import { utcDayStart, type ReplayVariant } from './replay-variant.js';

export interface ReplayOptions {
  /** Cut-off of the metrics (HR@K, NDCG@K). */
  k: number;
  /** Indices of the evaluation points into `events`, ascending. */
  points: readonly number[];
  /** Awaited every `chunkEvents` events (progress, or pausing a long run). */
  onChunk?: (eventsDone: number, pointsDone: number) => Promise<void> | void;
  chunkEvents?: number;
}

export interface VariantResult {
  variant: string;
  points: number;
  hitRate: number;
  ndcg: number;
  /** Points where the user had interacted earlier the same UTC day, and the metrics there. */
  sameDayPoints: number;
  sameDayHitRate: number;
  sameDayNdcg: number;
  /** Mean time of one `recommend` call, ms. */
  meanRequestMs: number;
  degradedRequests: number;
}

export interface ReplayResult {
  events: number;
  points: number;
  k: number;
  variants: VariantResult[];
  elapsedMs: number;
}

function itemOf(e: StoredEvent): string | undefined {
  return 'item_id' in e && typeof e.item_id === 'string' ? e.item_id : undefined;
}

/** Replays `events` (time order) through `variants`, scoring each at `opts.points` (see the file comment). */
export async function runReplay(events: readonly StoredEvent[], variants: readonly ReplayVariant[], opts: ReplayOptions): Promise<ReplayResult> {
  const t0 = performance.now();
  const metrics = variants.map(() => new NextItemMetrics(opts.k));
  const requestMs = variants.map(() => 0);
  const history = new Map<string, Set<string>>();
  const lastDay = new Map<string, number>();
  const chunk = opts.chunkEvents ?? 5000;
  let p = 0;
  let prevTs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.ts < prevTs) throw new RangeError(`events must be in time order: event ${i} (${e.id}) is earlier than event ${i - 1}`);
    prevTs = e.ts;
    for (const v of variants) v.advanceTo(e.ts);
    let seen = history.get(e.user_id);
    if (!seen) history.set(e.user_id, (seen = new Set()));
    const item = itemOf(e);
    while (p < opts.points.length && opts.points[p] < i) p++;
    if (p < opts.points.length && opts.points[p] === i && item !== undefined) {
      const sameDay = lastDay.get(e.user_id) === utcDayStart(e.ts);
      for (let v = 0; v < variants.length; v++) {
        const tr = performance.now();
        const recs = await variants[v].recommend(e.user_id, e.ts, seen, opts.k);
        requestMs[v] += performance.now() - tr;
        metrics[v].add(recs, item, sameDay);
      }
      p++;
    }
    for (const v of variants) v.observe(e);
    if (item !== undefined) seen.add(item);
    lastDay.set(e.user_id, utcDayStart(e.ts));
    if (opts.onChunk && (i + 1) % chunk === 0) await opts.onChunk(i + 1, metrics[0]?.points ?? 0);
  }
  const points = metrics[0]?.points ?? 0;
  return {
    events: events.length,
    points,
    k: opts.k,
    variants: variants.map((v, j) => ({
      variant: v.name,
      points: metrics[j].points,
      hitRate: metrics[j].hitRate,
      ndcg: metrics[j].ndcg,
      sameDayPoints: metrics[j].segment.points,
      sameDayHitRate: metrics[j].segmentHitRate,
      sameDayNdcg: metrics[j].segmentNdcg,
      meanRequestMs: points ? requestMs[j] / points : 0,
      degradedRequests: v.degradedRequests,
    })),
    elapsedMs: performance.now() - t0,
  };
}
