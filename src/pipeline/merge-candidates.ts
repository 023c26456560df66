/** The candidate merge: the sources' items de-duplicated into candidates that keep every proposing source. */
import type { Candidate, ScoredItem } from './feed-context.js';
import { DenseMarks } from '../util/dense-marks.js';

/** The merge's marks by item handle, reused by every request (the merge runs without awaiting). */
const mergeMarks = new DenseMarks();

/**
 * The sources' items merged in source order, de-duplicated keeping every proposing source (in source order) and the
 * first handle given that `isHandleOf` confirms (the store's `isHandleOf`; others are dropped), items in `exclude`
 * left out. Items are found again by their handle (no map), and by id once an item without a confirmed handle shows
 * up (then all are indexed by id): an id has at most one confirmed handle, so both ways find the same candidate.
 * When `isHandleOf` throws (the store is failing), no handle is confirmed for the rest of the merge: the store's
 * failure is the filters' to report, not the merge's.
 */
export function mergeCandidates(
  results: readonly { src: { name: string }; items: readonly ScoredItem[] }[],
  isHandleOf: (handle: number, itemId: string) => boolean,
  exclude?: ReadonlySet<string>,
): Candidate[] {
  const out: Candidate[] = [];
  const marks = mergeMarks.begin();
  let confirming = true;
  const confirmed = (h: number, id: string): boolean => {
    if (!confirming) return false;
    try {
      return isHandleOf(h, id);
    } catch {
      confirming = false;
      return false;
    }
  };
  let byId: Map<string, number> | undefined;
  const indexAll = (): Map<string, number> => {
    if (!byId) {
      byId = new Map<string, number>();
      for (let j = 0; j < out.length; j++) byId.set(out[j].itemId, j);
    }
    return byId;
  };
  const find = (id: string, h: number): number => {
    if (h >= 0) {
      const i = marks.get(h);
      if (i >= 0 && out[i].itemId === id) return i;
      if (i < 0 && !byId) return -1; // every candidate so far is marked by its handle
    }
    return indexAll().get(id) ?? -1;
  };
  for (const { src, items } of results) {
    const name = src.name;
    for (let k = 0; k < items.length; k++) {
      const it = items[k];
      if (exclude?.has(it.itemId)) continue;
      const h = it.handle !== undefined && it.handle >= 0 && confirmed(it.handle, it.itemId) ? it.handle : -1;
      const i = find(it.itemId, h);
      if (i >= 0) {
        const c = out[i];
        c.sources.push({ name, score: it.score });
        if (c.handle! < 0 && h >= 0) c.handle = h;
        if (h >= 0 && marks.get(h) < 0) marks.set(h, i);
      } else {
        const at = out.length;
        out.push({ itemId: it.itemId, sources: [{ name, score: it.score }], handle: h });
        const marked = h >= 0 && marks.get(h) < 0 && marks.set(h, at);
        if (!marked || byId) indexAll().set(it.itemId, at);
      }
    }
  }
  return out;
}
