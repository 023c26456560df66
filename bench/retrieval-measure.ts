/**
 * The measurements every ANN adapter gets in the retrieval benchmark, on the same catalog and queries: recall@100/@500
 * of a k-candidate search against exact brute force, serving latency (stand-in user tower + search) p50/p99 and
 * queries per CPU-second for each search beam, then live inserts and removals interleaved with queries, and a
 * save/load round trip. The caller builds the index (that is what differs between adapters).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mixSeed, mulberry32 } from '../src/util/prng.js';
import type { AnnIndex } from '../src/retrieval/ann/ann-index.js';
import { BruteForceIndex } from '../src/retrieval/ann/brute-force-index.js';
import { clusteredVectors, dirBytes, log, mean, overlap, recentLists, row, twoInterests, UserTower, type Catalog, type RetrievalBenchOptions } from './retrieval-data.js';
import { percentile, round } from './util.js';

/** The shared data of one benchmark run: n indexed vectors (+ `live` more for the live phase) and the exact index. */
export interface BenchData {
  n: number;
  dim: number;
  k: number;
  live: number;
  seed: number;
  normSpread: number;
  catalog: Catalog;
  tower: UserTower;
  brute: BruteForceIndex;
}

export function benchData(opts: RetrievalBenchOptions): BenchData {
  const n = opts.items ?? Number(process.env.FEEDLOOP_BENCH_RETRIEVAL_ITEMS ?? 1_000_000);
  const dim = opts.dim ?? 64;
  const seed = opts.seed ?? 42;
  const live = opts.liveInserts ?? 2000;
  const normSpread = opts.normSpread ?? 0.1;
  const catalog = clusteredVectors(n + live, dim, opts.clusters ?? 1000, seed, normSpread);
  const brute = new BruteForceIndex({ dim, capacity: n + live });
  for (let i = 0; i < n; i++) brute.upsert(`i${i}`, row(catalog, i));
  return { n, dim, k: opts.k ?? 500, live, seed, normSpread, catalog, tower: new UserTower(catalog, seed), brute };
}

/**
 * Measures a built `index` (holding items i0…i{n−1}) for each search beam in `beams` (passed as `ef`; `beamName`
 * labels the sweep fields, e.g. `ef` or `nprobe`); the headline is the first beam reaching recall@100 ≥ 0.95 (else
 * the best). `load` reopens a saved snapshot. Returns the keys first, then details.
 */
export async function measureAnnIndex(
  index: AnnIndex,
  load: (dir: string) => Promise<AnnIndex>,
  d: BenchData,
  run: { beams: number[]; beamName: string; recallQueries?: number; latencyQueries?: number },
): Promise<Record<string, number>> {
  const { n, k, live, seed, catalog, tower, brute } = d;
  // exact answers and brute force per query
  const recallLists = recentLists(catalog, run.recallQueries ?? 300, n, seed + 1);
  const recallQueries = recallLists.map((rows) => tower.vector(rows));
  const bruteMs: number[] = [];
  const exact = recallQueries.map((q) => {
    const t = performance.now();
    const ids = brute.search(q, k).ids;
    bruteMs.push(performance.now() - t);
    return ids;
  });
  const two = recallLists.map((rows) => twoInterests(catalog, rows));

  // per beam: recall vs exact, then serving latency (user tower + search of k candidates) back to back on this thread
  const latencyLists = recentLists(catalog, run.latencyQueries ?? 3000, n, seed + 2);
  const sweep: Record<string, number> = {};
  type Result = { beam: number; r100: number; r500: number; rOne: number; rTwo: number; p50: number; p99: number; qpsCpu: number; qpsWall: number };
  let chosen: Result | undefined;
  const loadAvg = loadavg()[0];
  for (const beam of run.beams) {
    const r100: number[] = [];
    const r500: number[] = [];
    recallQueries.forEach((q, i) => {
      const ids = index.search(q, k, { ef: beam }).ids;
      r100.push(overlap(ids, exact[i], 100));
      r500.push(overlap(ids, exact[i], k));
    });
    for (const rows of latencyLists.slice(0, 200)) index.search(tower.vector(rows), k, { ef: beam });
    const lat: number[] = [];
    const cpu0 = process.cpuUsage();
    const tAll = performance.now();
    for (const rows of latencyLists) {
      const t = performance.now();
      index.search(tower.vector(rows), k, { ef: beam });
      lat.push(performance.now() - t);
    }
    const wallS = (performance.now() - tAll) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const result: Result = {
      beam,
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
    const b = `${run.beamName}${beam}`;
    log(
      `${run.beamName} ${beam}: recall@100 ${result.r100.toFixed(4)} (one interest ${result.rOne.toFixed(4)}, two ${result.rTwo.toFixed(4)}), ` +
        `recall@500 ${result.r500.toFixed(4)}, p50 ${result.p50.toFixed(3)} ms, p99 ${result.p99.toFixed(3)} ms, ` +
        `${Math.round(result.qpsCpu)} q/s per core (${Math.round(result.qpsWall)} wall)`,
    );
    Object.assign(sweep, {
      [`${b}_recall_at_100`]: round(result.r100, 4),
      [`${b}_recall_at_100_one_interest`]: round(result.rOne, 4),
      [`${b}_recall_at_100_two_interests`]: round(result.rTwo, 4),
      [`${b}_p50_ms`]: round(result.p50, 3),
      [`${b}_p99_ms`]: round(result.p99, 3),
      [`${b}_qps_per_core`]: Math.round(result.qpsCpu),
    });
    if (!chosen || (chosen.r100 < 0.95 && result.r100 > chosen.r100)) chosen = result;
  }
  const c = chosen!;
  const ef = c.beam;

  // live: a query, then a new item, and every 10th step a removal
  const liveLat: number[] = [];
  const insertMs: number[] = [];
  const removeMs: number[] = [];
  const liveLists = recentLists(catalog, live, n, seed + 3);
  const rand = mulberry32(mixSeed(seed, 4));
  const removed = new Set<string>();
  for (let s = 0; s < live; s++) {
    let t = performance.now();
    index.search(tower.vector(liveLists[s]), k, { ef });
    liveLat.push(performance.now() - t);
    const id = `i${n + s}`;
    t = performance.now();
    index.upsert(id, row(catalog, n + s));
    insertMs.push(performance.now() - t);
    brute.upsert(id, row(catalog, n + s));
    if (s % 10 === 9) {
      const victim = `i${Math.floor(rand() * n)}`;
      removed.add(victim);
      t = performance.now();
      index.remove(victim);
      removeMs.push(performance.now() - t);
      brute.remove(victim);
    }
  }
  // after the live phase: recall still holds, new items are found, removed ones never come back
  const after100: number[] = [];
  let removedSeen = 0;
  for (const q of recallQueries.slice(0, 100)) {
    const ann = index.search(q, k, { ef });
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
      if (index.search(q, k, { ef }).ids.includes(id)) freshFound++;
    }
  }

  // persistence
  const dir = await mkdtemp(join(tmpdir(), `feedloop-bench-${index.name}-`));
  let saveS: number;
  let loadS: number;
  let bytes: number;
  let identical = 1;
  try {
    let t = performance.now();
    await index.save(dir);
    saveS = (performance.now() - t) / 1000;
    bytes = await dirBytes(dir);
    t = performance.now();
    const loaded = await load(dir);
    loadS = (performance.now() - t) / 1000;
    for (const q of recallQueries.slice(0, 50)) {
      if (index.search(q, k, { ef }).ids.join() !== loaded.search(q, k, { ef }).ids.join()) identical = 0;
    }
    loaded.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    items: n,
    recall_at_100: round(c.r100, 4),
    p50_ms: round(c.p50, 3),
    p99_ms: round(c.p99, 3),
    qps_per_core: Math.round(c.qpsCpu),
    insert_p99_ms: round(percentile(insertMs, 0.99), 3),
    brute_force_ms: round(percentile(bruteMs, 0.5), 2),
    dim: d.dim,
    k,
    [run.beamName]: ef,
    norm_spread: d.normSpread,
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
    save_s: round(saveS, 2),
    load_s: round(loadS, 2),
    snapshot_mb: round(bytes / 2 ** 20, 1),
    reload_identical: identical,
    ...sweep,
  };
}
