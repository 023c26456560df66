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
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mixSeed, mulberry32 } from '../src/demo/prng.js';
import { clusteredVectors, dirBytes, log, mean, overlap, recentLists, row, twoInterests, UserTower, type RetrievalBenchOptions } from './retrieval-data.js';
import { benchRetrievalIvf } from './retrieval-ivf.js';
import { BruteForceIndex } from '../src/retrieval/ann/brute-force-index.js';
import { HnswIndex, openHnswIndex } from '../src/retrieval/ann/hnsw-index.js';
import { percentile, round } from './util.js';

export async function benchRetrieval(opts: RetrievalBenchOptions = {}): Promise<Record<string, number>> {
  // the serving default is IVF-Flat; FEEDLOOP_BENCH_RETRIEVAL_INDEX=hnsw measures hnswlib instead
  if (process.env.FEEDLOOP_BENCH_RETRIEVAL_INDEX !== 'hnsw') return benchRetrievalIvf(opts);
  const n = opts.items ?? Number(process.env.FEEDLOOP_BENCH_RETRIEVAL_ITEMS ?? 1_000_000);
  const dim = opts.dim ?? 64;
  const k = opts.k ?? 500;
  const efs = opts.efs ?? [500, 700, 1000];
  const M = opts.M ?? 12;
  const efConstruction = opts.efConstruction ?? 100;
  const seed = opts.seed ?? 42;
  const live = opts.liveInserts ?? 2000;
  const normSpread = opts.normSpread ?? 0.1;
  const catalog = clusteredVectors(n + live, dim, opts.clusters ?? 1000, seed, normSpread);
  const tower = new UserTower(catalog, seed);

  const brute = new BruteForceIndex({ dim, capacity: n + live });
  for (let i = 0; i < n; i++) brute.upsert(`i${i}`, row(catalog, i));

  log(`building HNSW over ${n} × ${dim} (M ${M}, efConstruction ${efConstruction}), single-threaded`);
  const hnsw = openHnswIndex({ dim, capacity: n + live, M, efConstruction, efSearch: efs[0], seed });
  const t0 = performance.now();
  let lastLog = t0;
  for (let i = 0; i < n; i++) {
    hnsw.upsert(`i${i}`, row(catalog, i));
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      log(`  ${i + 1} items, ${Math.round(((i + 1) * 1000) / (lastLog - t0))} items/s`);
    }
  }
  const buildS = (performance.now() - t0) / 1000;
  log(`built in ${buildS.toFixed(1)} s`);

  // exact answers and brute force per query
  const recallLists = recentLists(catalog, opts.recallQueries ?? 300, n, seed + 1);
  const recallQueries = recallLists.map((rows) => tower.vector(rows));
  const bruteMs: number[] = [];
  const exact = recallQueries.map((q) => {
    const t = performance.now();
    const ids = brute.search(q, k).ids;
    bruteMs.push(performance.now() - t);
    return ids;
  });
  const two = recallLists.map((rows) => twoInterests(catalog, rows));

  // per ef: recall vs exact, then serving latency (user tower + search of k candidates) back to back on this thread
  const latencyLists = recentLists(catalog, opts.latencyQueries ?? 3000, n, seed + 2);
  const sweep: Record<string, number> = {};
  let chosen: { ef: number; r100: number; r500: number; rOne: number; rTwo: number; p50: number; p99: number; qpsCpu: number; qpsWall: number } | undefined;
  const loadAvg = loadavg()[0];
  for (const ef of efs) {
    const r100: number[] = [];
    const r500: number[] = [];
    recallQueries.forEach((q, i) => {
      const ids = hnsw.search(q, k, { ef }).ids;
      r100.push(overlap(ids, exact[i], 100));
      r500.push(overlap(ids, exact[i], k));
    });
    for (const rows of latencyLists.slice(0, 200)) hnsw.search(tower.vector(rows), k, { ef });
    const lat: number[] = [];
    const cpu0 = process.cpuUsage();
    const tAll = performance.now();
    for (const rows of latencyLists) {
      const t = performance.now();
      hnsw.search(tower.vector(rows), k, { ef });
      lat.push(performance.now() - t);
    }
    const wallS = (performance.now() - tAll) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const result = {
      ef,
      r100: mean(r100),
      r500: mean(r500),
      rOne: mean(r100.filter((_, i) => !two[i])),
      rTwo: mean(r100.filter((_, i) => two[i])),
      p50: percentile(lat, 0.5),
      p99: percentile(lat, 0.99),
      // per core = per CPU-second of this process: on a shared machine the wall clock also counts the time other
      // processes held the core
      qpsCpu: latencyLists.length / ((cpu.user + cpu.system) / 1e6),
      qpsWall: latencyLists.length / wallS,
    };
    log(`ef ${ef}: recall@100 ${result.r100.toFixed(4)} (one interest ${result.rOne.toFixed(4)}, two ${result.rTwo.toFixed(4)}), p50 ${result.p50.toFixed(3)} ms, p99 ${result.p99.toFixed(3)} ms, ${Math.round(result.qpsCpu)} q/s per core`);
    Object.assign(sweep, {
      [`ef${ef}_recall_at_100`]: round(result.r100, 4),
      [`ef${ef}_p50_ms`]: round(result.p50, 3),
      [`ef${ef}_p99_ms`]: round(result.p99, 3),
      [`ef${ef}_qps_per_core`]: Math.round(result.qpsCpu),
    });
    if (!chosen || (chosen.r100 < 0.95 && result.r100 > chosen.r100)) chosen = result;
  }
  const ef = chosen!.ef;

  // live: a query, then a new item, and every 10th step a removal
  const liveLat: number[] = [];
  const insertMs: number[] = [];
  const removeMs: number[] = [];
  const liveLists = recentLists(catalog, live, n, seed + 3);
  const rand = mulberry32(mixSeed(seed, 4));
  const removed = new Set<string>();
  for (let s = 0; s < live; s++) {
    let t = performance.now();
    hnsw.search(tower.vector(liveLists[s]), k, { ef });
    liveLat.push(performance.now() - t);
    const id = `i${n + s}`;
    t = performance.now();
    hnsw.upsert(id, row(catalog, n + s));
    insertMs.push(performance.now() - t);
    brute.upsert(id, row(catalog, n + s));
    if (s % 10 === 9) {
      const victim = `i${Math.floor(rand() * n)}`;
      removed.add(victim);
      t = performance.now();
      hnsw.remove(victim);
      removeMs.push(performance.now() - t);
      brute.remove(victim);
    }
  }
  // after the live phase: recall still holds, new items are found, removed ones never come back
  const after100: number[] = [];
  let removedSeen = 0;
  for (const q of recallQueries.slice(0, 100)) {
    const ann = hnsw.search(q, k, { ef });
    for (const id of ann.ids) if (removed.has(id)) removedSeen++;
    after100.push(overlap(ann.ids, brute.search(q, k).ids, 100));
  }
  // a new item that the exact search returns for a query made of itself must be returned by the index too
  let freshExact = 0;
  let freshFound = 0;
  for (let s = 0; s < Math.min(live, 100); s++) {
    const id = `i${n + s}`;
    const q = row(catalog, n + s);
    if (brute.search(q, k).ids.includes(id)) {
      freshExact++;
      if (hnsw.search(q, k, { ef }).ids.includes(id)) freshFound++;
    }
  }

  // persistence
  const dir = await mkdtemp(join(tmpdir(), 'feedloop-bench-ann-'));
  let saveS: number;
  let loadS: number;
  let bytes: number;
  let identical = 1;
  try {
    let t = performance.now();
    await hnsw.save(dir);
    saveS = (performance.now() - t) / 1000;
    bytes = await dirBytes(dir);
    t = performance.now();
    const loaded = await HnswIndex.load(dir);
    loadS = (performance.now() - t) / 1000;
    for (const q of recallQueries.slice(0, 50)) {
      if (hnsw.search(q, k, { ef }).ids.join() !== loaded.search(q, k, { ef }).ids.join()) identical = 0;
    }
    loaded.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const c = chosen!;
  const out = {
    items: n,
    recall_at_100: round(c.r100, 4),
    p50_ms: round(c.p50, 3),
    p99_ms: round(c.p99, 3),
    qps_per_core: Math.round(c.qpsCpu),
    insert_p99_ms: round(percentile(insertMs, 0.99), 3),
    brute_force_ms: round(percentile(bruteMs, 0.5), 2),
    dim,
    k,
    ef,
    M,
    ef_construction: efConstruction,
    norm_spread: normSpread,
    two_interest_share: round(two.filter(Boolean).length / two.length, 2),
    recall_at_100_one_interest: round(c.rOne, 4),
    recall_at_100_two_interests: round(c.rTwo, 4),
    recall_at_500: round(c.r500, 4),
    qps_wall_one_thread: Math.round(c.qpsWall),
    load_avg_1m: round(loadAvg, 2),
    speedup_vs_brute_force: Math.round(percentile(bruteMs, 0.5) / c.p50),
    insert_p50_ms: round(percentile(insertMs, 0.5), 3),
    remove_p99_ms: round(percentile(removeMs, 0.99), 4),
    live_p50_ms: round(percentile(liveLat, 0.5), 3),
    live_p99_ms: round(percentile(liveLat, 0.99), 3),
    recall_at_100_after_live: round(mean(after100), 4),
    fresh_items_found: freshExact ? round(freshFound / freshExact, 4) : NaN,
    removed_items_returned: removedSeen,
    build_s: round(buildS, 1),
    build_items_per_s: Math.round(n / buildS),
    save_s: round(saveS, 2),
    load_s: round(loadS, 2),
    snapshot_mb: round(bytes / 2 ** 20, 1),
    reload_identical: identical,
    ...sweep,
  };
  hnsw.close();
  brute.close();
  return out;
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
