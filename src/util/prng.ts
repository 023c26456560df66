/**
 * Small seeded random helpers for the demo world and its simulated users: deterministic for a seed, no dependencies,
 * no objects per draw. (The tests have their own copy of mulberry32; src must not import test code.)
 */

/** A source of uniform numbers in [0, 1). */
export type Rand = () => number;

/** Mulberry32: a tiny, fast, seeded 32-bit PRNG (good enough for simulation, not for cryptography). */
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a seed with stream numbers into a new 32-bit seed (so sub-generators are independent of each other). */
export function mixSeed(seed: number, ...streams: number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const s of streams) {
    h = Math.imul(h ^ (s >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** FNV-1a 32-bit hash of a string: stable across processes and versions. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A standard normal draw (Box–Muller; one of the pair is discarded to stay stateless). */
export function gaussian(rand: Rand): number {
  const u = 1 - rand(); // (0, 1]
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Zipf weights 1/(rank+1)^exponent for ranks 0..n−1 (not normalised). */
export function zipfWeights(n: number, exponent: number): Float64Array {
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = 1 / Math.pow(r + 1, exponent);
  return w;
}

/** Draws indices with probability proportional to non-negative weights (cumulative table + binary search, O(log n)). */
export class WeightedSampler {
  private readonly cumulative: Float64Array;

  constructor(weights: ArrayLike<number>) {
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      sum += Math.max(0, weights[i]);
      this.cumulative[i] = sum;
    }
    if (!(sum > 0)) throw new Error('WeightedSampler needs at least one positive weight');
  }

  get size(): number {
    return this.cumulative.length;
  }

  sample(rand: Rand): number {
    const c = this.cumulative;
    const x = rand() * c[c.length - 1];
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Fisher–Yates shuffle in place. */
export function shuffle(a: Int32Array, rand: Rand): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** Logistic function. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
