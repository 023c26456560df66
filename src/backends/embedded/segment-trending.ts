/**
 * Trending lists per user segment (country, language): for each segment value, the items with the most decayed
 * engagement from users of that segment, fed by increments as events are applied (see TrendingList.add).
 *
 * Memory is bounded: K items per segment (`features.categoryTrendingK`) and at most `MAX_SEGMENTS_PER_KIND` segment
 * values per kind, taken in the order they first receive engagement (later ones are not tracked). Both the per-list
 * slot layout and the map's insertion order are snapshotted, so a restored store evolves exactly as the original.
 */
import type { UserSegment } from '../../features/feature-store.js';
import { TrendingList } from './trending-list.js';

/** Segment values tracked per kind (ISO 3166 has 249 countries; BCP 47 tags in use number a few hundred). */
export const MAX_SEGMENTS_PER_KIND = 512;

export const SEGMENT_KINDS: readonly UserSegment[] = ['country', 'language'];

/** Snapshot form: per kind, [dictionary code, list snapshot] in insertion order. */
export type SegmentTrendingSnapshot = Record<UserSegment, [number, { rows: number[]; keys: number[] }][]>;

export class SegmentTrending {
  private readonly lists: Record<UserSegment, Map<number, TrendingList>> = { country: new Map(), language: new Map() };

  constructor(
    readonly k: number,
    readonly tauMs: number,
    readonly maxSegments = MAX_SEGMENTS_PER_KIND,
  ) {}

  /** Adds `amount` of engagement at `tsMs` to item `row` in segment `code` of `kind` (code < 0: no segment). */
  add(kind: UserSegment, code: number, row: number, amount: number, tsMs: number): void {
    if (code < 0 || !(amount > 0)) return;
    const lists = this.lists[kind];
    let list = lists.get(code);
    if (!list) {
      if (lists.size >= this.maxSegments) return;
      lists.set(code, (list = new TrendingList(this.k, this.tauMs)));
    }
    list.add(row, amount, tsMs);
  }

  /** The segment's list, or undefined for an unknown kind or a segment without engagement. */
  list(kind: string, code: number): TrendingList | undefined {
    return kind === 'country' || kind === 'language' ? this.lists[kind].get(code) : undefined;
  }

  /** Number of segment lists of a kind. */
  count(kind: UserSegment): number {
    return this.lists[kind].size;
  }

  snapshot(): SegmentTrendingSnapshot {
    const of = (kind: UserSegment) => [...this.lists[kind]].map(([code, list]) => [code, list.snapshot()] as [number, { rows: number[]; keys: number[] }]);
    return { country: of('country'), language: of('language') };
  }

  /** Replaces the state with a snapshot's (undefined: empty, e.g. a snapshot written before these lists existed). */
  restore(s: SegmentTrendingSnapshot | undefined): void {
    for (const kind of SEGMENT_KINDS) {
      this.lists[kind].clear();
      for (const [code, snap] of s?.[kind] ?? []) {
        const list = new TrendingList(this.k, this.tauMs);
        list.restore(snap);
        this.lists[kind].set(code, list);
      }
    }
  }
}
