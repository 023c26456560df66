/** Min-heap primitives for top-k selection over (score, value) pairs in typed arrays (ANN adapters, epoch metrics). */

/** Inserts (s, v) at position `i` of a min-heap of `i` items. */
export function siftUp(scores: Float32Array, vals: Int32Array, i: number, s: number, v: number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (scores[parent] <= s) break;
    scores[i] = scores[parent];
    vals[i] = vals[parent];
    i = parent;
  }
  scores[i] = s;
  vals[i] = v;
}

/** Replaces the root of a min-heap of `size` items with (s, v) and restores the heap. */
export function siftDown(scores: Float32Array, vals: Int32Array, size: number, s: number, v: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    const c = r < size && scores[r] < scores[l] ? r : l;
    if (scores[c] >= s) break;
    scores[i] = scores[c];
    vals[i] = vals[c];
    i = c;
  }
  scores[i] = s;
  vals[i] = v;
}
