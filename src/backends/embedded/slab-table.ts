/**
 * A columnar table of entities (items, users, authors): an id→row index plus typed-array columns. Each column holds
 * `stride` values per row in pages of PAGE_ROWS rows, so a growing table allocates a new page and never copies (no
 * stall when the millionth user arrives). There is no object per entity: a row is an integer and every feature
 * lives in a Float32Array/Float64Array/Int32Array slab.
 */
export type SlabArray = Float32Array | Float64Array | Int32Array | Uint8Array;
type SlabCtor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

export const PAGE_SHIFT = 14;
export const PAGE_ROWS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_ROWS - 1;

/** One column: `stride` values per row, paged. Hot loops take `page(row)` once and index from `base(row)`. */
export class Column<T extends SlabArray = SlabArray> {
  readonly pages: T[] = [];
  constructor(
    readonly name: string,
    readonly ctor: SlabCtor,
    readonly stride: number,
    readonly fill: number,
  ) {}
  /** The page holding `row`. */
  page(row: number): T {
    return this.pages[row >>> PAGE_SHIFT];
  }
  /** Index of the row's first value inside its page. */
  base(row: number): number {
    return (row & PAGE_MASK) * this.stride;
  }
  get(row: number, k = 0): number {
    return this.pages[row >>> PAGE_SHIFT][(row & PAGE_MASK) * this.stride + k];
  }
  set(row: number, value: number, k = 0): void {
    this.pages[row >>> PAGE_SHIFT][(row & PAGE_MASK) * this.stride + k] = value;
  }
  get bytesPerRow(): number {
    return this.stride * this.ctor.BYTES_PER_ELEMENT;
  }
  /** @internal */
  addPage(): void {
    const p = new this.ctor(PAGE_ROWS * this.stride) as T;
    if (this.fill !== 0) p.fill(this.fill);
    this.pages.push(p);
  }
  /** The bytes of rows [0, rows), copied into one buffer (for snapshots). */
  copyRows(rows: number): Uint8Array {
    const out = new Uint8Array(rows * this.bytesPerRow);
    const pageBytes = PAGE_ROWS * this.bytesPerRow;
    for (let p = 0, at = 0; at < out.byteLength; p++, at += pageBytes) {
      const src = this.pages[p];
      out.set(new Uint8Array(src.buffer, src.byteOffset, Math.min(pageBytes, out.byteLength - at)), at);
    }
    return out;
  }
  /** Inverse of copyRows; pages must exist. */
  loadRows(bytes: Uint8Array): void {
    const pageBytes = PAGE_ROWS * this.bytesPerRow;
    for (let p = 0, at = 0; at < bytes.byteLength; p++, at += pageBytes) {
      const dst = this.pages[p];
      new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(bytes.subarray(at, Math.min(at + pageBytes, bytes.byteLength)));
    }
  }
}

export class SlabTable {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly columns: Column[] = [];
  private pageCount = 0;

  constructor(readonly name: string) {}

  get size(): number {
    return this.ids.length;
  }

  /** Row of `id`, or -1. */
  rowOf(id: string): number {
    return this.index.get(id) ?? -1;
  }

  /** Row of `id`, created (zero/fill-initialised) if new. */
  upsert(id: string): number {
    const r = this.index.get(id);
    if (r !== undefined) return r;
    const row = this.ids.length;
    if (row >>> PAGE_SHIFT >= this.pageCount) this.addPage();
    this.ids.push(id);
    this.index.set(id, row);
    return row;
  }

  float32(name: string, stride = 1, fill = 0): Column<Float32Array> {
    return this.add(new Column<Float32Array>(name, Float32Array, stride, fill));
  }
  float64(name: string, stride = 1, fill = 0): Column<Float64Array> {
    return this.add(new Column<Float64Array>(name, Float64Array, stride, fill));
  }
  int32(name: string, stride = 1, fill = 0): Column<Int32Array> {
    return this.add(new Column<Int32Array>(name, Int32Array, stride, fill));
  }
  uint8(name: string, stride = 1, fill = 0): Column<Uint8Array> {
    return this.add(new Column<Uint8Array>(name, Uint8Array, stride, fill));
  }

  /** Every column, for snapshots. */
  allColumns(): readonly Column[] {
    return this.columns;
  }

  /** Bytes held by allocated pages. */
  bytes(): number {
    return this.columns.reduce((s, c) => s + c.pages.length * PAGE_ROWS * c.bytesPerRow, 0);
  }

  /** Replaces the contents from a snapshot: ids in row order and each column's used bytes. */
  restore(ids: readonly string[], columnBytes: ReadonlyMap<string, Uint8Array>): void {
    this.ids.length = 0;
    this.index.clear();
    for (const c of this.columns) c.pages.length = 0;
    this.pageCount = 0;
    ids.forEach((id) => this.upsert(id));
    for (const c of this.columns) {
      const bytes = columnBytes.get(c.name);
      if (bytes) c.loadRows(bytes);
    }
  }

  private addPage(): void {
    for (const c of this.columns) c.addPage();
    this.pageCount++;
  }

  private add<C extends Column>(c: C): C {
    if (this.columns.some((x) => x.name === c.name)) throw new Error(`column ${this.name}.${c.name} declared twice`);
    for (let i = 0; i < this.pageCount; i++) c.addPage();
    this.columns.push(c);
    return c;
  }
}
