/** The global list of recent uploads: a ring of the last N new items (row and upload time), for the fresh source. */
export class FreshList {
  readonly rows: Int32Array;
  readonly createdAt: Float64Array;
  count = 0;
  constructor(readonly n: number) {
    this.rows = new Int32Array(n);
    this.createdAt = new Float64Array(n);
  }
  push(row: number, createdAtMs: number): void {
    const i = this.count++ % this.n;
    this.rows[i] = row;
    this.createdAt[i] = createdAtMs;
  }
  /** Newest arrivals first. */
  forEachNewest(fn: (row: number, createdAtMs: number) => boolean | void): void {
    const len = Math.min(this.count, this.n);
    for (let k = 1; k <= len; k++) {
      const i = (this.count - k) % this.n;
      if (fn(this.rows[i], this.createdAt[i]) === false) return;
    }
  }
  snapshot(): { count: number; rows: number[]; createdAt: number[] } {
    return { count: this.count, rows: Array.from(this.rows), createdAt: Array.from(this.createdAt) };
  }
  restore(s: { count: number; rows: number[]; createdAt: number[] }): void {
    if (s.rows.length !== this.n) throw new Error(`fresh list: snapshot holds ${s.rows.length}, config ${this.n}`);
    this.count = s.count;
    this.rows.set(s.rows);
    this.createdAt.set(s.createdAt);
  }
}
