/**
 * Builds an IVF-Flat index off the event loop: a worker thread inserts the vectors, trains the coarse centroids
 * (k-means, seconds to minutes at catalog scale) and saves the index; the caller's thread then loads the snapshot.
 *
 * A restart with the same model finds the index it saved in `dir`: the worker loads it and applies the difference
 * to the inputs (items uploaded, changed or deleted since: the same upserts and removals a live index gets) instead
 * of running the k-means again — seconds instead of minutes at 1M items. It is rebuilt when its dimension, probe
 * count or list count no longer fits (see `reusable` in the worker) or when it cannot be read.
 */
import { Worker } from 'node:worker_threads';
import { IvfIndex } from './ivf-index.js';

export interface IvfBuildInput {
  dim: number;
  lists: number;
  /** `lists` was configured (a saved index must have exactly it), not derived from the catalog size. */
  listsExact: boolean;
  nprobe: number;
  ids: string[];
  /** Row-major ids.length × dim; transferred to the worker (unusable afterwards). */
  vectors: Float32Array;
  /** Snapshot directory the worker writes and this thread loads. */
  dir: string;
}

export interface IvfBuildResult {
  /** `reused`: the index saved in `dir` was brought in step with the inputs; `built`: built from scratch. */
  outcome: 'built' | 'reused';
  /** Vectors inserted or replaced (all of them when built), ids removed. */
  upserted: number;
  removed: number;
  /** For each id of the saved index, in its saved order, its position in `IvfBuildInput.ids` (−1: none). */
  inputAt: Int32Array;
}

/**
 * The index of `input` and how it was obtained. It holds `input.ids`' own strings, and `handles` (the caller's handle
 * of each id, aligned with `ids`; see `AnnIndex.upsert`).
 */
export async function buildIvfInWorker(input: IvfBuildInput, handles?: Int32Array): Promise<Omit<IvfBuildResult, 'inputAt'> & { index: IvfIndex }> {
  const result = await new Promise<IvfBuildResult>((resolve, reject) => {
    const worker = new Worker(new URL('./ivf-build-worker.js', import.meta.url), {
      workerData: input,
      transferList: [input.vectors.buffer as ArrayBuffer],
    });
    let answer: IvfBuildResult | undefined;
    worker.once('message', (m: IvfBuildResult) => (answer = m));
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 && answer ? resolve(answer) : reject(new Error(`IVF build worker exited with ${code}`))));
  });
  // the loaded index holds the caller's id strings (the feature store's): equal-string lookups skip comparing characters
  const { inputAt, ...outcome } = result;
  const index = await IvfIndex.load(input.dir, (id, at) => {
    const i = inputAt[at];
    return i >= 0 && input.ids[i] === id ? { id: input.ids[i], handle: handles?.[i] ?? -1 } : { id, handle: -1 };
  });
  return { ...outcome, index };
}
