/**
 * Small helpers shared by the re-rankers: the slate's score range, a stable re-sort after score adjustments, and
 * string keys (authors, categories) interned to small integers so hot loops compare numbers and index typed arrays.
 */
import type { SlateItem } from './reranker.js';

/** max − min of the slate's finite scores; 0 when fewer than two finite scores. */
export function scoreRange(slate: readonly SlateItem[]): number {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of slate) {
    const x = s.score;
    if (!Number.isFinite(x)) continue;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return hi > lo ? hi - lo : 0;
}

/**
 * The whole slate with `delta[i]` added to item i's score, re-sorted best first. Ties (and NaN scores, which sort
 * last) keep their input order, so the result is deterministic. Items whose delta is 0 are passed through as the
 * same objects; adjusted items are shallow copies (the input is never mutated; `propensity` is kept).
 *
 * Cost: when the input is sorted (the port's contract), only the m adjusted items are sorted and then merged with the
 * others, O(n + m log m); otherwise a full O(n log n) sort. Both give the same order.
 */
export function adjustScores(slate: readonly SlateItem[], delta: Float64Array): SlateItem[] {
  const n = slate.length;
  const key = new Float64Array(n);
  const moved: number[] = [];
  let sorted = true;
  let prev = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const old = sortKey(slate[i].score);
    if (old > prev) sorted = false;
    prev = old;
    key[i] = sortKey(slate[i].score + delta[i]);
    if (delta[i] !== 0) moved.push(i);
  }
  // key[b] − key[a] is NaN only for equal infinities: fall through to the input order
  const byKey = (a: number, b: number) => key[b] - key[a] || a - b;
  let order: ArrayLike<number>;
  if (!sorted) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    order = all.sort(byKey);
  } else {
    moved.sort(byKey);
    // merge the moved items into the unmoved ones, which are still in order
    const merged = new Uint32Array(n);
    let j = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (delta[i] !== 0) continue;
      while (m < moved.length && byKey(moved[m], i) < 0) merged[j++] = moved[m++];
      merged[j++] = i;
    }
    while (m < moved.length) merged[j++] = moved[m++];
    order = merged;
  }
  const out = new Array<SlateItem>(n);
  for (let j = 0; j < n; j++) {
    const i = order[j];
    out[j] = delta[i] === 0 ? slate[i] : { ...slate[i], score: slate[i].score + delta[i] };
  }
  return out;
}

const sortKey = (score: number) => (Number.isNaN(score) ? Number.NEGATIVE_INFINITY : score);

/** Interns string keys as 0, 1, 2, …; `undefined` (unknown author or category) is −1 and never equals anything. */
export class KeyInterner {
  private readonly ids = new Map<string, number>();

  id(key: string | undefined): number {
    if (key === undefined) return -1;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    return id;
  }

  /** Number of distinct keys interned so far. */
  get size(): number {
    return this.ids.size;
  }
}
