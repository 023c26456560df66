/**
 * The set of recently accepted event ids, for idempotent ingest: an event whose `id` is in the set is a duplicate.
 *
 * Ids are stored as 64-bit hashes in two generations of open-addressing tables (typed arrays, no string per id).
 * When the current generation holds `capacity` ids it becomes the previous one and the oldest generation is
 * dropped, so at least the `capacity` most recent ids are always remembered (up to 2 × capacity). The chance that
 * a new id collides with a remembered one is about 2·capacity / 2⁶⁴ (≈ 1e-13 at 1M).
 *
 * The index is saved in the feature store's snapshot and completed by log replay, so it survives restarts.
 */
export class EventIdIndex {
  private cur: Gen;
  private prev: Gen;
  constructor(readonly capacity: number) {
    this.cur = new Gen(capacity);
    this.prev = new Gen(capacity);
  }

  has(id: string): boolean {
    const hi = hashA(id);
    const lo = hashB(id);
    return this.cur.has(hi, lo) || this.prev.has(hi, lo);
  }

  add(id: string): void {
    const hi = hashA(id);
    const lo = hashB(id);
    if (this.cur.has(hi, lo) || this.prev.has(hi, lo)) return;
    if (this.cur.count >= this.capacity) {
      this.prev = this.cur;
      this.cur = new Gen(this.capacity);
    }
    this.cur.insert(hi, lo);
  }

  get size(): number {
    return this.cur.count + this.prev.count;
  }

  serialize(): Uint8Array {
    const parts = [this.prev, this.cur].map((g) => g.slots);
    const out = new Uint8Array(8 + parts.reduce((s, p) => s + p.byteLength, 0));
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.prev.count, true);
    dv.setUint32(4, this.cur.count, true);
    let at = 8;
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at += p.byteLength;
    }
    return out;
  }

  restore(bytes: Uint8Array): void {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const prev = new Gen(this.capacity);
    const cur = new Gen(this.capacity);
    const slotBytes = prev.slots.byteLength;
    if (bytes.byteLength !== 8 + 2 * slotBytes) {
      // capacity changed since the snapshot: re-insert what it holds
      const old = (bytes.byteLength - 8) / 8;
      const all = new Uint32Array(bytes.slice(8).buffer);
      for (let i = 0; i < old; i++) if (all[2 * i] !== 0 || all[2 * i + 1] !== 0) this.addHash(all[2 * i], all[2 * i + 1]);
      return;
    }
    prev.slots.set(new Uint32Array(bytes.slice(8, 8 + slotBytes).buffer));
    cur.slots.set(new Uint32Array(bytes.slice(8 + slotBytes).buffer));
    prev.count = dv.getUint32(0, true);
    cur.count = dv.getUint32(4, true);
    this.prev = prev;
    this.cur = cur;
  }

  private addHash(hi: number, lo: number): void {
    if (this.cur.has(hi, lo) || this.prev.has(hi, lo)) return;
    if (this.cur.count >= this.capacity) {
      this.prev = this.cur;
      this.cur = new Gen(this.capacity);
    }
    this.cur.insert(hi, lo);
  }
}

class Gen {
  /** Pairs (hi, lo); (0, 0) marks an empty slot. */
  readonly slots: Uint32Array;
  private readonly mask: number;
  count = 0;
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Uint32Array(size * 2);
    this.mask = size - 1;
  }
  has(hi: number, lo: number): boolean {
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      const h = this.slots[2 * i];
      const l = this.slots[2 * i + 1];
      if (h === hi && l === lo) return true;
      if (h === 0 && l === 0) return false;
    }
  }
  insert(hi: number, lo: number): void {
    let i = lo & this.mask;
    while (this.slots[2 * i] !== 0 || this.slots[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    this.slots[2 * i] = hi;
    this.slots[2 * i + 1] = lo;
    this.count++;
  }
}

function hashA(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) || 1;
}

function hashB(s: string): number {
  let h = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
