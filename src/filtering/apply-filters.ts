/** Runs filters in order over candidates and their attributes, keeping the two index-aligned. */
import type { ItemBatch } from '../features/feature-store.js';
import type { Candidate, FeedContext } from '../pipeline/feed-context.js';
import type { Filter } from './filter.js';

/** The rows `keep` of an item batch. */
export function pickAttrs(a: ItemBatch, keep: readonly number[]): ItemBatch {
  const n = keep.length;
  const out: ItemBatch = {
    known: new Uint8Array(n),
    deleted: new Uint8Array(n),
    authorIds: new Array<string | undefined>(n),
    categories: new Array<string | undefined>(n),
    createdAtMs: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    const i = keep[k];
    out.known[k] = a.known[i];
    out.deleted[k] = a.deleted[i];
    out.authorIds[k] = a.authorIds[i];
    out.categories[k] = a.categories[i];
    out.createdAtMs[k] = a.createdAtMs[i];
  }
  return out;
}

/**
 * The candidates (and their attributes) every filter keeps, and `kept`: their indexes in the input (ascending).
 * `removed(filter, itemId, reason)` is told of each removal, in filter order.
 */
export function applyFilters(
  filters: readonly Filter[],
  ctx: FeedContext,
  candidates: Candidate[],
  attrs: ItemBatch,
  removed: (filter: string, itemId: string, reason: string) => void = () => {},
): { candidates: Candidate[]; attrs: ItemBatch; kept: number[] } {
  let kept: number[] | undefined; // undefined while every input candidate is kept
  for (const f of filters) {
    const verdicts = f.apply(ctx, candidates, attrs);
    let keep: number[] | undefined; // built on the first removal
    for (let i = 0; i < verdicts.length; i++) {
      const reason = verdicts[i];
      if (reason === undefined) {
        keep?.push(i);
        continue;
      }
      if (!keep) keep = Array.from({ length: i }, (_, j) => j);
      removed(f.name, candidates[i].itemId, reason);
    }
    if (keep) {
      const before = candidates;
      candidates = keep.map((i) => before[i]);
      attrs = pickAttrs(attrs, keep);
      const prev = kept;
      kept = prev ? keep.map((i) => prev[i]) : keep;
    }
  }
  return { candidates, attrs, kept: kept ?? Array.from({ length: candidates.length }, (_, i) => i) };
}

/** Rows `kept` of a row-major matrix with `width` values per row. */
export function pickRows(values: Float32Array, kept: readonly number[], width: number): Float32Array {
  const out = new Float32Array(kept.length * width);
  // element by element: a subarray view per row was this stage's largest allocation
  for (let k = 0, o = 0; k < kept.length; k++) {
    const from = kept[k] * width;
    for (let j = 0; j < width; j++) out[o++] = values[from + j];
  }
  return out;
}
