/** Spherical k-means (inner product on unit-normalised centroids) for the IVF coarse quantiser, and its helpers. */

/** Index of the centroid with the largest inner product with `v[off … off + dim)`. */
export function nearestCentroid(cents: Float32Array, k: number, dim: number, v: Float32Array, off: number): number {
  let best = 0;
  let bestS = -Infinity;
  for (let c = 0, co = 0; c < k; c++, co += dim) {
    let s = 0;
    let j = 0;
    for (; j + 3 < dim; j += 4) {
      s += cents[co + j] * v[off + j] + cents[co + j + 1] * v[off + j + 1] + cents[co + j + 2] * v[off + j + 2] + cents[co + j + 3] * v[off + j + 3];
    }
    for (; j < dim; j++) s += cents[co + j] * v[off + j];
    if (s > bestS) {
      bestS = s;
      best = c;
    }
  }
  return best;
}

/** `k` unit centroids from the first `m` rows of a shuffled `sample` (row-major, `dim` wide), `iterations` rounds. */
export function sphericalKMeans(sample: Float32Array, m: number, k: number, dim: number, iterations: number, rand: () => number): Float32Array<ArrayBuffer> {
    // init: k distinct sample points (the sample is already shuffled), normalised
    const cents = new Float32Array(k * dim);
    for (let c = 0; c < k; c++) cents.set(sample.subarray(c * dim, (c + 1) * dim), c * dim);
    normaliseRows(cents, k, dim, rand, sample, m);
    const assign = new Int32Array(m);
    const sums = new Float64Array(k * dim);
    for (let it = 0; it < iterations; it++) {
      sums.fill(0);
      for (let i = 0; i < m; i++) {
        const c = nearestCentroid(cents, k, dim, sample, i * dim);
        assign[i] = c;
        const so = c * dim;
        const vo = i * dim;
        for (let j = 0; j < dim; j++) sums[so + j] += sample[vo + j];
      }
      for (let x = 0; x < k * dim; x++) cents[x] = sums[x];
      normaliseRows(cents, k, dim, rand, sample, m);
    }
  return cents;
}

export function dot(a: Float32Array, off: number, q: Float32Array, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[off + j] * q[j];
  return s;
}

/** Normalises each row to unit length; a zero row (empty cluster) is reseeded with a random sample point. */
export function normaliseRows(rows: Float32Array, k: number, dim: number, rand: () => number, sample: Float32Array, m: number): void {
  for (let c = 0; c < k; c++) {
    const off = c * dim;
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += rows[off + j] ** 2;
    if (!(norm > 0)) {
      const src = Math.floor(rand() * m) * dim;
      rows.set(sample.subarray(src, src + dim), off);
      norm = 0;
      for (let j = 0; j < dim; j++) norm += rows[off + j] ** 2;
      if (!(norm > 0)) {
        rows[off] = 1;
        norm = 1;
      }
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) rows[off + j] *= inv;
  }
}
