/** Worker thread of `buildIvfInWorker`: insert, train, save. */
import { parentPort, workerData } from 'node:worker_threads';
import type { IvfBuildInput } from './ivf-build.js';
import { openIvfIndex } from './ivf-index.js';

const input = workerData as IvfBuildInput;
const { dim, ids, vectors } = input;
const index = openIvfIndex({ dim, lists: input.lists, nprobe: input.nprobe, trainAt: Infinity, capacity: ids.length });
for (let i = 0; i < ids.length; i++) index.upsert(ids[i], vectors.subarray(i * dim, (i + 1) * dim));
if (ids.length >= input.lists) index.train();
await index.save(input.dir);
index.close();
parentPort?.postMessage('done');
