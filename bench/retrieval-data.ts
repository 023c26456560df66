/** Synthetic catalogs for the retrieval benchmark: clustered item vectors, users' recent-item lists, a stand-in user tower. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gaussian, mixSeed, mulberry32 } from '../src/util/prng.js';

/** Item vectors (row-major) with their cluster, and members per cluster. */
export interface Catalog {
  dim: number;
  data: Float32Array;
  /** Rows of cluster c: members.subarray(start[c], start[c + 1]). */
  members: Int32Array;
  start: Int32Array;
  /** Cluster of each row. */
  cluster: Int32Array;
}

/**
 * `n` clustered vectors: direction = centre + Gaussian noise, normalised, then scaled to a norm uniform in
 * [1 − normSpread, 1 + normSpread] (0: unit norm, like the two-tower model's L2-normalised item tower).
 */
export function clusteredVectors(n: number, dim: number, clusters: number, seed: number, normSpread = 0): Catalog {
  const rand = mulberry32(mixSeed(seed, 1));
  const centres = new Float32Array(clusters * dim);
  for (let c = 0; c < clusters; c++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (centres[c * dim + j] = gaussian(rand)) ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) centres[c * dim + j] /= norm;
  }
  const spread = 0.7 / Math.sqrt(dim);
  const data = new Float32Array(n * dim);
  const cluster = new Int32Array(n);
  const v = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * clusters);
    cluster[i] = c;
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (v[j] = centres[c * dim + j] + spread * gaussian(rand)) ** 2;
    const scale = (1 - normSpread + 2 * normSpread * rand()) / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[i * dim + j] = v[j] * scale;
  }
  const start = new Int32Array(clusters + 1);
  for (let i = 0; i < n; i++) start[cluster[i] + 1]++;
  for (let c = 0; c < clusters; c++) start[c + 1] += start[c];
  const fillAt = start.slice(0, clusters);
  const members = new Int32Array(n);
  for (let i = 0; i < n; i++) members[fillAt[cluster[i]]++] = i;
  return { dim, data, members, start, cluster };
}

/**
 * A stand-in user tower with the trained two-tower model's shapes (src/training/two-tower): x = mean of the last
 * `historyMax` (32) recent items' vectors, then the residual layer x + W2·relu(W1·x + b1) + b2 (64 → 64 → 64), then
 * L2 normalisation. Random weights: the timing is what matters, and the output stays near the items' clusters.
 */
export class UserTower {
  private readonly w1: Float32Array;
  private readonly w2: Float32Array;
  private readonly x: Float64Array;
  private readonly h: Float64Array;
  constructor(
    private readonly catalog: Catalog,
    seed: number,
    private readonly historyMax = 32,
  ) {
    const { dim } = catalog;
    const rand = mulberry32(mixSeed(seed, 2));
    const xavier = Math.sqrt(6 / (dim + dim));
    this.w1 = Float32Array.from({ length: dim * dim }, () => (rand() * 2 - 1) * xavier);
    this.w2 = Float32Array.from({ length: dim * dim }, () => (rand() * 2 - 1) * 0.1 * xavier);
    this.x = new Float64Array(dim);
    this.h = new Float64Array(dim);
  }

  vector(recentRows: Int32Array): Float32Array {
    const { dim, data } = this.catalog;
    const { x, h, w1, w2 } = this;
    x.fill(0);
    const from = Math.max(0, recentRows.length - this.historyMax);
    for (let i = from; i < recentRows.length; i++) {
      const off = recentRows[i] * dim;
      for (let j = 0; j < dim; j++) x[j] += data[off + j];
    }
    const inv = 1 / (recentRows.length - from);
    for (let j = 0; j < dim; j++) x[j] *= inv;
    for (let r = 0; r < dim; r++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += w1[r * dim + c] * x[c];
      h[r] = s > 0 ? s : 0;
    }
    const out = new Float32Array(dim);
    let norm = 0;
    for (let r = 0; r < dim; r++) {
      let s = x[r];
      for (let c = 0; c < dim; c++) s += w2[r * dim + c] * h[c];
      out[r] = s;
      norm += s * s;
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let r = 0; r < dim; r++) out[r] *= scale;
    return out;
  }
}

/**
 * Recent-item lists: 20–50 random items of one cluster, or alternately of two (`twoInterestShare` of the users:
 * a query between two interests, the hard case for a graph search), among the first `n` rows.
 */
export function recentLists(catalog: Catalog, count: number, n: number, seed: number, twoInterestShare = 0.4): Int32Array[] {
  const rand = mulberry32(mixSeed(seed, 3));
  const clusters = catalog.start.length - 1;
  const fromCluster = (c: number): number => {
    const from = catalog.start[c];
    const size = catalog.start[c + 1] - from;
    for (;;) {
      const r = catalog.members[from + Math.floor(rand() * size)];
      if (r < n) return r;
    }
  };
  const cluster = (): number => {
    for (;;) {
      const c = Math.floor(rand() * clusters);
      if (catalog.start[c + 1] - catalog.start[c] >= 5) return c;
    }
  };
  return Array.from({ length: count }, () => {
    const len = 20 + Math.floor(rand() * 31);
    const first = cluster();
    const second = rand() < twoInterestShare ? cluster() : first;
    const rows = new Int32Array(len);
    for (let i = 0; i < len; i++) rows[i] = fromCluster(i % 2 === 0 ? first : second);
    return rows;
  });
}

export const row = (catalog: Catalog, i: number) => catalog.data.subarray(i * catalog.dim, (i + 1) * catalog.dim);
export const overlap = (a: readonly string[], b: readonly string[], n: number) => {
  const want = new Set(b.slice(0, n));
  let hit = 0;
  for (const id of a.slice(0, n)) if (want.has(id)) hit++;
  return hit / Math.min(n, want.size);
};
export const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
export const log = (msg: string) => process.stderr.write(`# ${msg}\n`);


export interface RetrievalBenchOptions {
  /** Catalog size; default `FEEDLOOP_BENCH_RETRIEVAL_ITEMS` or 1,000,000. */
  items?: number;
  dim?: number;
  clusters?: number;
  /** Candidates per request. Default 500. */
  k?: number;
  /**
   * Search beams to measure (hnswlib uses max(ef, k)); the headline figures are those of the first ef reaching
   * recall@100 ≥ 0.95 (else the best). Default [500, 700, 1000].
   */
  efs?: number[];
  /** Item norms uniform in [1 − s, 1 + s]. Default 0.1 ("unit-norm-ish"; the trained model's are exactly 1). */
  normSpread?: number;
  M?: number;
  efConstruction?: number;
  /** Queries checked against brute force. Default 300. */
  recallQueries?: number;
  /** Queries timed back to back. Default 3000. */
  latencyQueries?: number;
  /** New items inserted while serving (one per query; a removal every 10th). Default 2000. */
  liveInserts?: number;
  seed?: number;
}

export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

export const twoInterests = (catalog: Catalog, rows: Int32Array) => catalog.cluster[rows[0]] !== catalog.cluster[rows[1]];
