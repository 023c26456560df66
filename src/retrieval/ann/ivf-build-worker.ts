/**
 * Worker thread of `buildIvfInWorker`. When `dir` holds a loadable index of the same shape, it is brought in step
 * with the inputs (missing or changed vectors upserted, absent ids removed) and saved if that changed anything:
 * `reused`. Otherwise the index is built (insert, train) and saved: `built`. Either way it answers, for each id in
 * the saved order, its position in the inputs (`inputAt`), so the caller's thread loads it without an id map of its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IvfBuildInput, IvfBuildResult } from './ivf-build.js';
import { IvfIndex, openIvfIndex } from './ivf-index.js';

const input = workerData as IvfBuildInput;
const { dim, ids, vectors } = input;
const inputIndex = new Map<string, number>();
ids.forEach((id, i) => inputIndex.set(id, i));
const saved = await IvfIndex.load(input.dir).catch(() => undefined);
let index: IvfIndex;
let result: Omit<IvfBuildResult, 'inputAt'>;
if (saved && reusable(saved)) {
  index = saved;
  let upserted = 0;
  let removed = 0;
  for (const id of index.storedIds()) if (!inputIndex.has(id) && index.remove(id)) removed++;
  for (let i = 0; i < ids.length; i++) {
    const v = vectors.subarray(i * dim, (i + 1) * dim);
    const old = index.vectorView(ids[i]);
    if (old && equal(old, v)) continue;
    index.upsert(ids[i], v);
    upserted++;
  }
  if (upserted + removed > 0) await index.save(input.dir);
  result = { outcome: 'reused', upserted, removed };
} else {
  saved?.close();
  index = openIvfIndex({ dim, lists: input.lists, nprobe: input.nprobe, trainAt: Infinity, capacity: ids.length });
  for (let i = 0; i < ids.length; i++) index.upsert(ids[i], vectors.subarray(i * dim, (i + 1) * dim));
  if (ids.length >= input.lists) index.train();
  await index.save(input.dir);
  result = { outcome: 'built', upserted: ids.length, removed: 0 };
}
// the saved order is the order `load` numbers ids by
const inputAt = Int32Array.from(index.storedIds(), (id) => inputIndex.get(id) ?? -1);
index.close();
parentPort?.postMessage({ ...result, inputAt } satisfies IvfBuildResult, [inputAt.buffer]);

/**
 * A saved index serves these inputs when it has their dimension and probe count, is trained (or need not be), and
 * its list count is the requested one — within a factor √2 when `lists` follows the catalog size (`listsExact` false):
 * a catalog that doubled since is rebuilt.
 */
function reusable(index: IvfIndex): boolean {
  if (index.dim !== dim || index.nprobe !== input.nprobe) return false;
  if (!index.trained && ids.length >= input.lists) return false;
  if (input.listsExact) return index.lists === input.lists;
  return index.lists <= input.lists * Math.SQRT2 && index.lists >= input.lists / Math.SQRT2;
}

function equal(a: Float32Array, b: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
