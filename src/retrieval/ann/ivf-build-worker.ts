/**
 * Worker thread of `buildIvfInWorker`. When `dir` holds a loadable index of the same shape, it is brought in step
 * with the inputs (missing or changed vectors upserted, absent ids removed) and saved if that changed anything:
 * `reused`. Otherwise the index is built (insert, train) and saved: `built`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IvfBuildInput, IvfBuildResult } from './ivf-build.js';
import { IvfIndex, openIvfIndex } from './ivf-index.js';

const input = workerData as IvfBuildInput;
const { dim, ids, vectors } = input;
const saved = await IvfIndex.load(input.dir).catch(() => undefined);
let result: IvfBuildResult;
if (saved && reusable(saved)) {
  let upserted = 0;
  let removed = 0;
  const wanted = new Set(ids);
  for (const id of saved.ids()) if (!wanted.has(id) && saved.remove(id)) removed++;
  for (let i = 0; i < ids.length; i++) {
    const v = vectors.subarray(i * dim, (i + 1) * dim);
    const old = saved.vector(ids[i]);
    if (old && equal(old, v)) continue;
    saved.upsert(ids[i], v);
    upserted++;
  }
  if (upserted + removed > 0) await saved.save(input.dir);
  saved.close();
  result = { outcome: 'reused', upserted, removed };
} else {
  saved?.close();
  const index = openIvfIndex({ dim, lists: input.lists, nprobe: input.nprobe, trainAt: Infinity, capacity: ids.length });
  for (let i = 0; i < ids.length; i++) index.upsert(ids[i], vectors.subarray(i * dim, (i + 1) * dim));
  if (ids.length >= input.lists) index.train();
  await index.save(input.dir);
  index.close();
  result = { outcome: 'built', upserted: ids.length, removed: 0 };
}
parentPort?.postMessage(result);

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
