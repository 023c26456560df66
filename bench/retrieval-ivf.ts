/** The IVF-Flat retrieval benchmark, the default of `npm run bench -- retrieval` (`FEEDLOOP_BENCH_RETRIEVAL_INDEX=hnsw` for hnswlib). */
import { performance } from 'node:perf_hooks';
import { IvfIndex, openIvfIndex } from '../src/retrieval/ann/ivf-index.js';
import { log, row, type RetrievalBenchOptions } from './retrieval-data.js';
import { benchData, measureAnnIndex } from './retrieval-measure.js';
import { round } from './util.js';

export interface IvfBenchOptions extends RetrievalBenchOptions {
  /** Inverted lists. Default `FEEDLOOP_BENCH_IVF_LISTS` or round(2·√N), as the server uses. */
  lists?: number;
  /** Lists probed per search to measure; headline = first reaching recall@100 ≥ 0.95. Default [4, 8, 16]. */
  nprobes?: number[];
  /** k-means training sample. Default 64 per list. */
  trainSample?: number;
}

/**
 * The same measurements as `benchRetrieval` (same catalog, queries, user-tower stand-in, recall vs brute force,
 * latency, q/s per core, live inserts/removals, save/load) for the IVF-Flat adapter, sweeping `nprobe`.
 * `npm run bench -- retrieval` runs it (the serving default); `FEEDLOOP_BENCH_RETRIEVAL_INDEX=hnsw` runs the HNSW variant.
 */
export async function benchRetrievalIvf(opts: IvfBenchOptions = {}): Promise<Record<string, number>> {
  const d = benchData(opts);
  const lists = opts.lists ?? Number(process.env.FEEDLOOP_BENCH_IVF_LISTS ?? Math.round(2 * Math.sqrt(d.n)));
  const nprobes = opts.nprobes ?? (process.env.FEEDLOOP_BENCH_IVF_NPROBES?.split(',').map(Number) || [4, 8, 16]);
  log(`building IVF-Flat over ${d.n} × ${d.dim} (${lists} lists, k-means on ${opts.trainSample ?? 64 * lists}), single-threaded`);
  const ivf = openIvfIndex({ dim: d.dim, capacity: d.n + d.live, lists, nprobe: nprobes[0], trainSample: opts.trainSample, trainAt: Infinity, seed: d.seed });
  const t0 = performance.now();
  for (let i = 0; i < d.n; i++) ivf.upsert(`i${i}`, row(d.catalog, i));
  const tTrain = performance.now();
  ivf.train();
  const buildS = (performance.now() - t0) / 1000;
  const trainS = (performance.now() - tTrain) / 1000;
  log(`built in ${buildS.toFixed(1)} s (k-means + assignment ${trainS.toFixed(1)} s)`);
  const m = await measureAnnIndex(ivf, (dir) => IvfIndex.load(dir), d, { beams: nprobes, beamName: 'nprobe', recallQueries: opts.recallQueries, latencyQueries: opts.latencyQueries });
  ivf.close();
  d.brute.close();
  return { ...m, lists, build_s: round(buildS, 1), train_s: round(trainS, 1), build_items_per_s: Math.round(d.n / buildS) };
}
