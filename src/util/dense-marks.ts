/**
 * Marks over small non-negative integer keys (e.g. the feature store's item handles), one value per key, all cleared
 * in O(1) by starting a new round: a per-request "have I seen this item" without a Map (whose growth was the largest
 * allocation of the candidate merge). Two Int32Arrays as long as the largest key marked (8 bytes per key, grown by
 * doubling); keys at or above `MAX_KEY` are refused, so a bogus handle cannot allocate gigabytes.
 */
export const MAX_DENSE_KEY = 1 << 25;

export class DenseMarks {
  private stamp = new Int32Array(1024);
  private value = new Int32Array(1024);
  private round = 0;

  /** Starts a new round: every key reads as unmarked. */
  begin(): this {
    if (++this.round === 0x7fffffff) {
      this.stamp.fill(0);
      this.round = 1;
    }
    return this;
  }

  /** The value marked for `key` in this round, else −1. */
  get(key: number): number {
    return key >= 0 && key < this.stamp.length && this.stamp[key] === this.round ? this.value[key] : -1;
  }

  /** Marks `key` with `value` (≥ 0) in this round; false (nothing marked) for a key outside [0, MAX_DENSE_KEY). */
  set(key: number, value: number): boolean {
    if (!(key >= 0 && key < MAX_DENSE_KEY)) return false;
    if (key >= this.stamp.length) {
      let n = this.stamp.length;
      while (n <= key) n *= 2;
      const stamp = new Int32Array(n);
      stamp.set(this.stamp);
      const value = new Int32Array(n);
      value.set(this.value);
      this.stamp = stamp;
      this.value = value;
    }
    this.stamp[key] = this.round;
    this.value[key] = value;
    return true;
  }
}
