/**
 * Loaders of the fixed random splits into {@link InteractionData} (dense index space, CSR per user) for full-ranking
 * evaluation:
 * - `movielens-1m-split`: `<datasetsDir>/movielens-1m/lightgcnpp_split/{train,valid,test}.txt`, one line per user,
 *   `uid item item …` (ML-1M ratings ≥ 3 as implicit positives, random 7:1:2).
 * - `kuairec-split`: `<datasetsDir>/kuairec/sigformer_split/{train,valid,test}.txt`, one row per interaction,
 *   `user item label`. Only label-1 rows are positives; label-0 (negative feedback) rows neither train the baselines
 *   nor count as relevant, but their ids still belong to the catalog (every item of the small matrix is ranked) and
 *   the TRAIN negatives are returned as `trainNegatives`: the SIGformer protocol masks them (items the user was shown
 *   in train) along with the train positives when ranking.
 *
 * Dense indices are the files' integer ids when the union of ids over the three files is exactly 0..max (true for
 * both splits); otherwise ids are remapped to 0..n-1 in ascending numeric order. Per user and split, items are sorted
 * and duplicates dropped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import type { Csr, InteractionData } from './recommender.js';

/** Names accepted by {@link loadSplitData}. */
export const SPLIT_DATASETS = ['movielens-1m-split', 'kuairec-split'] as const;
export type SplitDatasetName = (typeof SPLIT_DATASETS)[number];

const SPLITS = ['train', 'valid', 'test'] as const;

/** Raw (user id, item id) positive pairs of one split file, negative pairs, and every id seen. */
interface RawSplit {
  users: number[];
  items: number[];
  negUsers: number[];
  negItems: number[];
  seenUsers: number[];
  seenItems: number[];
}

/** {@link InteractionData} plus what some protocols mask besides the train positives. */
export interface SplitData extends InteractionData {
  /** Per-user train negatives (label-0 rows) where the split has them (KuaiRec), else null. */
  trainNegatives: Csr | null;
}

const emptyRaw = (): RawSplit => ({ users: [], items: [], negUsers: [], negItems: [], seenUsers: [], seenItems: [] });

/**
 * Builds a CSR over `numRows` rows from parallel (row, col) arrays; each row's columns are sorted ascending and
 * deduplicated.
 */
export function csrFromPairs(numRows: number, rows: ArrayLike<number>, cols: ArrayLike<number>): Csr {
  const counts = new Int32Array(numRows + 1);
  for (let k = 0; k < rows.length; k++) counts[rows[k] + 1]++;
  for (let r = 0; r < numRows; r++) counts[r + 1] += counts[r];
  const fill = counts.slice(0, numRows);
  const tmp = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) tmp[fill[rows[k]]++] = cols[k];
  const offsets = new Int32Array(numRows + 1);
  let w = 0;
  for (let r = 0; r < numRows; r++) {
    const row = tmp.subarray(counts[r], counts[r + 1]).sort();
    for (let k = 0; k < row.length; k++) if (k === 0 || row[k] !== row[k - 1]) tmp[w++] = row[k];
    offsets[r + 1] = w;
  }
  return { offsets, items: tmp.slice(0, w) };
}

/** Builds a CSR from one item list per user (index = user). Convenient for tests and small fixtures. */
export function csrFromLists(lists: readonly (readonly number[])[]): Csr {
  const rows: number[] = [];
  const cols: number[] = [];
  lists.forEach((l, u) => l.forEach((i) => (rows.push(u), cols.push(i))));
  return csrFromPairs(lists.length, rows, cols);
}

function parseInt10(tok: string, path: string, lineNo: number): number {
  const v = Number(tok);
  if (!Number.isInteger(v) || v < 0) throw new ValidationError(`${path}:${lineNo}: expected a non-negative integer id, got ${JSON.stringify(tok)}`, 'datasets');
  return v;
}

function readLines(path: string): string[] {
  if (!existsSync(path)) throw new ValidationError(`split file not found: ${path}`, 'datasets', 'not_found');
  return readFileSync(path, 'utf8').split('\n');
}

/** `uid item item …` per line. */
function parsePerUser(path: string): RawSplit {
  const out = emptyRaw();
  readLines(path).forEach((line, n) => {
    const tok = line.trim().split(/\s+/);
    if (tok[0] === '') return;
    const u = parseInt10(tok[0], path, n + 1);
    out.seenUsers.push(u);
    for (let k = 1; k < tok.length; k++) {
      const i = parseInt10(tok[k], path, n + 1);
      out.users.push(u);
      out.items.push(i);
    }
  });
  out.seenItems = out.items;
  return out;
}

/** `user item label` per line; label 1 = positive (kept), 0 = negative (ids recorded, pair ignored). */
function parseLabelled(path: string): RawSplit {
  const out = emptyRaw();
  readLines(path).forEach((line, n) => {
    const tok = line.trim().split(/\s+/);
    if (tok[0] === '') return;
    if (tok.length < 3) throw new ValidationError(`${path}:${n + 1}: expected "user item label"`, 'datasets');
    const u = parseInt10(tok[0], path, n + 1);
    const i = parseInt10(tok[1], path, n + 1);
    const label = Number(tok[2]);
    if (label !== 0 && label !== 1) throw new ValidationError(`${path}:${n + 1}: label must be 0 or 1, got ${tok[2]}`, 'datasets');
    out.seenUsers.push(u);
    out.seenItems.push(i);
    (label === 1 ? out.users : out.negUsers).push(u);
    (label === 1 ? out.items : out.negItems).push(i);
  });
  return out;
}

/** Dense index per raw id: identity when the ids are exactly 0..max, else ascending-order remap. */
function denseIndex(seen: number[][]): { size: number; map: (id: number) => number; ids: string[] } {
  const set = new Set<number>();
  for (const s of seen) for (const v of s) set.add(v);
  let max = -1;
  for (const v of set) if (v > max) max = v;
  if (set.size === max + 1) return { size: set.size, map: (id) => id, ids: Array.from({ length: set.size }, (_, k) => String(k)) };
  const sorted = [...set].sort((a, b) => a - b);
  const m = new Map<number, number>(sorted.map((v, k) => [v, k]));
  return { size: sorted.length, map: (id) => m.get(id)!, ids: sorted.map(String) };
}

/**
 * Loads a split dataset from `datasetsDir` (e.g. `../shared/datasets`). Throws ValidationError naming the path when
 * a file is missing or malformed, and naming `dataset` for an unknown name.
 */
export function loadSplitData(dataset: string, datasetsDir: string): SplitData {
  let dir: string;
  let parse: (path: string) => RawSplit;
  if (dataset === 'movielens-1m-split') {
    dir = join(datasetsDir, 'movielens-1m', 'lightgcnpp_split');
    parse = parsePerUser;
  } else if (dataset === 'kuairec-split') {
    dir = join(datasetsDir, 'kuairec', 'sigformer_split');
    parse = parseLabelled;
  } else {
    throw new ValidationError(`unknown dataset ${JSON.stringify(dataset)}: one of ${SPLIT_DATASETS.join(', ')}`, 'dataset');
  }
  const raw = SPLITS.map((s) => parse(join(dir, `${s}.txt`)));
  const users = denseIndex(raw.map((r) => r.seenUsers));
  const items = denseIndex(raw.map((r) => r.seenItems));
  const [train, valid, test] = raw.map((r) => csrFromPairs(users.size, r.users.map(users.map), r.items.map(items.map)));
  const trainNegatives = raw[0].negUsers.length > 0 ? csrFromPairs(users.size, raw[0].negUsers.map(users.map), raw[0].negItems.map(items.map)) : null;
  return { name: dataset, numUsers: users.size, numItems: items.size, train, valid, test, userIds: users.ids, itemIds: items.ids, trainNegatives };
}

/** Number of interactions in a CSR. */
export function nnz(csr: Csr): number {
  return csr.offsets[csr.offsets.length - 1];
}
