/**
 * The `AnnIndex` port: a (possibly approximate) maximum-inner-product index over item vectors, keyed by item id.
 * It holds the item-tower vectors of a two-tower model; the ANN candidate source queries it with a user-tower vector.
 *
 * Contract (every adapter passes test/conformance/ann-index.conformance.ts):
 * - Ids are arbitrary strings; the adapter maps them to its own internal labels. `size` counts live ids only.
 * - Vectors have exactly `dim` finite components, otherwise `upsert` throws `ValidationError` with field `vector`
 *   (and `search` with field `query`). Vectors are not normalised: the score is the plain inner product.
 * - `upsert` inserts a new id or replaces the vector of an existing one (the old vector is never returned again);
 *   the index grows its capacity by itself. The caller's array is copied, never kept.
 * - `remove` hides an id at once: it is never returned by `search` afterwards, `has` is false, `vector` undefined.
 *   Removing an unknown id is a no-op (returns false). Re-upserting a removed id makes it live again.
 * - `search` returns at most `k` live ids (fewer when `size < k` or a filter rejects items), best first (score
 *   descending), each id at most once, with `scores[i]` the inner product of `ids[i]`'s vector and the query (as
 *   computed by the adapter, in float32). `k = 0` gives an empty result. Exact adapters return the true top k;
 *   approximate ones trade recall for speed through `ef` (the search beam; larger = closer to exact, slower).
 *   `filter(id)` keeps only ids for which it returns true; with an approximate adapter a very selective filter may
 *   return fewer than `k` ids even though more pass it (raise `ef`, or post-filter a larger `k`).
 * - All methods but `save`/load are synchronous and cheap enough for the request path (one search ≈ one call);
 *   building a large index is not, and belongs off the request path (a worker, then `save` + load).
 * - `save(dir)` writes a snapshot atomically: a reader (or a crash) sees the previous complete snapshot or the new
 *   one, never a mix. The adapter's static `load(dir)` returns an index with the same ids, vectors and parameters,
 *   whose searches give the same results. `load` of a missing or foreign snapshot throws `CorruptDataError`.
 * - `close()` releases memory; it is idempotent, and any other call afterwards throws.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptDataError, ValidationError } from '../../errors.js';
import { writeFileAtomic } from '../../util/file-io.js';

export interface AnnIndex {
  /** Stable adapter name for config, metrics and logs (`hnsw`, `brute-force`). */
  readonly name: string;
  readonly dim: number;
  /** Number of live ids. */
  readonly size: number;
  /**
   * Inserts `id` or replaces its vector. `handle`: an integer the caller attaches to the id (e.g. the feature store's
   * item handle); an adapter that keeps handles returns them in `AnnResult.handles` (IVF does; HNSW and brute force
   * ignore them). Handles are not part of a snapshot.
   */
  upsert(id: string, vector: Float32Array, handle?: number): void;
  /** Hides `id` from every later call; false when it was not live. */
  remove(id: string): boolean;
  has(id: string): boolean;
  /** A copy of the stored vector of a live id (for item-to-item "similar"), else undefined. */
  vector(id: string): Float32Array | undefined;
  /**
   * Optional: the stored vector of a live id without a copy — a read-only view valid until the index is next
   * modified, so for synchronous reads (the diversity re-ranker reads ~60 per request; a copy each allocated memory).
   */
  vectorView?(id: string): Float32Array | undefined;
  search(query: Float32Array, k: number, opts?: AnnSearchOptions): AnnResult;
  /** Writes a snapshot into `dir` (created if missing), atomically replacing an earlier one there. */
  save(dir: string): Promise<void>;
  close(): void;
}

export interface AnnSearchOptions {
  /** Search beam of an approximate adapter for this call (ignored by exact ones); default: the index's own. */
  ef?: number;
  /** Keeps only ids for which this returns true. */
  filter?: (id: string) => boolean;
}

export interface AnnResult {
  /** Best first. */
  ids: string[];
  /** Inner products, aligned with `ids`, descending. */
  scores: Float32Array;
  /** The handle last given with each id (−1: none), aligned with `ids`; only from adapters that keep handles. */
  handles?: Int32Array;
}

/** Throws `ValidationError` naming `field` unless `v` is a Float32Array of `dim` finite numbers. */
export function checkVector(v: Float32Array, dim: number, field: string): void {
  if (!(v instanceof Float32Array)) throw new ValidationError(`${field} must be a Float32Array`, field);
  if (v.length !== dim) throw new ValidationError(`${field} has length ${v.length}, expected ${dim}`, field);
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(v[i])) throw new ValidationError(`${field}[${i}] is not a finite number`, field);
  }
}

/** Throws `ValidationError` naming `k` unless it is a non-negative integer. */
export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new ValidationError(`k must be a non-negative integer, got ${k}`, 'k');
}

/**
 * Snapshot layout shared by the adapters: data files named with a fresh generation (`<prefix><gen><ext>`), then a
 * manifest (`manifest.json`) written atomically that names them, then older generations removed. The manifest's
 * rename is the commit point. One `save` per directory at a time.
 */
export const MANIFEST_FILE = 'manifest.json';

export function newGeneration(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** fsyncs a file written by other means (e.g. a native library). */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Commits `manifest` into `dir`, then removes data files of older generations (names starting with `prefix`). */
export async function commitManifest(dir: string, manifest: object, prefix: string, keep: readonly string[]): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  for (const name of await readdir(dir)) {
    if (name.startsWith(prefix) && !keep.includes(name)) await rm(join(dir, name), { force: true });
  }
}

/** Reads `dir`'s manifest and checks its `kind`; `CorruptDataError` when missing, unreadable or foreign. */
export async function readManifest<T extends { kind: string; version: number }>(dir: string, kind: string): Promise<T> {
  let manifest: T;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as T;
  } catch (err) {
    throw new CorruptDataError(`no readable ANN snapshot in ${dir}`, { cause: err });
  }
  if (manifest?.kind !== kind || manifest.version !== 1) {
    throw new CorruptDataError(`snapshot in ${dir} is ${manifest?.kind ?? 'unknown'} v${manifest?.version}, expected ${kind} v1`);
  }
  return manifest;
}
