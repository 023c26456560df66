/**
 * Binary-classification metrics for the learned ranker's heads: ROC AUC, log-loss and expected calibration error,
 * each over an optional index subset (e.g. a TimeSplit's `valid` rows) with optional example weights.
 *
 * Conventions shared by every function here:
 * - Labels may be soft (the `watch` head's ratio in [0, 1]): an example with label y and weight w counts as a
 *   positive of weight w·y and a negative of weight w·(1 − y). For 0/1 labels this is the usual definition.
 * - An example whose label is NaN is unknown for this head and is skipped (RankingExamples masks tasks this way).
 * - A NaN score or probability among the counted examples makes the result NaN (a diverged model should show up in
 *   the report, not be silently dropped).
 * - Mismatched lengths, out-of-range indices, labels outside [0, 1] and negative or non-finite weights are the
 *   caller's bug and throw ValidationError.
 * - A metric with nothing to measure (no counted weight; for AUC, no positive or no negative weight) is NaN.
 */
import { ValidationError } from '../../errors.js';

/** The counted examples of one head, compacted: score, label and weight of each, in input (or `idx`) order. */
export interface LabelledColumns {
  n: number;
  scores: Float64Array;
  labels: Float64Array;
  weights: Float64Array;
  /** True when some counted example has a NaN score. */
  hasNaNScore: boolean;
}

/**
 * Validates the columns and gathers the examples with a known label (NaN labels skipped) into compact float64
 * columns; `weights` defaults to 1. Shared by the metrics and by the calibrators' fits.
 */
export function labelledColumns(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  idx?: ArrayLike<number>,
): LabelledColumns {
  const len = labels.length;
  if (scores.length !== len) throw new ValidationError(`scores has ${scores.length} entries, labels ${len}`, 'scores');
  if (weights !== undefined && weights.length !== len) {
    throw new ValidationError(`weights has ${weights.length} entries, labels ${len}`, 'weights');
  }
  const m = idx === undefined ? len : idx.length;
  const s = new Float64Array(m);
  const y = new Float64Array(m);
  const w = new Float64Array(m);
  let n = 0;
  let hasNaNScore = false;
  for (let k = 0; k < m; k++) {
    const i = idx === undefined ? k : idx[k];
    if (!(Number.isInteger(i) && i >= 0 && i < len)) throw new ValidationError(`index ${i} out of range [0, ${len})`, `idx/${k}`);
    const label = labels[i];
    if (Number.isNaN(label)) continue;
    if (!(label >= 0 && label <= 1)) throw new ValidationError(`label ${label} is outside [0, 1]`, `labels/${i}`);
    const weight = weights === undefined ? 1 : weights[i];
    if (!(weight >= 0 && weight < Infinity)) throw new ValidationError(`weight ${weight} is not a finite non-negative number`, `weights/${i}`);
    const score = scores[i];
    if (Number.isNaN(score)) hasNaNScore = true;
    s[n] = score;
    y[n] = label;
    w[n] = weight;
    n++;
  }
  return { n, scores: s.subarray(0, n), labels: y.subarray(0, n), weights: w.subarray(0, n), hasNaNScore };
}

/** Positions 0..n−1 ordered by ascending score, ties by position (so every order here is deterministic). */
export function orderByScore(scores: Float64Array): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[a] - scores[b] || a - b);
}

/**
 * ROC AUC: the probability that a random positive outscores a random negative, ties counting one half, with each
 * pair weighted by (positive weight) × (negative weight). Computed in O(n log n) by sorting on score and walking
 * groups of tied scores (the average-rank / trapezoid rule). A soft label y contributes positive weight w·y and
 * negative weight w·(1 − y) at the same score — as if the example were split into a positive and a negative copy,
 * which tie with each other. NaN when there is no positive or no negative weight.
 */
export function auc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  idx?: ArrayLike<number>,
): number {
  const c = labelledColumns(scores, labels, weights, idx);
  if (c.hasNaNScore) return NaN;
  const order = orderByScore(c.scores);
  let negBelow = 0; // negative weight with a strictly lower score
  let correct = 0; // Σ over pairs of w⁺·w⁻·[s⁺ > s⁻] + ½·[s⁺ = s⁻]
  let posTotal = 0;
  for (let start = 0; start < c.n; ) {
    const score = c.scores[order[start]];
    let pos = 0;
    let neg = 0;
    let end = start;
    for (; end < c.n && c.scores[order[end]] === score; end++) {
      const i = order[end];
      pos += c.weights[i] * c.labels[i];
      neg += c.weights[i] * (1 - c.labels[i]);
    }
    correct += pos * (negBelow + 0.5 * neg);
    negBelow += neg;
    posTotal += pos;
    start = end;
  }
  if (!(posTotal > 0 && negBelow > 0)) return NaN;
  return correct / (posTotal * negBelow);
}

/** Probabilities are clipped to [PROB_EPS, 1 − PROB_EPS] before taking logs, so one confident mistake stays finite. */
export const PROB_EPS = 1e-7;

/**
 * Mean weighted binary cross-entropy −Σ w·(y·ln p + (1 − y)·ln(1 − p)) / Σ w, natural log, soft labels allowed,
 * probabilities clipped to [1e-7, 1 − 1e-7]. NaN when no weight is counted.
 */
export function logLoss(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  idx?: ArrayLike<number>,
): number {
  const c = labelledColumns(probs, labels, weights, idx);
  let sum = 0;
  let total = 0;
  for (let i = 0; i < c.n; i++) {
    const p = Math.min(Math.max(c.scores[i], PROB_EPS), 1 - PROB_EPS);
    const y = c.labels[i];
    const w = c.weights[i];
    // Written as two terms so a hard label never multiplies a log by zero into NaN (it cannot: p is clipped).
    sum -= w * (y * Math.log(p) + (1 - y) * Math.log1p(-p));
    total += w;
  }
  return total > 0 ? sum / total : NaN;
}

/**
 * Expected calibration error with equal-mass (quantile) bins: Σ_b (W_b / W)·|mean_b(p) − mean_b(y)|, means weighted.
 *
 * Binning: the counted examples are sorted by probability and cut into `bins` consecutive bins of (about) equal total
 * weight W / bins. Examples with the same probability always share a bin (so the result does not depend on the order
 * of tied examples): a group of ties of weight g whose cumulative weight before it is C goes to bin
 * ⌊bins·(C + g/2) / W⌋, the bin holding the middle of its weight. Large tie groups can therefore leave bins empty or
 * uneven; empty bins contribute nothing. Since W_b/W·|Σ_b w·p/W_b − Σ_b w·y/W_b| = |Σ_b w·(p − y)| / W, each bin's
 * term is its signed weighted residual. Range [0, 1]; NaN when no weight is counted.
 */
export function expectedCalibrationError(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  idx?: ArrayLike<number>,
  bins = 15,
): number {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new ValidationError(`bins must be a positive integer, got ${bins}`, 'bins');
  const c = labelledColumns(probs, labels, weights, idx);
  if (c.hasNaNScore) return NaN;
  let total = 0;
  for (let i = 0; i < c.n; i++) total += c.weights[i];
  if (!(total > 0)) return NaN;
  const order = orderByScore(c.scores);
  const residual = new Float64Array(bins); // Σ w·(p − y) per bin
  let before = 0;
  for (let start = 0; start < c.n; ) {
    const p = c.scores[order[start]];
    let g = 0;
    let r = 0;
    let end = start;
    for (; end < c.n && c.scores[order[end]] === p; end++) {
      const i = order[end];
      g += c.weights[i];
      r += c.weights[i] * (p - c.labels[i]);
    }
    const b = Math.min(bins - 1, Math.floor((bins * (before + g / 2)) / total));
    residual[b] += r;
    before += g;
    start = end;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) ece += Math.abs(residual[b]);
  return ece / total;
}

/** Sum of the labels (the positive count for 0/1 labels, expected positives for soft ones), NaN labels skipped, unweighted. */
export function positives(labels: ArrayLike<number>, idx?: ArrayLike<number>): number {
  const len = labels.length;
  let sum = 0;
  const m = idx === undefined ? len : idx.length;
  for (let k = 0; k < m; k++) {
    const i = idx === undefined ? k : idx[k];
    if (!(Number.isInteger(i) && i >= 0 && i < len)) throw new ValidationError(`index ${i} out of range [0, ${len})`, `idx/${k}`);
    const y = labels[i];
    if (!Number.isNaN(y)) sum += y;
  }
  return sum;
}
