/**
 * Every real-time feature, declared once. The embedded feature store (and any later adapter) compiles these
 * declarations into storage primitives — decayed counters, exact totals, bounded last-N lists, bounded top-K maps,
 * scalars — and into one handler list per event type. The same code runs online (stream processor) and offline
 * (replaying a log up to a timestamp gives the features as of that time: see `replayFeaturesAsOf`).
 *
 * Names are stable: they appear in `GET /v1/{users,items}/:id/features`, the serve log and training sets.
 * A decayed counter `likes` with windows 1h/1d/7d reads as `likes_1h`, `likes_1d`, `likes_7d`; its exact running
 * sum as `likes_total`.
 */
import type { EventType, StoredEvent } from '../domain/schemas.js';

/** Per-event facts derived once before the handlers run. */
export interface EventFacts {
  /** Duration of the event's item, ms (0 when unknown). */
  durationMs: number;
  /** watch_ms / duration_ms, capped at 2, when both are known; else NaN. */
  watchRatio: number;
  /** complete, like, share, comment, or a view with watch ratio ≥ `features.positiveWatchRatio`. */
  positive: boolean;
}

export interface CounterDef {
  name: string;
  on: readonly EventType[];
  /** Amount added per event (default 1). */
  amount?: (e: StoredEvent, f: EventFacts) => number;
  /** Only events for which this holds count. */
  when?: (e: StoredEvent, f: EventFacts) => boolean;
}

export interface LastNDef {
  name: string;
  on: readonly EventType[];
  /** What the list holds: the event's item, or an author (the item's author, or the `author_id` of a follow). */
  of: 'item' | 'author';
  /** Config key (under `features`) giving the list's length. */
  size: 'lastN' | 'seenMax' | 'hiddenMax' | 'followMax';
  /** Only positive interactions. */
  positiveOnly?: boolean;
  /** Only `hide` events with this scope. */
  hideScope?: 'item' | 'author';
}

export interface RatioDef {
  name: string;
  /** Counter names; read from the longest window, smoothed towards the global rate. */
  num: string;
  den: string;
}

const watchMs = (e: StoredEvent) => ('watch_ms' in e && typeof e.watch_ms === 'number' ? e.watch_ms : 0);

/** The engagement counters kept for users, items (and partly authors). */
export const ENGAGEMENT_COUNTERS: readonly CounterDef[] = [
  { name: 'impressions', on: ['impression'] },
  { name: 'views', on: ['view'] },
  { name: 'completions', on: ['complete'] },
  { name: 'likes', on: ['like'] },
  { name: 'shares', on: ['share'] },
  { name: 'comments', on: ['comment'] },
  { name: 'skips', on: ['skip'] },
  { name: 'hides', on: ['hide'] },
  { name: 'positives', on: ['view', 'complete', 'like', 'share', 'comment'], when: (_e, f) => f.positive },
  { name: 'watch_ms', on: ['view', 'skip'], amount: watchMs },
];

/** Weighted engagement of an item; its decayed value (window `TRENDING_WINDOW`) is the trending score. */
export const ITEM_ENGAGEMENT: CounterDef = {
  name: 'engagement',
  on: ['view', 'complete', 'like', 'share', 'comment'],
  amount: (e, f) => {
    switch (e.type) {
      case 'view':
        return Number.isNaN(f.watchRatio) ? 0.5 : Math.min(1, f.watchRatio);
      case 'complete':
        return 1;
      case 'like':
      case 'comment':
        return 2;
      case 'share':
        return 3;
      default:
        return 0;
    }
  },
};
/** Index into `features.windowsSec` of the trending score's window (the 1-day window by default). */
export const TRENDING_WINDOW = 1;
/** Index into `features.windowsSec` of the window the user top-K maps decay with (the 7-day window). */
export const TOPK_WINDOW = 2;

export const FEATURE_DEFINITIONS = {
  item: {
    counters: [...ENGAGEMENT_COUNTERS, ITEM_ENGAGEMENT],
    ratios: [
      { name: 'completion_rate', num: 'completions', den: 'views' },
      { name: 'like_rate', num: 'likes', den: 'impressions' },
      { name: 'share_rate', num: 'shares', den: 'impressions' },
      { name: 'skip_rate', num: 'skips', den: 'impressions' },
      { name: 'hide_rate', num: 'hides', den: 'impressions' },
    ] as RatioDef[],
    /** item→item co-visitation: the item's top-K co-positive items, decayed (window TOPK_WINDOW). */
    topK: ['covis'],
  },
  user: {
    counters: [...ENGAGEMENT_COUNTERS, { name: 'follows', on: ['follow'] } as CounterDef],
    ratios: [
      { name: 'completion_rate', num: 'completions', den: 'views' },
      { name: 'like_rate', num: 'likes', den: 'impressions' },
      { name: 'skip_rate', num: 'skips', den: 'impressions' },
    ] as RatioDef[],
    /**
     * Bounded last-N lists with timestamps, newest first. `positives` feeds co-visitation; `impressed`, `hidden`,
     * `hidden_authors`, `completed` feed the feed's filters; `followed` the followed-authors source.
     */
    lastN: [
      { name: 'watched', on: ['view'], of: 'item', size: 'lastN' },
      { name: 'completed', on: ['complete'], of: 'item', size: 'lastN' },
      { name: 'liked', on: ['like'], of: 'item', size: 'lastN' },
      { name: 'skipped', on: ['skip'], of: 'item', size: 'lastN' },
      { name: 'positives', on: ['view', 'complete', 'like', 'share', 'comment'], of: 'item', size: 'lastN', positiveOnly: true },
      { name: 'impressed', on: ['impression'], of: 'item', size: 'seenMax' },
      { name: 'hidden', on: ['hide'], of: 'item', size: 'hiddenMax' },
      { name: 'hidden_authors', on: ['hide'], of: 'author', size: 'hiddenMax', hideScope: 'author' },
      { name: 'followed', on: ['follow'], of: 'author', size: 'followMax' },
    ] as LastNDef[],
    /** Per-category and per-author engagement: fields positives, impressions, skips (decayed, window TOPK_WINDOW). */
    topK: ['categories', 'authors'],
    topKFields: ['positives', 'impressions', 'skips'],
  },
  author: {
    /** The author's most recent uploads (item rows), pushed when a new item is first upserted. */
    uploadsListSize: 'authorUploadsN' as const,
    counters: [
      { name: 'impressions', on: ['impression'] },
      { name: 'positives', on: ['view', 'complete', 'like', 'share', 'comment'], when: (_e, f) => f.positive },
      { name: 'followers', on: ['follow'] },
      /** Added by the store when a new item of the author is first upserted (at its `created_at`). */
      { name: 'uploads', on: [] },
    ] as CounterDef[],
  },
} as const;

/** Window label: 3600 → "1h", 86400 → "1d", 604800 → "7d", 90 → "90s". */
export function windowLabel(sec: number): string {
  if (sec % 86_400 === 0) return `${sec / 86_400}d`;
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/**
 * The per-item real-time features the serving path reads for every candidate (FeatureStore.itemFeatures), in
 * this order. Counters are log1p-transformed; rates are the smoothed rates; ages in hours.
 */
export const ITEM_SERVING_FEATURES = [
  'log_impressions_1d',
  'log_views_1d',
  'log_completions_1d',
  'log_likes_1d',
  'log_shares_1d',
  'log_skips_1d',
  'log_hides_7d',
  'log_engagement_1h',
  'log_engagement_1d',
  'completion_rate',
  'like_rate',
  'share_rate',
  'skip_rate',
  'hide_rate',
  'age_hours',
  'duration_sec',
] as const;
