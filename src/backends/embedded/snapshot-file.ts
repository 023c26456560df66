/**
 * The embedded feature store's snapshot: one file, written to a temporary name, fsynced and renamed over the old
 * one, so a crash leaves either the previous or the new snapshot, never a torn one.
 *
 * Layout: `FLSNAP01` magic, u32 header length, JSON header (positions, ids, dictionaries, catalog text, column
 * layout, sidecar sizes), then the raw bytes of every column's used rows and of every sidecar, in header order.
 * Column bytes are copied synchronously before the asynchronous write, so the store keeps applying meanwhile.
 *
 * Versions: 3 added `segmentTrending` (the per-country/language trending lists). A version-2 snapshot is still
 * read, with those lists empty: they fill from the events applied after it (the log is replayed from the
 * snapshot's positions, not from 0), so until the trending window (1 day by default) has passed they lack the
 * engagement from before the upgrade. Other versions are ignored and the log replayed from offset 0.
 */
import { open, rename, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { CorruptDataError } from '../../errors.js';
import type { EmbeddedFeatureStore } from './embedded-feature-store.js';
import type { SegmentTrendingSnapshot } from './segment-trending.js';
import type { SlabTable } from './slab-table.js';
import { TrendingList } from './trending-list.js';

/** Extra state stored atomically with the features. */
export interface SnapshotSidecar {
  name: string;
  serialize(): Uint8Array;
  restore(bytes: Uint8Array): void;
}

const MAGIC = 'FLSNAP01';
/** Bumped whenever the layout changes; a snapshot of a version not in READABLE is ignored and the log replayed from 0. */
const VERSION = 3;
/** Older versions still read (see the header comment). */
const READABLE = [2, 3];

export async function writeSnapshot(path: string, s: EmbeddedFeatureStore, sidecars: readonly SnapshotSidecar[]): Promise<void> {
  const blobs: Uint8Array[] = [];
  const tables = [s.t.item, s.t.user, s.t.author].map((t) => ({
    name: t.name,
    ids: t.ids.slice(),
    columns: t.allColumns().map((c) => {
      const bytes = c.copyRows(t.size);
      blobs.push(bytes);
      return { name: c.name, bytes: bytes.byteLength };
    }),
  }));
  const side = sidecars.map((sc) => {
    const b = sc.serialize();
    blobs.push(b);
    return { name: sc.name, bytes: b.byteLength };
  });
  const header = {
    version: VERSION,
    writtenAtMs: Date.now(),
    positions: s.positions(),
    tables,
    dicts: Object.fromEntries(Object.entries(s.dict).map(([k, d]) => [k, d.values.slice()])),
    itemText: s.itemText.slice(),
    itemTags: s.itemTags.slice(),
    globalTotals: Array.from(s.globalTotals),
    trending: s.trendingList.snapshot(),
    categoryTrending: [...s.categoryTrending].map(([code, list]) => [code, list.snapshot()]),
    segmentTrending: s.segmentTrending.snapshot(),
    fresh: s.freshList.snapshot(),
    sidecars: side,
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.byteLength, 8);

  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writev([prefix, headerBytes, ...blobs]);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Restores a snapshot into a fresh store; a missing file leaves the store empty. */
export async function readSnapshot(path: string, s: EmbeddedFeatureStore, sidecars: readonly SnapshotSidecar[]): Promise<boolean> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (buf.byteLength < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new CorruptDataError(`${path} is not a feedloop snapshot`);
  const headerLen = buf.readUInt32LE(8);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + headerLen));
  if (!READABLE.includes(header.version)) {
    console.warn(`feedloop: ${path} has snapshot format ${header.version}, this version writes ${VERSION}: rebuilding state from the log`);
    return false;
  }
  let at = 12 + headerLen;
  const take = (n: number) => {
    if (at + n > buf.byteLength) throw new CorruptDataError(`${path} is truncated`);
    const b = new Uint8Array(buf.buffer, buf.byteOffset + at, n);
    at += n;
    return b;
  };
  const byName: Record<string, SlabTable> = { item: s.t.item, user: s.t.user, author: s.t.author };
  for (const tbl of header.tables as { name: string; ids: string[]; columns: { name: string; bytes: number }[] }[]) {
    const cols = new Map<string, Uint8Array>();
    for (const c of tbl.columns) cols.set(c.name, take(c.bytes));
    byName[tbl.name].restore(tbl.ids, cols);
  }
  for (const sc of header.sidecars as { name: string; bytes: number }[]) {
    const bytes = take(sc.bytes);
    const target = sidecars.find((x) => x.name === sc.name);
    if (!target) throw new CorruptDataError(`${path}: unknown snapshot section ${sc.name}`);
    target.restore(bytes);
  }
  for (const [k, values] of Object.entries(header.dicts as Record<string, string[]>)) s.dict[k as keyof typeof s.dict].restore(values);
  replaceContents(s.itemText, header.itemText as (string | null)[]);
  replaceContents(s.itemTags, header.itemTags as (string[] | null)[]);
  s.globalTotals.set(header.globalTotals);
  s.trendingList.restore(header.trending);
  s.categoryTrending.clear();
  for (const [code, snap] of header.categoryTrending as [number, { rows: number[]; keys: number[] }][]) {
    const list = new TrendingList(s.opts.features.categoryTrendingK, s.trendingList.tauMs);
    list.restore(snap);
    s.categoryTrending.set(code, list);
  }
  s.segmentTrending.restore(header.segmentTrending as SegmentTrendingSnapshot | undefined);
  if (header.version < 3) console.warn(`feedloop: ${path} has snapshot format ${header.version}: country/language trending lists start empty`);
  s.freshList.restore(header.fresh);
  s.setPositions(header.positions);
  return true;
}

/**
 * `target`'s elements replaced by `source`'s (JSON null → undefined), element by element: `splice(0, n, ...source)`
 * passes every element as an argument and overflows the stack at ~10^5 elements (a 1M-item catalog did).
 */
export function replaceContents<T>(target: (T | undefined)[], source: readonly (T | null)[]): void {
  target.length = source.length;
  for (let i = 0; i < source.length; i++) target[i] = source[i] ?? undefined;
}
