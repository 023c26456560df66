/**
 * Calibration of the ranker's heads: maps a head's logit to a probability that matches observed rates on held-out
 * data, so heads can be combined in a value formula and compared across model versions.
 *
 * - Platt scaling: p = sigmoid(a·z + b), two parameters, smooth; the default when data are few.
 * - Isotonic regression (pool-adjacent-violators) on sigmoid(z): any monotone map, needs more data.
 * - `Calibrator` is the serialisable (JSON) form either fit produces; `calibrate` applies it to one logit.
 * - `correctForNegativeSampling` undoes the bias of training/calibrating on data whose negatives were down-sampled.
 *
 * Inputs follow the metrics' conventions (metrics.ts): optional weights and index subset, soft labels in [0, 1]
 * allowed, NaN labels skipped. Fits reject non-finite logits (ValidationError) rather than produce NaN parameters.
 */
import { ValidationError } from '../../errors.js';
import { labelledColumns, orderByScore, type LabelledColumns } from './metrics.js';

/** Logistic function, 1 / (1 + e^−x). */
function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** ln(1 + e^x) without overflow. */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function finiteColumns(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  idx?: ArrayLike<number>,
): LabelledColumns {
  const c = labelledColumns(logits, labels, weights, idx);
  for (let i = 0; i < c.n; i++) {
    if (!Number.isFinite(c.scores[i])) throw new ValidationError(`score ${c.scores[i]} is not finite`, 'scores');
  }
  return c;
}

export interface PlattOptions {
  /**
   * L2 strength on (a − 1, b), added to the mean weighted log-loss: λ/2·((a − 1)² + b²). It keeps the Newton system
   * positive definite (separable or one-class data) and pulls towards the identity map; 1e-4 is like one pseudo-example
   * per 10⁴ units of weight. Default 1e-4.
   */
  l2?: number;
  /** Newton iterations at most. Default 100. */
  maxIter?: number;
}

/**
 * Platt scaling: (a, b) minimising the mean weighted log-loss of sigmoid(a·z + b) plus λ/2·((a − 1)² + b²), by
 * Newton's method from the identity (a = 1, b = 0) with a backtracking line search. The objective is strictly
 * convex, so the result is the unique optimum and deterministic. With no counted weight it is the identity.
 */
export function fitPlatt(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  idx?: ArrayLike<number>,
  options: PlattOptions = {},
): { a: number; b: number } {
  const l2 = options.l2 ?? 1e-4;
  const maxIter = options.maxIter ?? 100;
  if (!(l2 > 0 && l2 < Infinity)) throw new ValidationError(`l2 must be a positive number, got ${l2}`, 'l2');
  const { n, scores: z, labels: y, weights: w } = finiteColumns(logits, labels, weights, idx);
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i];
  const inv = total > 0 ? 1 / total : 0;
  const objective = (a: number, b: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = a * z[i] + b;
      sum += w[i] * (softplus(u) - y[i] * u); // −(y·ln σ(u) + (1 − y)·ln(1 − σ(u)))
    }
    return sum * inv + 0.5 * l2 * ((a - 1) * (a - 1) + b * b);
  };
  let a = 1;
  let b = 0;
  let f = objective(a, b);
  for (let iter = 0; iter < maxIter; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(a * z[i] + b);
      const r = w[i] * (p - y[i]);
      const h = w[i] * p * (1 - p);
      ga += r * z[i];
      gb += r;
      haa += h * z[i] * z[i];
      hab += h * z[i];
      hbb += h;
    }
    ga = ga * inv + l2 * (a - 1);
    gb = gb * inv + l2 * b;
    haa = haa * inv + l2;
    hab *= inv;
    hbb = hbb * inv + l2;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    const slope = ga * da + gb * db; // < 0: the Hessian is positive definite
    if (!(slope < 0)) break;
    let t = 1;
    let fNext = objective(a + da, b + db);
    while (fNext > f + 1e-4 * t * slope && t > 1e-10) {
      t *= 0.5;
      fNext = objective(a + t * da, b + t * db);
    }
    if (!(fNext <= f)) break;
    a += t * da;
    b += t * db;
    f = fNext;
    if (Math.abs(t * da) + Math.abs(t * db) < 1e-10 * (1 + Math.abs(a) + Math.abs(b))) break;
  }
  return { a, b };
}

/** A monotone piecewise-linear map: knots `x` strictly increasing, values `y` non-decreasing. */
export interface IsotonicModel {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/**
 * Isotonic regression of labels on scores by pool-adjacent-violators: the non-decreasing step function of the score
 * with the least weighted squared error (which also minimises log-loss among monotone maps). Examples with equal
 * scores are pooled first; each resulting block is summarised by its knot x = weighted mean score and value y =
 * weighted mean label. Interior knots of runs with equal values are dropped (the interpolant is unchanged).
 * Zero-weight examples carry no information and are skipped; with nothing counted the model is empty.
 */
export function fitIsotonic(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  idx?: ArrayLike<number>,
): { x: Float64Array; y: Float64Array } {
  const c = finiteColumns(scores, labels, weights, idx);
  const order = orderByScore(c.scores);
  // Block stack: total weight, Σ w·score, Σ w·label.
  const bw = new Float64Array(c.n);
  const bs = new Float64Array(c.n);
  const by = new Float64Array(c.n);
  let top = 0;
  for (let k = 0; k < c.n; ) {
    const score = c.scores[order[k]];
    let w = 0;
    let wy = 0;
    for (; k < c.n && c.scores[order[k]] === score; k++) {
      const i = order[k];
      w += c.weights[i];
      wy += c.weights[i] * c.labels[i];
    }
    if (!(w > 0)) continue;
    bw[top] = w;
    bs[top] = w * score;
    by[top] = wy;
    top++;
    // Pool while the previous block's mean exceeds this one's (means compared by cross-multiplying weights).
    while (top > 1 && by[top - 2] * bw[top - 1] > by[top - 1] * bw[top - 2]) {
      bw[top - 2] += bw[top - 1];
      bs[top - 2] += bs[top - 1];
      by[top - 2] += by[top - 1];
      top--;
    }
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (let j = 0; j < top; j++) {
    const value = by[j] / bw[j];
    const last = ys.length - 1;
    // Drop the middle knot of three with equal values.
    if (last >= 1 && ys[last] === value && ys[last - 1] === value) {
      xs.pop();
      ys.pop();
    }
    xs.push(bs[j] / bw[j]);
    ys.push(value);
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}

/**
 * Evaluates an isotonic model at `score`: linear interpolation between neighbouring knots, clamped to the first /
 * last value outside the knots' range. NaN for an empty model or a NaN score.
 */
export function applyIsotonic(model: IsotonicModel, score: number): number {
  const { x, y } = model;
  const k = x.length;
  if (k === 0 || Number.isNaN(score)) return NaN;
  if (score <= x[0]) return y[0];
  if (score >= x[k - 1]) return y[k - 1];
  let lo = 0; // x[lo] < score < x[hi]
  let hi = k - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] <= score) lo = mid;
    else hi = mid;
  }
  const t = (score - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + t * (y[hi] - y[lo]);
}

/** A fitted calibrator in serialisable form (plain JSON). */
export type Calibrator = { kind: 'platt'; a: number; b: number } | { kind: 'isotonic'; x: number[]; y: number[] };

/** Calibrated probability for a head's logit: Platt maps the logit; isotonic maps sigmoid(logit). */
export function calibrate(c: Calibrator, logit: number): number {
  if (c.kind === 'platt') return sigmoid(c.a * logit + c.b);
  return applyIsotonic(c, sigmoid(logit));
}

/**
 * Fits a calibrator of the given kind on a head's logits. Isotonic is fitted on sigmoid(logit); with no counted
 * examples it is the identity on probabilities (knots (0, 0) and (1, 1)), as Platt's fit is then the identity too.
 */
export function fitCalibrator(
  kind: Calibrator['kind'],
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  idx?: ArrayLike<number>,
): Calibrator {
  if (kind === 'platt') return { kind, ...fitPlatt(logits, labels, weights, idx) };
  if (kind !== 'isotonic') throw new ValidationError(`unknown calibrator kind ${String(kind)}`, 'kind');
  const probs = new Float64Array(logits.length);
  for (let i = 0; i < probs.length; i++) {
    const z = logits[i];
    probs[i] = Number.isFinite(z) ? sigmoid(z) : z; // a non-finite logit stays non-finite, so the fit rejects it
  }
  const m = fitIsotonic(probs, labels, weights, idx);
  if (m.x.length === 0) return { kind, x: [0, 1], y: [0, 1] };
  return { kind, x: Array.from(m.x), y: Array.from(m.y) };
}

/**
 * Maps a probability learned on data whose negatives were down-sampled back to the full population
 * (He et al. 2014, "Practical lessons from predicting clicks on ads at Facebook", §5):
 *   q = p / (p + (1 − p) / keptFraction).
 * Keeping each negative with probability f multiplies the negatives' odds mass by f, so a model fitted on the sample
 * predicts odds p/(1 − p) = (q/(1 − q)) / f; solving for q gives the formula. `keptFraction` = 1 is the identity.
 * Not needed when the sampled negatives carry importance weights 1/f in the fit (RankingExamples.weights): weighted
 * fits already describe the population.
 */
export function correctForNegativeSampling(p: number, keptFraction: number): number {
  if (!(keptFraction > 0 && keptFraction <= 1)) {
    throw new ValidationError(`keptFraction must be in (0, 1], got ${keptFraction}`, 'keptFraction');
  }
  return p / (p + (1 - p) / keptFraction);
}
