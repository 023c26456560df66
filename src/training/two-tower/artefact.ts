/**
 * The two-tower model artefact: a versioned folder written atomically (a temporary sibling folder renamed into
 * place, so readers see the old or the new model, never half of one).
 *
 *   model.json       format, version, createdAt, config, data name/range, metrics, training record, vocab sizes,
 *                    and for every binary: rows, dim, bytes, sha256
 *   user-ids.json    id lists: in dense mode the index's vocabulary (row = position; the first `vocab.trained*`
 *   item-ids.json    are the trained users/items in evaluation order), in hashed mode the trained ids
 *   item-sides.json  side features of the trained items (rebuilds their vectors)
 *   *.f32            little-endian float32 tables, row-major: user-id, history, item-id, item-side, user-side,
 *                    tower-u / tower-i (W1, b1, W2, b2 concatenated), user-matrix
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceDirAtomic } from '../../util/file-io.js';
import { EmbeddingTable, IdIndex } from '../embedding-table.js';
import { towerParamShapes, type TowerParams } from './train-graph.js';
import type { ItemSide, TwoTowerConfig, TwoTowerMeta, TwoTowerParts } from './types.js';

/** Identifies the artefact kind; `FORMAT_VERSION` changes when the layout does. */
export const ARTEFACT_FORMAT = 'feedloop.two-tower';
export const FORMAT_VERSION = 1;

interface BinaryEntry {
  file: string;
  rows: number;
  dim: number;
  bytes: number;
  sha256: string;
}

interface ModelJson {
  format: string;
  formatVersion: number;
  version: string;
  createdAt: string;
  config: TwoTowerConfig;
  meta: TwoTowerMeta;
  vocab: { users: number; items: number; trainedUsers: number; trainedItems: number; userIdMode: string; itemIdMode: string };
  binaries: Record<string, BinaryEntry>;
}

const TABLES = ['userId', 'history', 'itemId', 'itemSide', 'userSide'] as const;
const FILE_OF: Record<string, string> = {
  userId: 'user-id.f32',
  history: 'history.f32',
  itemId: 'item-id.f32',
  itemSide: 'item-side.f32',
  userSide: 'user-side.f32',
  towerU: 'tower-u.f32',
  towerI: 'tower-i.f32',
  userMatrix: 'user-matrix.f32',
};

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function packTower(t: TowerParams | null): Float32Array {
  if (!t) return new Float32Array(0);
  const out = new Float32Array(t.w1.length + t.b1.length + t.w2.length + t.b2.length);
  let o = 0;
  for (const a of [t.w1, t.b1, t.w2, t.b2]) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

function unpackTower(flat: Float32Array, dim: number, hidden: number): TowerParams | null {
  if (hidden === 0) return null;
  const s = towerParamShapes(dim, hidden);
  const take = (n: number, o: number): Float32Array => flat.slice(o, o + n);
  const n1 = s.w1[0] * s.w1[1];
  const n2 = s.w2[0] * s.w2[1];
  return { w1: take(n1, 0), b1: take(hidden, n1), w2: take(n2, n1 + hidden), b2: take(dim, n1 + hidden + n2) };
}

/** Writes `parts` as an artefact folder at `dir`, replacing any previous one atomically. */
export async function writeArtefact(parts: TwoTowerParts, dir: string): Promise<void> {
  const { config, meta } = parts;
  await replaceDirAtomic(dir, async (tmp) => {
    const binaries: Record<string, BinaryEntry> = {};
    const put = async (key: string, data: Float32Array, rows: number, dim: number): Promise<void> => {
      const bytes = bytesOf(data);
      await writeFile(join(tmp, FILE_OF[key]), bytes);
      binaries[key] = { file: FILE_OF[key], rows, dim, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
    };
    for (const k of TABLES) await put(k, parts[k].data, parts[k].rows, parts[k].dim);
    await put('towerU', packTower(parts.towerU), config.hidden, config.dim);
    await put('towerI', packTower(parts.towerI), config.hidden, config.dim);
    await put('userMatrix', parts.userMatrix, parts.userMatrix.length / config.dim, config.dim);
    const idList = (ix: IdIndex, trained: string[]): string[] => {
      if (ix.mode === 'hashed') return trained;
      const ids = ix.ids();
      if (trained.some((id, k) => ids[k] !== id)) throw new Error('dense index does not start with the trained ids');
      return ids;
    };
    await writeFile(join(tmp, 'user-ids.json'), JSON.stringify(idList(parts.userIndex, parts.userIds)));
    await writeFile(join(tmp, 'item-ids.json'), JSON.stringify(idList(parts.itemIndex, parts.itemIds)));
    await writeFile(join(tmp, 'item-sides.json'), JSON.stringify(parts.itemSides.map((s) => s ?? null)));
    const json: ModelJson = {
      format: ARTEFACT_FORMAT,
      formatVersion: FORMAT_VERSION,
      version: meta.version,
      createdAt: meta.createdAt,
      config,
      meta,
      vocab: {
        users: parts.userIndex.size,
        items: parts.itemIndex.size,
        trainedUsers: parts.userIds.length,
        trainedItems: parts.itemIds.length,
        userIdMode: parts.userIndex.mode,
        itemIdMode: parts.itemIndex.mode,
      },
      binaries,
    };
    await writeFile(join(tmp, 'model.json'), JSON.stringify(json, null, 2) + '\n');
  });
}

/** Reads an artefact folder; checks the format version and every binary's size and sha256. */
export async function readArtefact(dir: string): Promise<TwoTowerParts> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
  if (json.format !== ARTEFACT_FORMAT || json.formatVersion !== FORMAT_VERSION) {
    throw new Error(`${dir}: not a ${ARTEFACT_FORMAT} v${FORMAT_VERSION} artefact`);
  }
  const config = json.config;
  const bin = async (key: string): Promise<Float32Array> => {
    const e = json.binaries[key];
    const buf = await readFile(join(dir, e.file));
    const sha = createHash('sha256').update(buf).digest('hex');
    if (buf.byteLength !== e.bytes || sha !== e.sha256) throw new Error(`${dir}/${e.file}: size or checksum mismatch`);
    const out = new Float32Array(buf.byteLength / 4);
    bytesOf(out).set(buf);
    return out;
  };
  const table = async (key: string): Promise<EmbeddingTable> => {
    const e = json.binaries[key];
    return new EmbeddingTable(e.rows, e.dim, await bin(key));
  };
  const userIds = JSON.parse(await readFile(join(dir, 'user-ids.json'), 'utf8')) as string[];
  const itemIds = JSON.parse(await readFile(join(dir, 'item-ids.json'), 'utf8')) as string[];
  const index = (mode: string, ids: string[], buckets: number): IdIndex => (mode === 'dense' ? IdIndex.dense(ids) : IdIndex.hashed(buckets));
  const sides = JSON.parse(await readFile(join(dir, 'item-sides.json'), 'utf8')) as (ItemSide | null)[];
  return {
    config,
    meta: json.meta,
    userIndex: index(json.vocab.userIdMode, userIds, config.userBuckets),
    itemIndex: index(json.vocab.itemIdMode, itemIds, config.itemBuckets),
    userIds: userIds.slice(0, json.vocab.trainedUsers),
    itemIds: itemIds.slice(0, json.vocab.trainedItems),
    userId: await table('userId'),
    history: await table('history'),
    itemId: await table('itemId'),
    itemSide: await table('itemSide'),
    userSide: await table('userSide'),
    towerU: unpackTower(await bin('towerU'), config.dim, config.hidden),
    towerI: unpackTower(await bin('towerI'), config.dim, config.hidden),
    itemSides: sides.map((s) => s ?? undefined),
    userMatrix: await bin('userMatrix'),
  };
}
