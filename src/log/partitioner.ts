/**
 * Key → partition routing shared by every `EventLog` adapter, so a key lands in the same partition whichever backend
 * stores it, across processes and restarts.
 *
 * Hash: 32-bit FNV-1a over the key's UTF-16LE bytes (each UTF-16 code unit fed low byte first, so no UTF-8 encoding
 * is needed on the hot path), followed by murmur3's `fmix32` finaliser, which spreads FNV's weak low bits before the
 * modulo. Reimplementing it elsewhere: FNV-1a-32(utf16le(key)) → fmix32 → unsigned mod partitionCount.
 * Changing this function re-routes every key: treat it as part of the on-disk format.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit unsigned hash of `key` (FNV-1a over UTF-16LE bytes + fmix32). */
export function hashKey32(key: string): number {
  let h = FNV_OFFSET_BASIS;
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    h = Math.imul(h ^ (unit & 0xff), FNV_PRIME);
    h = Math.imul(h ^ (unit >>> 8), FNV_PRIME);
  }
  // murmur3 fmix32
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Partition (0 … partitionCount-1) of `key`: deterministic, uniform for distinct keys. */
export function partitionFor(key: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  return hashKey32(key) % partitionCount;
}
