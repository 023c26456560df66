/**
 * Sparse embedding tables for training in JS: Float32Array rows, id → row indexing (collision-free or hashed), a
 * per-step sparse gradient accumulator, and row-wise optimisers (row-wise AdaGrad, lazy Adam) that touch only the
 * rows a batch used — a step costs O(touched rows × dim), independent of the table size.
 */
import { fnv1a, type Rand } from '../util/prng.js';

/** How ids map to rows: `dense` = one row per known id (new ids get new rows); `hashed` = fnv1a(id) mod size. */
export type IdMode = 'dense' | 'hashed';

/**
 * Maps external ids to table rows. Dense mode: collision-free; `lookup` returns −1 for an unknown id and `add`
 * appends a row. Hashed mode: every id, seen or not, has a bucket (collisions accepted) — an open vocabulary.
 */
export class IdIndex {
  private readonly rows = new Map<string, number>();

  private constructor(
    readonly mode: IdMode,
    private buckets: number,
  ) {}

  /** A collision-free index over `ids` (row = position). */
  static dense(ids: readonly string[] = []): IdIndex {
    const ix = new IdIndex('dense', 0);
    for (const id of ids) ix.add(id);
    return ix;
  }

  /** A hashed index with a fixed number of buckets. */
  static hashed(buckets: number): IdIndex {
    if (!(buckets > 0)) throw new RangeError('hashed index needs buckets > 0');
    return new IdIndex('hashed', buckets);
  }

  /** Number of rows the table must have. */
  get size(): number {
    return this.mode === 'dense' ? this.rows.size : this.buckets;
  }

  /** The row of `id`, or −1 if a dense index has never seen it. */
  lookup(id: string): number {
    if (this.mode === 'hashed') return fnv1a(id) % this.buckets;
    return this.rows.get(id) ?? -1;
  }

  /** The row of `id`, adding it (dense mode) if new. The caller grows the table to `size`. */
  add(id: string): number {
    if (this.mode === 'hashed') return this.lookup(id);
    let r = this.rows.get(id);
    if (r === undefined) {
      r = this.rows.size;
      this.rows.set(id, r);
    }
    return r;
  }

  /** Dense ids in row order (empty for hashed). */
  ids(): string[] {
    return [...this.rows.keys()];
  }
}

/** A table of `rows × dim` float32 values, with optional optimiser state. */
export class EmbeddingTable {
  data: Float32Array;

  constructor(
    public rows: number,
    readonly dim: number,
    data?: Float32Array,
  ) {
    this.data = data ?? new Float32Array(rows * dim);
    if (this.data.length !== rows * dim) throw new RangeError('embedding data length mismatch');
  }

  /** Fills with N(0, scale²)-ish values (uniform with the same variance; deterministic for `rand`). */
  initRandom(rand: Rand, scale: number): this {
    const a = scale * Math.sqrt(3);
    for (let i = 0; i < this.data.length; i++) this.data[i] = (rand() * 2 - 1) * a;
    return this;
  }

  /** Grows to at least `rows` rows; new rows are zero (an unseen id contributes nothing until trained). */
  grow(rows: number): void {
    if (rows <= this.rows) return;
    const next = new Float32Array(rows * this.dim);
    next.set(this.data);
    this.data = next;
    this.rows = rows;
  }

  /** Adds `weight × row r` into `out[outOffset ..]`. A row of −1 adds nothing. */
  addRowTo(r: number, weight: number, out: Float32Array, outOffset: number): void {
    if (r < 0) return;
    const d = this.dim;
    const o = r * d;
    for (let j = 0; j < d; j++) out[outOffset + j] += weight * this.data[o + j];
  }
}

/**
 * Accumulates one step's gradient rows for a table: duplicates of the same row are summed before the optimiser
 * sees them (one update per touched row per step).
 */
export class SparseGrad implements RowGrads {
  /** Row → slot + 1 (0 = untouched). Int32Array sized to the table: 4 bytes a row. */
  private slotOf: Int32Array;
  touched: Int32Array;
  grads: Float32Array;
  count = 0;

  constructor(
    rows: number,
    readonly dim: number,
    initialCapacity = 1024,
  ) {
    this.slotOf = new Int32Array(rows);
    this.touched = new Int32Array(initialCapacity);
    this.grads = new Float32Array(initialCapacity * dim);
  }

  /** Adds `weight × src[srcOffset ..]` to row r's gradient. */
  add(r: number, weight: number, src: Float32Array | Float64Array, srcOffset: number): void {
    if (r < 0) return;
    if (r >= this.slotOf.length) this.resizeRows(r + 1);
    let s = this.slotOf[r] - 1;
    if (s < 0) {
      s = this.count++;
      if (s >= this.touched.length) this.resizeSlots(s * 2);
      this.touched[s] = r;
      this.slotOf[r] = s + 1;
      this.grads.fill(0, s * this.dim, (s + 1) * this.dim);
    }
    const d = this.dim;
    const go = s * d;
    for (let j = 0; j < d; j++) this.grads[go + j] += weight * src[srcOffset + j];
  }

  /** Forgets all rows (O(touched)). */
  clear(): void {
    for (let s = 0; s < this.count; s++) this.slotOf[this.touched[s]] = 0;
    this.count = 0;
  }

  private resizeRows(rows: number): void {
    const next = new Int32Array(Math.max(rows, this.slotOf.length * 2));
    next.set(this.slotOf);
    this.slotOf = next;
  }

  private resizeSlots(cap: number): void {
    const t = new Int32Array(cap);
    t.set(this.touched);
    this.touched = t;
    const g = new Float32Array(cap * this.dim);
    g.set(this.grads);
    this.grads = g;
  }
}

/** One step's gradient rows: row `touched[s]` has gradient `grads[s·dim ..]`, for s < count (rows distinct). */
export interface RowGrads {
  touched: Int32Array;
  grads: Float32Array;
  count: number;
}

/** A sparse row-wise optimiser bound to one table. */
export interface SparseOptimizer {
  /** Applies the gradient rows (may overwrite `grad.grads`; a `SparseGrad` is cleared by the caller afterwards). */
  step(table: EmbeddingTable, grad: RowGrads): void;
}

/**
 * Row-wise AdaGrad (one accumulator per row, as in DLRM/FBGEMM): G_r += mean_j(g_rj²); w_r −= lr · g_r / (√G_r + ε).
 * `weightDecay` adds λ·w_r to the gradient of touched rows only.
 */
export class RowAdagrad implements SparseOptimizer {
  accum: Float32Array;

  constructor(
    rows: number,
    readonly lr: number,
    readonly weightDecay = 0,
    readonly eps = 1e-8,
    initialAccum = 0,
  ) {
    this.accum = new Float32Array(rows).fill(initialAccum);
  }

  step(table: EmbeddingTable, grad: RowGrads): void {
    if (this.accum.length < table.rows) {
      const next = new Float32Array(table.rows);
      next.set(this.accum);
      this.accum = next;
    }
    const d = table.dim;
    const w = table.data;
    const lambda = this.weightDecay;
    for (let s = 0; s < grad.count; s++) {
      const r = grad.touched[s];
      const go = s * d;
      const wo = r * d;
      let sq = 0;
      for (let j = 0; j < d; j++) {
        const gj = grad.grads[go + j] + lambda * w[wo + j];
        grad.grads[go + j] = gj;
        sq += gj * gj;
      }
      const acc = (this.accum[r] += sq / d);
      const rate = this.lr / (Math.sqrt(acc) + this.eps);
      for (let j = 0; j < d; j++) w[wo + j] -= rate * grad.grads[go + j];
    }
  }
}

/**
 * Lazy (sparse) Adam: moments of touched rows only, bias correction with the global step count.
 * Costs 2 extra floats per parameter.
 */
export class LazyAdam implements SparseOptimizer {
  private m: Float32Array;
  private v: Float32Array;
  private t = 0;

  constructor(
    size: number,
    readonly lr: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
    readonly weightDecay = 0,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  step(table: EmbeddingTable, grad: RowGrads): void {
    if (this.m.length < table.data.length) {
      const m = new Float32Array(table.data.length);
      m.set(this.m);
      this.m = m;
      const v = new Float32Array(table.data.length);
      v.set(this.v);
      this.v = v;
    }
    this.t++;
    const { beta1: b1, beta2: b2 } = this;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    const rate = (this.lr * Math.sqrt(c2)) / c1;
    const d = table.dim;
    const w = table.data;
    for (let s = 0; s < grad.count; s++) {
      const go = s * d;
      const wo = grad.touched[s] * d;
      for (let j = 0; j < d; j++) {
        const gj = grad.grads[go + j] + this.weightDecay * w[wo + j];
        const i = wo + j;
        this.m[i] = b1 * this.m[i] + (1 - b1) * gj;
        this.v[i] = b2 * this.v[i] + (1 - b2) * gj * gj;
        w[i] -= (rate * this.m[i]) / (Math.sqrt(this.v[i]) + this.eps);
      }
    }
  }
}

/** Dense Adam over one flat parameter array (a tower's dense layer weights); one instance per array. */
export class DenseAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;

  constructor(
    readonly size: number,
    readonly lr: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One step: `param −= lr · m̂ / (√v̂ + ε)` for every element. */
  step(param: Float32Array, grad: ArrayLike<number>): void {
    this.t++;
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    const rate = (this.lr * Math.sqrt(c2)) / c1;
    for (let j = 0; j < param.length; j++) {
      const g = grad[j];
      this.m[j] = this.beta1 * this.m[j] + (1 - this.beta1) * g;
      this.v[j] = this.beta2 * this.v[j] + (1 - this.beta2) * g * g;
      param[j] -= (rate * this.m[j]) / (Math.sqrt(this.v[j]) + this.eps);
    }
  }
}
