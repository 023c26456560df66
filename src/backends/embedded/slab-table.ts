/**
 * A columnar table of entities (items, users, authors): an id→row index plus typed-array columns. Each column holds
 * `width` values per row in pages of PAGE_ROWS rows, so a growing table allocates a new page and never copies (no
 * stall when the millionth user arrives). There is no object per entity: a row is an integer and every feature
 * lives in a Float32Array/Float64Array/Int32Array slab.
 *
 * Columns read together for every candidate of a feed request can be interleaved (`interleave`): they then share
 * one buffer per page, row-major, so one row's values sit in a few adjacent cache lines and one memory page instead
 * of one cache line and one page per column (at 1M items every column read is a cache and TLB miss). Interleaving
 * changes only where values live: snapshots still carry each column's rows contiguously.
 */
export type SlabArray = Float32Array | Float64Array | Int32Array | Uint8Array;
type SlabCtor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

export const PAGE_SHIFT = 14;
export const PAGE_ROWS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_ROWS - 1;

/**
 * One column: `width` values per row, paged. Hot loops take `page(row)` once and index from `base(row)`. A column of
 * its own has `stride` = `width` and `offset` = 0; an interleaved one is a view over its row group's page buffer, its
 * rows `stride` elements apart, starting `offset` elements into the row.
 */
export class Column<T extends SlabArray = SlabArray> {
  readonly pages: T[] = [];
  /** Elements between the starts of two consecutive rows in a page. */
  stride: number;
  /** Elements from a row's start to this column's first value. */
  offset = 0;
  /** @internal the row group this column is interleaved in */
  group: RowGroup | undefined;
  constructor(
    readonly name: string,
    readonly ctor: SlabCtor,
    readonly width: number,
    readonly fill: number,
  ) {
    this.stride = width;
  }
  /** The page holding `row`. */
  page(row: number): T {
    return this.pages[row >>> PAGE_SHIFT];
  }
  /** Index of the row's first value inside its page. */
  base(row: number): number {
    return (row & PAGE_MASK) * this.stride + this.offset;
  }
  get(row: number, k = 0): number {
    return this.pages[row >>> PAGE_SHIFT][(row & PAGE_MASK) * this.stride + this.offset + k];
  }
  set(row: number, value: number, k = 0): void {
    this.pages[row >>> PAGE_SHIFT][(row & PAGE_MASK) * this.stride + this.offset + k] = value;
  }
  /** Bytes of this column's values per row (its share of an interleaved row, padding excluded). */
  get bytesPerRow(): number {
    return this.width * this.ctor.BYTES_PER_ELEMENT;
  }
  /** @internal a page of its own; interleaved columns get theirs from RowGroup.addPage */
  addPage(): void {
    const p = new this.ctor(PAGE_ROWS * this.width) as T;
    if (this.fill !== 0) p.fill(this.fill);
    this.pages.push(p);
  }
  /** The bytes of rows [0, rows), each row's `width` values contiguous, copied into one buffer (for snapshots). */
  copyRows(rows: number): Uint8Array {
    const out = new Uint8Array(rows * this.bytesPerRow);
    if (this.group) {
      moveInterleaved(this, out, rows, true);
      return out;
    }
    const pageBytes = PAGE_ROWS * this.bytesPerRow;
    for (let p = 0, at = 0; at < out.byteLength; p++, at += pageBytes) {
      const src = this.pages[p];
      out.set(new Uint8Array(src.buffer, src.byteOffset, Math.min(pageBytes, out.byteLength - at)), at);
    }
    return out;
  }
  /** Inverse of copyRows; pages must exist. */
  loadRows(bytes: Uint8Array): void {
    if (this.group) {
      // the snapshot's bytes need not be aligned for 4-byte words: copy them first
      const rows = Math.floor(bytes.byteLength / this.bytesPerRow);
      moveInterleaved(this, bytes.slice(0, rows * this.bytesPerRow), rows, false);
      return;
    }
    const pageBytes = PAGE_ROWS * this.bytesPerRow;
    for (let p = 0, at = 0; at < bytes.byteLength; p++, at += pageBytes) {
      const dst = this.pages[p];
      new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(bytes.subarray(at, Math.min(at + pageBytes, bytes.byteLength)));
    }
  }
}

/**
 * Copies rows [0, rows) of an interleaved column between its pages and `flat` (each row's values contiguous):
 * `toFlat` gathers, else scatters. Works on 4-byte words (or bytes for 1-byte columns) so each loop sees one
 * element type whatever the column's.
 */
function moveInterleaved(c: Column, flat: Uint8Array, rows: number, toFlat: boolean): void {
  const unit = c.ctor.BYTES_PER_ELEMENT >= 4 ? 4 : 1;
  const per = unit === 4 ? c.ctor.BYTES_PER_ELEMENT / 4 : 1;
  const width = c.width * per;
  const stride = c.stride * per;
  const offset = c.offset * per;
  for (let p = 0, r0 = 0; r0 < rows; p++, r0 += PAGE_ROWS) {
    const page = c.pages[p];
    const n = Math.min(PAGE_ROWS, rows - r0);
    if (unit === 4) {
      const words = new Int32Array(page.buffer, page.byteOffset, page.byteLength / 4);
      const out = new Int32Array(flat.buffer, flat.byteOffset + r0 * width * 4, n * width);
      moveWords(words, out, n, width, stride, offset, toFlat);
    } else {
      const bytes = new Uint8Array(page.buffer, page.byteOffset, page.byteLength);
      moveBytes(bytes, flat.subarray(r0 * width, (r0 + n) * width), n, width, stride, offset, toFlat);
    }
  }
}

function moveWords(page: Int32Array, flat: Int32Array, n: number, width: number, stride: number, offset: number, toFlat: boolean): void {
  for (let r = 0, src = offset, dst = 0; r < n; r++, src += stride, dst += width) {
    if (toFlat) for (let k = 0; k < width; k++) flat[dst + k] = page[src + k];
    else for (let k = 0; k < width; k++) page[src + k] = flat[dst + k];
  }
}

function moveBytes(page: Uint8Array, flat: Uint8Array, n: number, width: number, stride: number, offset: number, toFlat: boolean): void {
  for (let r = 0, src = offset, dst = 0; r < n; r++, src += stride, dst += width) {
    if (toFlat) for (let k = 0; k < width; k++) flat[dst + k] = page[src + k];
    else for (let k = 0; k < width; k++) page[src + k] = flat[dst + k];
  }
}

/** Columns interleaved row-major in one buffer per page (see the file comment). */
class RowGroup {
  readonly rowBytes: number;
  constructor(readonly members: readonly Column[]) {
    // widest elements first, so every column starts at a multiple of its element size; rows padded to 8 bytes
    const sorted = [...members].sort((a, b) => b.ctor.BYTES_PER_ELEMENT - a.ctor.BYTES_PER_ELEMENT);
    let at = 0;
    for (const c of sorted) {
      c.offset = at / c.ctor.BYTES_PER_ELEMENT;
      at += c.bytesPerRow;
    }
    this.rowBytes = Math.ceil(at / 8) * 8;
    for (const c of members) {
      c.stride = this.rowBytes / c.ctor.BYTES_PER_ELEMENT;
      c.group = this;
    }
  }
  addPage(): void {
    const buf = new ArrayBuffer(PAGE_ROWS * this.rowBytes);
    for (const c of this.members) {
      const page = new c.ctor(buf);
      if (c.fill !== 0) for (let r = 0; r < PAGE_ROWS; r++) page.fill(c.fill, r * c.stride + c.offset, r * c.stride + c.offset + c.width);
      c.pages.push(page);
    }
  }
}

export class SlabTable {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly columns: Column[] = [];
  private readonly groups: RowGroup[] = [];
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
    const own = this.columns.reduce((s, c) => s + (c.group ? 0 : c.pages.length * PAGE_ROWS * c.bytesPerRow), 0);
    return own + this.groups.reduce((s, g) => s + this.pageCount * PAGE_ROWS * g.rowBytes, 0);
  }

  /**
   * Interleaves already declared columns row-major in one buffer per page (see the file comment). Only before the
   * first row; a column is in at most one group.
   */
  interleave(columns: readonly Column[]): void {
    if (this.pageCount > 0) throw new Error(`table ${this.name}: interleave before the first row`);
    for (const c of columns) {
      if (!this.columns.includes(c) || c.group) throw new Error(`column ${this.name}.${c.name} cannot be interleaved`);
    }
    this.groups.push(new RowGroup(columns));
  }

  /** Replaces the contents from a snapshot: ids in row order and each column's used bytes. */
  restore(ids: readonly string[], columnBytes: ReadonlyMap<string, Uint8Array>): void {
    this.ids.length = 0;
    this.index.clear();
    for (const c of this.columns) c.pages.length = 0;
    this.pageCount = 0;
    // the snapshot holds each column's values, not the layout: restore works across interleaving choices
    ids.forEach((id) => this.upsert(id));
    for (const c of this.columns) {
      const bytes = columnBytes.get(c.name);
      if (bytes) c.loadRows(bytes);
    }
  }

  private addPage(): void {
    for (const c of this.columns) if (!c.group) c.addPage();
    for (const g of this.groups) g.addPage();
    this.pageCount++;
  }

  private add<C extends Column>(c: C): C {
    if (this.columns.some((x) => x.name === c.name)) throw new Error(`column ${this.name}.${c.name} declared twice`);
    for (let i = 0; i < this.pageCount; i++) c.addPage();
    this.columns.push(c);
    return c;
  }
}
