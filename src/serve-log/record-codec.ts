/**
 * On-disk form of a ServeRecord: JSON, except the two numeric blocks — `features` (candidates × features) and each
 * `scores` entry — which are float32 little-endian bytes in base64 (`{"f32": "…"}`). That keeps a 600-candidate
 * record at ~80 KB instead of ~300 KB of decimal text, serialises ~10× faster, and stores NaN/±Infinity and every
 * float32 bit-exactly.
 */
import type { ServeRecord } from '../domain/feed.js';

interface F32Blob {
  f32: string;
}

function toBlob(a: Float32Array): F32Blob {
  return { f32: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
}

function fromBlob(b: unknown, field: string): Float32Array {
  if (typeof b !== 'object' || b === null || typeof (b as F32Blob).f32 !== 'string') throw new TypeError(`${field} is not a float32 block`);
  const bytes = Buffer.from((b as F32Blob).f32, 'base64');
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** One JSON line (without the newline). */
export function encodeServeRecord(r: ServeRecord): string {
  const scores: Record<string, F32Blob> = {};
  for (const [k, v] of Object.entries(r.scores)) scores[k] = toBlob(v);
  return JSON.stringify({ ...r, features: toBlob(r.features), scores });
}

/** Inverse of encodeServeRecord on a parsed line; throws TypeError when the numeric blocks are malformed. */
export function decodeServeRecord(o: Record<string, unknown>): ServeRecord {
  const scores: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries((o.scores ?? {}) as Record<string, unknown>)) scores[k] = fromBlob(v, `scores.${k}`);
  return { ...(o as unknown as ServeRecord), features: fromBlob(o.features, 'features'), scores };
}

/** Features of candidate `i` (a view, no copy). */
export function candidateFeatures(r: ServeRecord, i: number): Float32Array {
  const F = r.feature_names.length;
  return r.features.subarray(i * F, i * F + F);
}
