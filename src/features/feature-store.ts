/**
 * The `FeatureStore` port: the online store of real-time features, written by the stream processor and read by
 * the serving path and the debug API.
 *
 * Contract (test/conformance/feature-store.conformance.ts runs against every adapter):
 * - `apply` takes log entries in log order and the log positions reached after them; state reflects exactly the
 *   entries applied, and `positions()` returns the positions of the last `apply`. Applying the same sequence to two
 *   empty stores yields equal features.
 * - `checkpoint` makes state + positions durable together; after a crash the store comes back at the last
 *   checkpoint and the processor replays the log from `positions()` — so restart restores state exactly.
 * - Reads never throw for unknown ids: they return `undefined`.
 * - Values are as of `nowMs`: decayed counters are decayed to it, ages measured from it.
 */
import type { LogEntry } from '../log/log-entry.js';

export type Entity = 'user' | 'item' | 'author';
/** User profile attributes the store keeps trending lists for (`trendingIn`). */
export type UserSegment = 'country' | 'language';

export interface FeatureStore {
  readonly name: string;
  /** Log positions (next offset per partition) the state reflects; zeros for an empty store. */
  positions(): number[];
  apply(entries: readonly LogEntry[], positionsAfter: readonly number[]): void;
  /** Durably saves state and positions. */
  checkpoint(): Promise<void>;
  /** All features of one entity as of `nowMs`, for debugging and the freshness benchmark. */
  describe(entity: Entity, id: string, nowMs: number): EntityFeatures | undefined;
  /**
   * The current trending items, best first, with their decayed engagement score. This and the other candidate lists
   * below return new arrays of new objects, which the caller owns (sources re-score them in place).
   */
  trending(limit: number, nowMs: number): ScoredItem[];
  /** The category's trending items, best first. */
  trendingInCategory(category: string, limit: number, nowMs: number): ScoredItem[];
  /**
   * The items with the most decayed engagement from users of one country or language, best first, at most `limit`,
   * deleted items left out; score = that engagement (the `engagement` counter's amounts, decayed with the trending
   * window) decayed to `nowMs`. An event counts for the segment the acting user had when it was applied (a later
   * profile change moves only later events). Unknown segment kind or value → []. Adapters may bound memory (top-K
   * items per segment, a cap on segments), so scores past the head are estimates.
   */
  trendingIn(segment: UserSegment, value: string, limit: number, nowMs: number): ScoredItem[];
  /** Newest uploads no older than `maxAgeMs`, newest first; score = 1 − age / maxAge. */
  fresh(limit: number, nowMs: number, maxAgeMs: number): ScoredItem[];
  /** Items co-visited with `itemId`, by decayed co-visitation count. */
  covisited(itemId: string, limit: number, nowMs: number): ScoredItem[];
  /** The author's most recent uploads, newest first; score = upload time (ms). */
  authorUploads(authorId: string, limit: number): ScoredItem[];
  /** Every item id the store has seen (catalog or events), in first-seen order. */
  itemIds(): readonly string[];
  /** Attributes of many items at once, index-aligned with `ids` (unknown items: known = 0). */
  itemBatch(ids: readonly string[]): ItemBatch;
  /**
   * Writes ITEM_SERVING_FEATURES of each item into `out` (row-major, ids.length × names.length), as of `nowMs`;
   * unknown items get zeros. The ranker's hot path: no allocation per item.
   */
  itemFeatures(ids: readonly string[], nowMs: number, out: Float32Array): void;
  /**
   * `itemBatch(ids)` and `itemFeatures(ids, nowMs, out)` in one call, with the same results: the feed's read of
   * its candidates, which an adapter can serve with one lookup and one visit per item.
   */
  candidateBatch(ids: readonly string[], nowMs: number, out: Float32Array, handles?: ArrayLike<number>): ItemBatch;
  /**
   * A small non-negative integer naming the item in this store (−1 if unknown), fixed while the store is open (also
   * after the item is deleted); the lists above carry it in `ScoredItem.handle`. `candidateBatch` takes the items'
   * handles beside their ids (−1: unknown) and uses one only when it names that id, so a stale or foreign handle
   * costs a lookup, never a wrong row.
   */
  itemHandle(id: string): number;
  /** Whether `handle` is `itemHandle(id)`, in O(1) (no lookup by id). */
  isHandleOf(handle: number, id: string): boolean;
  /** Counts and bytes of what is stored, for the memory report and /metrics. */
  stats(): StoreStats;
  close(): Promise<void>;
}

export interface EntityFeatures {
  entity: Entity;
  id: string;
  /** Scalar features by name (counters per window, totals, rates, ages, session values). */
  values: Record<string, number>;
  /** Last-N lists, newest first. */
  lists: Record<string, { id: string; ts: number }[]>;
  /** Top-K maps, largest first. */
  maps: Record<string, { key: string; values: Record<string, number> }[]>;
  /** Catalog/profile attributes (author, category, country…). */
  attributes: Record<string, string | number | boolean | string[]>;
}

export interface ScoredItem {
  itemId: string;
  score: number;
  /**
   * The store's handle of the item (`FeatureStore.itemHandle`) when the source has it at hand (the store's own
   * lists, an ANN index given handles): the candidate read then skips looking the id up.
   */
  handle?: number;
}

export interface ItemBatch {
  known: Uint8Array;
  deleted: Uint8Array;
  authorIds: (string | undefined)[];
  categories: (string | undefined)[];
  createdAtMs: Float64Array;
}

export interface StoreStats {
  items: number;
  users: number;
  authors: number;
  /** Bytes of columnar feature slabs per table, excluding last-N lists. */
  bytesPerRow: Record<string, number>;
  /** Bytes allocated by last-N list arenas. */
  lastNBytes: number;
  totalBytes: number;
}
