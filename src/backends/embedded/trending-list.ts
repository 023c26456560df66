/**
 * A trending list: the K items with the highest decayed engagement, maintained incrementally.
 *
 * Items' decayed values are stored as of different reference times, so they are compared in the log domain:
 * key = ln(value) + refTs/τ is monotone in the value decayed to any common time, and cannot overflow.
 *
 * Two ways to feed it: `update` with an item's exact decayed value kept elsewhere (global and category lists), or
 * `add` with increments, the list then being the only place the value lives (per-segment lists). Either way the
 * result depends only on the sequence of calls, and `snapshot`/`restore` keep the slot layout, so a restored list
 * evolves exactly as the original.
 */
export class TrendingList {
  readonly rows: Int32Array;
  readonly keys: Float64Array;
  size = 0;
  private minSlot = -1;
  /** Slots by key, descending (stable), until the next change; null = to compute. */
  private sorted: Int32Array | null = null;
  /** item row → slot in the list, or absent. */
  private readonly slotOf = new Map<number, number>();

  constructor(
    readonly k: number,
    readonly tauMs: number,
  ) {
    this.rows = new Int32Array(k);
    this.keys = new Float64Array(k);
  }

  /** Records the item's new decayed value `value` as of `refTs`. */
  update(row: number, value: number, refTsMs: number): void {
    if (!(value > 0)) return;
    const key = Math.log(value) + refTsMs / this.tauMs;
    const slot = this.slotOf.get(row);
    if (slot !== undefined || this.size < this.k || key > this.keys[this.minSlot]) this.sorted = null;
    if (slot !== undefined) {
      this.keys[slot] = key;
      if (slot === this.minSlot) this.findMin();
      return;
    }
    if (this.size < this.k) {
      this.rows[this.size] = row;
      this.keys[this.size] = key;
      this.slotOf.set(row, this.size);
      this.size++;
      this.findMin();
      return;
    }
    if (key <= this.keys[this.minSlot]) return;
    this.slotOf.delete(this.rows[this.minSlot]);
    this.rows[this.minSlot] = row;
    this.keys[this.minSlot] = key;
    this.slotOf.set(row, this.minSlot);
    this.findMin();
  }

  /**
   * Adds `amount` at `tsMs` to the item's value (late additions are added already decayed). When the list is full
   * and the item absent, it takes the smallest entry's slot and value plus `amount` (Space-Saving): an item whose
   * decayed value exceeds the total over the list's capacity is never missed, and an estimate exceeds the true value
   * by at most the smallest value at the time the item entered.
   */
  add(row: number, amount: number, tsMs: number): void {
    if (!(amount > 0) || this.k === 0) return;
    this.sorted = null;
    const inc = Math.log(amount) + tsMs / this.tauMs;
    const slot = this.slotOf.get(row);
    if (slot !== undefined) {
      this.keys[slot] = logAddExp(this.keys[slot], inc);
      if (slot === this.minSlot) this.findMin();
      return;
    }
    if (this.size < this.k) {
      this.rows[this.size] = row;
      this.keys[this.size] = inc;
      this.slotOf.set(row, this.size);
      this.size++;
      this.findMin();
      return;
    }
    const m = this.minSlot;
    this.slotOf.delete(this.rows[m]);
    this.rows[m] = row;
    this.keys[m] = logAddExp(this.keys[m], inc);
    this.slotOf.set(row, m);
    this.findMin();
  }

  /** Item rows, best first, with their value decayed to `nowMs`. */
  top(limit: number, nowMs: number): { row: number; score: number }[] {
    const out: { row: number; score: number }[] = [];
    if (limit <= 0) return out;
    this.forEachTop(nowMs, (row, score) => out.push({ row, score }) < limit);
    return out;
  }

  /** Entries best first with their values decayed to `nowMs`, until `fn` returns false (the serving path: no allocation). */
  forEachTop(nowMs: number, fn: (row: number, score: number) => boolean | void): void {
    // decaying to `nowMs` keeps the order of the keys: the sorted slots are kept until the list changes
    const order = (this.sorted ??= Int32Array.from(Array.from({ length: this.size }, (_, i) => i).sort((a, b) => this.keys[b] - this.keys[a])));
    const shift = nowMs / this.tauMs;
    for (let j = 0; j < order.length; j++) {
      const i = order[j];
      if (fn(this.rows[i], Math.exp(this.keys[i] - shift)) === false) return;
    }
  }

  snapshot(): { rows: number[]; keys: number[] } {
    return { rows: Array.from(this.rows.subarray(0, this.size)), keys: Array.from(this.keys.subarray(0, this.size)) };
  }

  restore(s: { rows: number[]; keys: number[] }): void {
    this.sorted = null;
    this.size = 0;
    this.slotOf.clear();
    s.rows.forEach((row, i) => {
      this.rows[i] = row;
      this.keys[i] = s.keys[i];
      this.slotOf.set(row, i);
      this.size++;
    });
    this.findMin();
  }

  private findMin(): void {
    let m = -1;
    for (let i = 0; i < this.size; i++) if (m === -1 || this.keys[i] < this.keys[m]) m = i;
    this.minSlot = m;
  }
}

/** ln(eˣ + eʸ) without overflow. */
function logAddExp(x: number, y: number): number {
  const hi = Math.max(x, y);
  return hi + Math.log1p(Math.exp(Math.min(x, y) - hi));
}
