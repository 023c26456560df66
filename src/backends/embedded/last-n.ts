/**
 * Bounded last-N lists of (item row, ts) per user, newest last, allocated lazily from an arena: a list starts with
 * room for 4 entries and moves to a block of 8, 16, 32 and finally N as it fills (freed blocks are reused), so a user
 * with three interactions costs three entries, not N. Once at N the block is a ring. Blocks live in fixed-size
 * chunks, so the arena grows without copying.
 */
import type { Column, SlabTable } from './slab-table.js';

const CHUNK_BLOCKS = 1024;

interface SizeClass {
  cap: number;
  items: Int32Array[];
  ts: Float64Array[];
  used: number;
  free: number[];
}

export class LastN {
  readonly block: Column<Int32Array>;
  readonly cls: Column<Uint8Array>;
  readonly count: Column<Int32Array>;
  private readonly classes: SizeClass[];

  constructor(
    table: SlabTable,
    readonly name: string,
    readonly n: number,
  ) {
    this.block = table.int32(`last_${name}_block`, 1, -1);
    this.cls = table.uint8(`last_${name}_class`);
    this.count = table.int32(`last_${name}_count`);
    const caps = [4, 8, 16, 32].filter((c) => c < n).concat(n);
    this.classes = caps.map((cap) => ({ cap, items: [], ts: [], used: 0, free: [] }));
  }

  push(row: number, item: number, tsMs: number): void {
    const k = this.count.get(row);
    let b = this.block.get(row);
    let c = this.cls.get(row);
    if (b < 0) {
      c = 0;
      b = this.alloc(0);
    } else if (k >= this.classes[c].cap && c < this.classes.length - 1) {
      const nb = this.alloc(c + 1);
      this.copy(c, b, c + 1, nb);
      this.classes[c].free.push(b);
      c++;
      b = nb;
    }
    const sc = this.classes[c];
    const i = (b % CHUNK_BLOCKS) * sc.cap + (k % sc.cap);
    sc.items[Math.floor(b / CHUNK_BLOCKS)][i] = item;
    sc.ts[Math.floor(b / CHUNK_BLOCKS)][i] = tsMs;
    this.block.set(row, b);
    this.cls.set(row, c);
    this.count.set(row, k + 1);
  }

  /** Newest first; calls `fn(itemRow, ts)` until it returns false or the list ends. */
  forEachNewest(row: number, fn: (item: number, tsMs: number) => boolean | void): void {
    const b = this.block.get(row);
    if (b < 0) return;
    const sc = this.classes[this.cls.get(row)];
    const total = this.count.get(row);
    const items = sc.items[Math.floor(b / CHUNK_BLOCKS)];
    const ts = sc.ts[Math.floor(b / CHUNK_BLOCKS)];
    const base = (b % CHUNK_BLOCKS) * sc.cap;
    const len = Math.min(total, sc.cap);
    for (let i = 1; i <= len; i++) {
      const at = base + ((total - i) % sc.cap);
      if (fn(items[at], ts[at]) === false) return;
    }
  }

  /** Bytes allocated by the arena. */
  bytes(): number {
    return this.classes.reduce((s, c) => s + c.items.length * CHUNK_BLOCKS * c.cap * 12, 0);
  }

  serialize(): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const c of this.classes) {
      const head = new Uint32Array([c.cap, c.used, c.free.length, ...c.free]);
      parts.push(new Uint8Array(head.buffer));
      for (const arrs of [c.items, c.ts]) {
        arrs.forEach((a, i) => {
          const blocks = Math.min(CHUNK_BLOCKS, c.used - i * CHUNK_BLOCKS);
          if (blocks > 0) parts.push(new Uint8Array(a.buffer, a.byteOffset, (blocks * a.byteLength) / CHUNK_BLOCKS).slice());
        });
      }
    }
    const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  restore(bytes: Uint8Array): void {
    const buf = bytes.slice();
    const u32 = new Uint32Array(buf.buffer, 0, Math.floor(buf.byteLength / 4));
    let at = 0;
    for (const c of this.classes) {
      const [cap, used, nfree] = [u32[at / 4], u32[at / 4 + 1], u32[at / 4 + 2]];
      if (cap !== c.cap) throw new Error(`last-N ${this.name}: snapshot has block size ${cap}, config ${c.cap}`);
      c.free = Array.from(u32.subarray(at / 4 + 3, at / 4 + 3 + nfree));
      at += (3 + nfree) * 4;
      c.used = 0;
      c.items = [];
      c.ts = [];
      while (c.items.length * CHUNK_BLOCKS < used) this.addChunk(c);
      c.used = used;
      for (const arrs of [c.items, c.ts]) {
        arrs.forEach((a, i) => {
          const blocks = Math.min(CHUNK_BLOCKS, used - i * CHUNK_BLOCKS);
          const n = (blocks * a.byteLength) / CHUNK_BLOCKS;
          new Uint8Array(a.buffer, a.byteOffset, n).set(buf.subarray(at, at + n));
          at += n;
        });
      }
    }
  }

  private alloc(c: number): number {
    const sc = this.classes[c];
    const reuse = sc.free.pop();
    if (reuse !== undefined) return reuse;
    if (sc.used === sc.items.length * CHUNK_BLOCKS) this.addChunk(sc);
    return sc.used++;
  }

  private addChunk(sc: SizeClass): void {
    sc.items.push(new Int32Array(CHUNK_BLOCKS * sc.cap));
    sc.ts.push(new Float64Array(CHUNK_BLOCKS * sc.cap));
  }

  /** Copies a full block of class `from` into a block of the next class (entries keep their positions). */
  private copy(from: number, fb: number, to: number, tb: number): void {
    const a = this.classes[from];
    const z = this.classes[to];
    const src = (fb % CHUNK_BLOCKS) * a.cap;
    const dst = (tb % CHUNK_BLOCKS) * z.cap;
    z.items[Math.floor(tb / CHUNK_BLOCKS)].set(a.items[Math.floor(fb / CHUNK_BLOCKS)].subarray(src, src + a.cap), dst);
    z.ts[Math.floor(tb / CHUNK_BLOCKS)].set(a.ts[Math.floor(fb / CHUNK_BLOCKS)].subarray(src, src + a.cap), dst);
  }
}
