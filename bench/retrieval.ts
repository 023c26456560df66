/**
 * `npm run bench -- retrieval`: the learned-retrieval ANN index at catalog scale.
 *
 * Synthetic two-tower shapes: N item vectors (default 1M × 64) drawn around 1,000 cluster centres (Gaussian spread,
 * norms 0.75–1.25: unit-norm-ish, not normalised); a query is a stand-in user tower with the trained model's
 * shapes (mean of the last 32 of 20–50 recent items from one or two clusters, residual MLP 64→64→64, L2
 * normalisation), timed together with the search. HNSW
 * (hnswlib-node) is measured against exact brute force (BruteForceIndex) in the same run: recall@100/@500 of a
 * k = 500 candidate search, latency p50/p99, queries/s on one core (all calls are synchronous on this thread),
 * brute force per query, then live inserts and removals interleaved with queries, and a save/load round trip.
 *
 * `FEEDLOOP_BENCH_RETRIEVAL_ITEMS=200000` runs a quick variant. `compareAnnLibraries()` builds hnswlib-node and
 * usearch (dev dependency) on the same 200k vectors and measures both on the serving path.
 *
 * Defaults (M 12, efConstruction 100, ef = k = 500) come from a sweep at 200k: M 16 / efConstruction 200 built 3.7×
 * slower and searched k = 500 ~1.7× slower for recall@100 0.997 vs 0.988; M 8–10 saved little time and lost recall.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { clusteredVectors, log, mean, overlap, recentLists, row, UserTower, type RetrievalBenchOptions } from './retrieval-data.js';
import { benchRetrievalIvf } from './retrieval-ivf.js';
import { benchData, measureAnnIndex } from './retrieval-measure.js';
import { BruteForceIndex } from '../src/retrieval/ann/brute-force-index.js';
import { HnswIndex, openHnswIndex } from '../src/retrieval/ann/hnsw-index.js';
import { percentile, round } from './util.js';

export async function benchRetrieval(opts: RetrievalBenchOptions = {}): Promise<Record<string, number>> {
  // the serving default is IVF-Flat; FEEDLOOP_BENCH_RETRIEVAL_INDEX=hnsw measures hnswlib instead
  if (process.env.FEEDLOOP_BENCH_RETRIEVAL_INDEX !== 'hnsw') return benchRetrievalIvf(opts);
  const efs = opts.efs ?? [500, 700, 1000];
  const M = opts.M ?? 12;
  const efConstruction = opts.efConstruction ?? 100;
  const d = benchData(opts);
  log(`building HNSW over ${d.n} × ${d.dim} (M ${M}, efConstruction ${efConstruction}), single-threaded`);
  const hnsw = openHnswIndex({ dim: d.dim, capacity: d.n + d.live, M, efConstruction, efSearch: efs[0], seed: d.seed });
  const t0 = performance.now();
  let lastLog = t0;
  for (let i = 0; i < d.n; i++) {
    hnsw.upsert(`i${i}`, row(d.catalog, i));
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      log(`  ${i + 1} items, ${Math.round(((i + 1) * 1000) / (lastLog - t0))} items/s`);
    }
  }
  const buildS = (performance.now() - t0) / 1000;
  log(`built in ${buildS.toFixed(1)} s`);
  const m = await measureAnnIndex(hnsw, (dir) => HnswIndex.load(dir), d, { beams: efs, beamName: 'ef', recallQueries: opts.recallQueries, latencyQueries: opts.latencyQueries });
  hnsw.close();
  d.brute.close();
  return { ...m, M, ef_construction: efConstruction, build_s: round(buildS, 1), build_items_per_s: Math.round(d.n / buildS) };
}

/**
 * hnswlib-node vs usearch on the same vectors (default 200k × 64), both on the serving path (k = 500, beam 500,
 * one query at a time, one thread): build time (hnswlib single-threaded — its Node binding has no batch add —
 * usearch with `threads`), latency, recall against exact, live insert and remove cost.
 */
export async function compareAnnLibraries(
  opts: { items?: number; dim?: number; k?: number; ef?: number; M?: number; efConstruction?: number; usearchThreads?: number; seed?: number } = {},
): Promise<Record<string, number>> {
  const { Index, MetricKind, ScalarKind } = (await import('usearch')).default;
  const n = opts.items ?? 200_000;
  const dim = opts.dim ?? 64;
  const k = opts.k ?? 500;
  const ef = opts.ef ?? 500;
  const M = opts.M ?? 12;
  const efConstruction = opts.efConstruction ?? 100;
  const threads = opts.usearchThreads ?? 2;
  const seed = opts.seed ?? 42;
  const inserts = 1000;
  const catalog = clusteredVectors(n + inserts, dim, 1000, seed);
  const tower = new UserTower(catalog, seed);
  const lists = recentLists(catalog, 500, n, seed + 1);

  const brute = new BruteForceIndex({ dim, capacity: n });
  for (let i = 0; i < n; i++) brute.upsert(`${i}`, row(catalog, i));
  const exact = lists.map((rows) => brute.search(tower.vector(rows), k).ids);
  brute.close();

  const measure = (search: (q: Float32Array) => string[]) => {
    for (const rows of lists.slice(0, 50)) search(tower.vector(rows));
    const lat: number[] = [];
    const r100: number[] = [];
    const r500: number[] = [];
    lists.forEach((rows, i) => {
      const t = performance.now();
      const ids = search(tower.vector(rows));
      lat.push(performance.now() - t);
      r100.push(overlap(ids, exact[i], 100));
      r500.push(overlap(ids, exact[i], k));
    });
    return { p50: round(percentile(lat, 0.5), 3), p99: round(percentile(lat, 0.99), 3), r100: round(mean(r100), 4), r500: round(mean(r500), 4) };
  };
  const timeEach = (count: number, fn: (i: number) => void) => {
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      fn(i);
      ms.push(performance.now() - t);
    }
    return ms;
  };

  log(`hnswlib-node: building ${n} × ${dim}, 1 thread`);
  const hnsw = openHnswIndex({ dim, capacity: n + inserts, M, efConstruction, efSearch: ef, seed });
  let t = performance.now();
  for (let i = 0; i < n; i++) hnsw.upsert(`${i}`, row(catalog, i));
  const hBuild = (performance.now() - t) / 1000;
  const h = measure((q) => hnsw.search(q, k).ids);
  const hInsert = timeEach(inserts, (i) => hnsw.upsert(`${n + i}`, row(catalog, n + i)));
  const hRemove = timeEach(200, (i) => hnsw.remove(`${i * 7}`));
  hnsw.close();

  log(`usearch: building ${n} × ${dim}, ${threads} threads`);
  const us = new Index({ dimensions: dim, metric: MetricKind.IP, quantization: ScalarKind.F32, connectivity: M, expansion_add: efConstruction, expansion_search: ef, multi: false });
  const keys = new BigUint64Array(n);
  for (let i = 0; i < n; i++) keys[i] = BigInt(i);
  t = performance.now();
  us.add(keys, catalog.data.subarray(0, n * dim), threads);
  const uBuild = (performance.now() - t) / 1000;
  const u = measure((q) => Array.from(us.search(q, k, 1).keys, (key) => `${key}`));
  const uInsert = timeEach(inserts, (i) => us.add(BigInt(n + i), row(catalog, n + i), 1));
  const uRemove = timeEach(200, (i) => us.remove(BigInt(i * 7)));

  return {
    items: n,
    dim,
    k,
    ef,
    M,
    ef_construction: efConstruction,
    load_avg_1m: round(loadavg()[0], 2),
    hnswlib_build_s: round(hBuild, 1),
    hnswlib_p50_ms: h.p50,
    hnswlib_p99_ms: h.p99,
    hnswlib_recall_at_100: h.r100,
    hnswlib_recall_at_500: h.r500,
    hnswlib_insert_p99_ms: round(percentile(hInsert, 0.99), 3),
    hnswlib_remove_p50_ms: round(percentile(hRemove, 0.5), 4),
    usearch_threads: threads,
    usearch_build_s: round(uBuild, 1),
    usearch_p50_ms: u.p50,
    usearch_p99_ms: u.p99,
    usearch_recall_at_100: u.r100,
    usearch_recall_at_500: u.r500,
    usearch_insert_p99_ms: round(percentile(uInsert, 0.99), 3),
    usearch_remove_p50_ms: round(percentile(uRemove, 0.5), 4),
  };
}
