/**
 * Builds an IVF-Flat index off the event loop: a worker thread inserts the vectors, trains the coarse centroids
 * (k-means, seconds to minutes at catalog scale) and saves the index; the caller's thread then loads the snapshot.
 */
import { Worker } from 'node:worker_threads';
import { IvfIndex } from './ivf-index.js';

export interface IvfBuildInput {
  dim: number;
  lists: number;
  nprobe: number;
  ids: string[];
  /** Row-major ids.length × dim; transferred to the worker (unusable afterwards). */
  vectors: Float32Array;
  /** Snapshot directory the worker writes and this thread loads. */
  dir: string;
}

export async function buildIvfInWorker(input: IvfBuildInput): Promise<IvfIndex> {
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(new URL('./ivf-build-worker.js', import.meta.url), {
      workerData: input,
      transferList: [input.vectors.buffer as ArrayBuffer],
    });
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`IVF build worker exited with ${code}`))));
  });
  return IvfIndex.load(input.dir);
}
