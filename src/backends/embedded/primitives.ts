/**
 * The storage primitives every feature definition compiles to, over a SlabTable's columns:
 * - DecayClock: one reference time per row; all decayed values of a row are kept as of that time.
 * - DecayedCounters: Σ amount·exp(-(t - tᵢ)/τ) for each counter and window. Late events (tᵢ < reference time)
 *   are added already decayed, so the result does not depend on arrival order beyond float rounding.
 * - Totals: exact running sums (Float64).
 * - TopKMap: K (key, fields…) slots per row, decayed with one window, evicting the smallest first field.
 * Bounded last-N lists are in last-n.ts.
 */
import type { Column, SlabTable } from './slab-table.js';

export interface Decaying {
  /** Multiplies the row's values by the per-window factors (each ≤ 1). */
  decay(row: number, factors: Float64Array): void;
}

export class DecayClock {
  readonly ref: Column<Float64Array>;
  /** Per window: factor to apply to an amount of the current (possibly late) event. */
  readonly late: Float64Array;
  private readonly factors: Float64Array;
  private readonly blocks: Decaying[] = [];
  constructor(
    table: SlabTable,
    readonly tausMs: readonly number[],
  ) {
    this.ref = table.float64('decay_ref_ts');
    this.late = new Float64Array(tausMs.length);
    this.factors = new Float64Array(tausMs.length);
  }
  register(b: Decaying): void {
    this.blocks.push(b);
  }
  /** Moves the row's reference time to `tsMs` if later, and sets `late` for the event at `tsMs`. */
  advance(row: number, tsMs: number): void {
    const dt = tsMs - this.ref.get(row);
    if (dt > 0) {
      for (let w = 0; w < this.tausMs.length; w++) {
        this.factors[w] = Math.exp(-dt / this.tausMs[w]);
        this.late[w] = 1;
      }
      for (const b of this.blocks) b.decay(row, this.factors);
      this.ref.set(row, tsMs);
    } else {
      for (let w = 0; w < this.tausMs.length; w++) this.late[w] = dt === 0 ? 1 : Math.exp(dt / this.tausMs[w]);
    }
  }
  /** Factor that brings the row's stored values to `nowMs` for window `w`. */
  toNow(row: number, w: number, nowMs: number): number {
    const dt = nowMs - this.ref.get(row);
    return dt > 0 ? Math.exp(-dt / this.tausMs[w]) : 1;
  }
}

export class DecayedCounters implements Decaying {
  readonly col: Column<Float32Array>;
  private readonly w: number;
  constructor(
    table: SlabTable,
    private readonly clock: DecayClock,
    readonly names: readonly string[],
  ) {
    this.w = clock.tausMs.length;
    this.col = table.float32('decayed', names.length * this.w);
    clock.register(this);
  }
  decay(row: number, factors: Float64Array): void {
    const d = this.col.page(row);
    const base = this.col.base(row);
    const W = this.w;
    for (let i = 0; i < this.col.width; i++) d[base + i] *= factors[i % W];
  }
  /** Adds `amount` to counter `c` in every window; call `clock.advance(row, ts)` first. */
  add(row: number, c: number, amount: number): void {
    const d = this.col.page(row);
    const base = this.col.base(row) + c * this.w;
    const late = this.clock.late;
    for (let w = 0; w < this.w; w++) d[base + w] += amount * late[w];
  }
  /** Value as stored (as of the row's reference time). */
  raw(row: number, c: number, w: number): number {
    return this.col.get(row, c * this.w + w);
  }
  read(row: number, c: number, w: number, nowMs: number): number {
    return this.raw(row, c, w) * this.clock.toNow(row, w, nowMs);
  }
}

export class Totals {
  readonly col: Column<Float64Array>;
  constructor(
    table: SlabTable,
    readonly names: readonly string[],
  ) {
    this.col = table.float64('totals', names.length);
  }
  add(row: number, c: number, amount: number): void {
    this.col.page(row)[this.col.base(row) + c] += amount;
  }
  read(row: number, c: number): number {
    return this.col.get(row, c);
  }
}

export class TopKMap implements Decaying {
  readonly keys: Column<Int32Array>;
  readonly vals: Column<Float32Array>;
  private readonly scratchKeys: Int32Array;
  private readonly scratchValues: Float64Array;
  constructor(
    table: SlabTable,
    private readonly clock: DecayClock,
    readonly name: string,
    readonly k: number,
    readonly fields: readonly string[],
    /** Index of the decay window the values follow. */
    readonly window: number,
  ) {
    this.keys = table.int32(`topk_${name}`, k, -1);
    this.vals = table.float32(`topk_${name}_vals`, k * fields.length);
    this.scratchKeys = new Int32Array(k);
    this.scratchValues = new Float64Array(k);
    clock.register(this);
  }
  decay(row: number, factors: Float64Array): void {
    const f = factors[this.window];
    const d = this.vals.page(row);
    const b = this.vals.base(row);
    for (let i = b; i < b + this.vals.width; i++) d[i] *= f;
  }
  /** Adds `amount` to `field` of `key`; inserts the key, evicting the entry with the smallest first field if full. */
  add(row: number, key: number, field: number, amount: number): void {
    const keys = this.keys.page(row);
    const kb = this.keys.base(row);
    const vals = this.vals.page(row);
    const vb = this.vals.base(row);
    const F = this.fields.length;
    let slot = -1;
    let empty = -1;
    let min = -1;
    for (let i = 0; i < this.k; i++) {
      const kk = keys[kb + i];
      if (kk === key) {
        slot = i;
        break;
      }
      if (kk === -1) {
        if (empty === -1) empty = i;
      } else if (min === -1 || vals[vb + i * F] < vals[vb + min * F]) min = i;
    }
    if (slot === -1) {
      slot = empty !== -1 ? empty : min;
      keys[kb + slot] = key;
      vals.fill(0, vb + slot * F, vb + (slot + 1) * F);
    }
    vals[vb + slot * F + field] += amount * this.clock.late[this.window];
  }
  /** Entries by first field, descending, decayed to `nowMs`. */
  entries(row: number, nowMs: number): { key: number; values: number[] }[] {
    const F = this.fields.length;
    const scale = this.clock.toNow(row, this.window, nowMs);
    const out: { key: number; values: number[] }[] = [];
    for (let i = 0; i < this.k; i++) {
      const key = this.keys.get(row, i);
      if (key === -1) continue;
      out.push({ key, values: Array.from({ length: F }, (_, f) => this.vals.get(row, i * F + f) * scale) });
    }
    return out.sort((a, b) => b.values[0] - a.values[0]);
  }
  /**
   * The first `limit` of `entries(row, nowMs)` as (key, first field) pairs, in the same order, without an object
   * per entry: `emit(key, value)` is called for each (it must not read this map: the order lives in scratch arrays).
   */
  topByFirst(row: number, limit: number, nowMs: number, emit: (key: number, value: number) => void): void {
    const F = this.fields.length;
    const scale = this.clock.toNow(row, this.window, nowMs);
    const keys = this.keys.page(row);
    const kb = this.keys.base(row);
    const vals = this.vals.page(row);
    const vb = this.vals.base(row);
    const order = this.scratchKeys;
    const values = this.scratchValues;
    let n = 0;
    for (let i = 0; i < this.k; i++) {
      const key = keys[kb + i];
      if (key === -1) continue;
      const v = vals[vb + i * F] * scale;
      // insertion sort, descending; an equal value stays after the earlier slot (as the stable sort of `entries`)
      let j = n++;
      while (j > 0 && values[j - 1] < v) {
        values[j] = values[j - 1];
        order[j] = order[j - 1];
        j--;
      }
      values[j] = v;
      order[j] = key;
    }
    for (let j = 0; j < Math.min(n, limit); j++) emit(order[j], values[j]);
  }
}
