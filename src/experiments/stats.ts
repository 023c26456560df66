/**
 * The statistics the experiment results need, with no dependency: summaries of per-user values, Welch's t-test,
 * a delta-method interval for the relative difference of two means, and Pearson's chi-square goodness-of-fit test
 * (sample-ratio mismatch). Distribution functions use the regularised incomplete beta and gamma functions
 * (src/util/special-functions.ts, and a series / continued fraction for the gamma one, Numerical Recipes §6.2),
 * accurate to ~1e-10 — far below what a decision needs.
 * Benjamini–Hochberg adjusts the p-values of the many comparisons one experiment makes (metrics × arms).
 */
import { lnGamma, regularizedBeta } from '../util/special-functions.js';

/** n, mean and (unbiased) variance of a sample. */
export interface Summary {
  n: number;
  mean: number;
  variance: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return { n, mean: n ? mean : Number.NaN, variance: n > 1 ? m2 / (n - 1) : Number.NaN };
}

/** Welch's unequal-variance t-test of mean(b) − mean(a): t, Welch–Satterthwaite df and the two-sided p-value. */
export function welch(a: Summary, b: Summary): { t: number; df: number; p: number; se: number } {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  if (!(a.n > 1 && b.n > 1) || !Number.isFinite(se)) return { t: Number.NaN, df: Number.NaN, p: Number.NaN, se: Number.NaN };
  const diff = b.mean - a.mean;
  if (se === 0) return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: a.n + b.n - 2, p: diff === 0 ? 1 : 0, se };
  const t = diff / se;
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  return { t, df, p: studentTwoSidedP(t, df), se };
}

/**
 * The relative difference mean(b) / mean(a) − 1 and its confidence interval (delta method on the ratio of two
 * independent means, with the Welch df's t quantile); NaN when mean(a) is 0 or a sample is too small.
 */
export function relativeDifference(a: Summary, b: Summary, level = 0.95): { estimate: number; low: number; high: number } {
  const nan = { estimate: Number.NaN, low: Number.NaN, high: Number.NaN };
  if (!(a.n > 1 && b.n > 1) || a.mean === 0) return nan;
  const r = b.mean / a.mean;
  const se = Math.sqrt(b.variance / b.n / a.mean ** 2 + (b.mean ** 2 * a.variance) / a.n / a.mean ** 4);
  const { df } = welch(a, b);
  const q = studentQuantile(1 - (1 - level) / 2, Number.isFinite(df) ? df : a.n + b.n - 2);
  return { estimate: r - 1, low: r - 1 - q * se, high: r - 1 + q * se };
}

/**
 * Benjamini–Hochberg adjusted p-values (same order as `p`; NaN entries stay NaN and do not count): p_(k) × m / k,
 * made monotone from the largest down and capped at 1. Rejecting where adjusted < α keeps the false discovery rate
 * at α (independent or positively dependent tests); when every null is true (an A/A test) that is the chance of any
 * false positive at all.
 */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const idx = p.map((_, i) => i).filter((i) => Number.isFinite(p[i]));
  idx.sort((a, b) => p[a] - p[b]);
  const m = idx.length;
  const out = p.map(() => Number.NaN);
  let min = 1;
  for (let k = m - 1; k >= 0; k--) {
    min = Math.min(min, (p[idx[k]] * m) / (k + 1));
    out[idx[k]] = min;
  }
  return out;
}

/** Pearson's chi-square test of observed counts against expected shares (normalised); p = P(χ²_{k−1} ≥ statistic). */
export function chiSquareGoodnessOfFit(observed: readonly number[], expectedShares: readonly number[]): { chi2: number; df: number; p: number } {
  const total = observed.reduce((s, x) => s + x, 0);
  const shareSum = expectedShares.reduce((s, x) => s + x, 0);
  let chi2 = 0;
  let k = 0;
  observed.forEach((o, i) => {
    const e = (total * expectedShares[i]) / shareSum;
    if (e > 0) {
      chi2 += (o - e) ** 2 / e;
      k++;
    }
  });
  const df = k - 1;
  return { chi2, df, p: total > 0 && df > 0 ? gammaQ(df / 2, chi2 / 2) : 1 };
}

/** Two-sided p-value of Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? Number.NaN : 0;
  return regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** The q-quantile (q > 0.5) of Student's t with `df` degrees of freedom, by bisection on the distribution function. */
export function studentQuantile(q: number, df: number): number {
  let lo = 0;
  let hi = 1e3;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (1 - studentTwoSidedP(mid, df) / 2 < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Regularised upper incomplete gamma Q(a, x) = 1 − P(a, x). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lg = lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let del = sum;
    let ap = a;
    for (let n = 0; n < 500; n++) {
      del *= x / ++ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-14) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lg);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return Math.exp(-x + a * Math.log(x) - lg) * h;
}
