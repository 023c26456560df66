/** Runs filters in order over candidates and their attributes, keeping the two index-aligned. */
import type { ItemBatch } from '../features/feature-store.js';
import type { Candidate, FeedContext } from '../pipeline/feed-context.js';
import type { Filter } from './filter.js';

/** The rows `keep` of an item batch. */
export function pickAttrs(a: ItemBatch, keep: number[]): ItemBatch {
  return {
    known: Uint8Array.from(keep, (i) => a.known[i]),
    deleted: Uint8Array.from(keep, (i) => a.deleted[i]),
    authorIds: keep.map((i) => a.authorIds[i]),
    categories: keep.map((i) => a.categories[i]),
    createdAtMs: Float64Array.from(keep, (i) => a.createdAtMs[i]),
  };
}

/**
 * The candidates (and their attributes) every filter keeps. `removed(filter, itemId, reason)` is told of each
 * removal, in filter order.
 */
export function applyFilters(
  filters: readonly Filter[],
  ctx: FeedContext,
  candidates: Candidate[],
  attrs: ItemBatch,
  removed: (filter: string, itemId: string, reason: string) => void = () => {},
): { candidates: Candidate[]; attrs: ItemBatch } {
  for (const f of filters) {
    const verdicts = f.apply(ctx, candidates, attrs);
    const keep: number[] = [];
    verdicts.forEach((reason, i) => {
      if (reason === undefined) keep.push(i);
      else removed(f.name, candidates[i].itemId, reason);
    });
    if (keep.length !== candidates.length) {
      const before = candidates;
      candidates = keep.map((i) => before[i]);
      attrs = pickAttrs(attrs, keep);
    }
  }
  return { candidates, attrs };
}
