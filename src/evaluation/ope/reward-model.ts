/**
 * The reward model q̂(item, position) for doubly robust OPE on bandit logs: a smoothed click-through rate per
 * (item, position) cell, shrunk toward the global CTR of the rows it is fitted on,
 *
 *   q̂(i, p) = (clicks(i, p) + m·μ) / (shows(i, p) + m),   μ = Σ clicks / Σ shows,
 *
 * i.e. the posterior mean under a Beta(m·μ, m·(1−μ)) prior per cell. The prior strength m is chosen by empirical
 * Bayes: it maximises the Beta-binomial marginal likelihood of the cells' (clicks, shows) over a log grid
 * m ∈ {1, 10^0.25, …, 10^5} — a property of the training rows only, never of the estimate it feeds.
 *
 * Cross-fitting: rows are split into K folds by a seeded shuffle; the model for fold k is fitted on the other K−1
 * folds and only scores fold k, so no row's residual r − q̂ is shrunk by the row's own click.
 */
import { ValidationError } from '../../errors.js';
import { mulberry32, shuffle } from '../../util/prng.js';
import { lnBeta } from '../../util/special-functions.js';

/** Rows to fit on: 0-based item and position, 0/1 click. */
export interface ClickRows {
  n: number;
  item: Int32Array;
  position: Int32Array;
  click: Float64Array;
}

export interface SmoothedCtr {
  /** q̂ per cell: table[position · numItems + item]. */
  table: Float64Array;
  /** The prior strength m chosen by empirical Bayes, and the prior mean μ. */
  priorStrength: number;
  priorMean: number;
}

const GRID = Array.from({ length: 21 }, (_, k) => Math.pow(10, k / 4));


/** Σ over cells of ln P(clicks | shows) under Beta-binomial(m·μ, m·(1−μ)), without the m-free binomial term. */
function marginalLogLik(clicks: Float64Array, shows: Float64Array, m: number, mu: number): number {
  const a = m * mu;
  const b = m * (1 - mu);
  const base = lnBeta(a, b);
  let s = 0;
  for (let c = 0; c < clicks.length; c++) if (shows[c] > 0) s += lnBeta(a + clicks[c], b + shows[c] - clicks[c]) - base;
  return s;
}

/**
 * Fits the smoothed CTR table on the rows where `use[r]` is 1 (all rows if `use` is undefined). With no click (or
 * only clicks) among them, μ is 0 (or 1) and every cell is μ.
 */
export function fitSmoothedCtr(rows: ClickRows, numItems: number, numPositions: number, use?: Uint8Array): SmoothedCtr {
  const cells = numItems * numPositions;
  const clicks = new Float64Array(cells);
  const shows = new Float64Array(cells);
  let totalClicks = 0;
  let totalShows = 0;
  for (let r = 0; r < rows.n; r++) {
    if (use && use[r] === 0) continue;
    const c = rows.position[r] * numItems + rows.item[r];
    clicks[c] += rows.click[r];
    shows[c] += 1;
    totalClicks += rows.click[r];
    totalShows += 1;
  }
  if (totalShows === 0) throw new ValidationError('reward model: no rows to fit on', 'rows');
  const mu = totalClicks / totalShows;
  const table = new Float64Array(cells);
  if (mu === 0 || mu === 1) return { table: table.fill(mu), priorStrength: Infinity, priorMean: mu };
  let best = GRID[0];
  let bestLl = -Infinity;
  for (const m of GRID) {
    const ll = marginalLogLik(clicks, shows, m, mu);
    if (ll > bestLl) {
      bestLl = ll;
      best = m;
    }
  }
  for (let c = 0; c < cells; c++) table[c] = (clicks[c] + best * mu) / (shows[c] + best);
  return { table, priorStrength: best, priorMean: mu };
}

export interface CrossFit {
  /** Fold of every row (0..folds−1). */
  foldOf: Int32Array;
  /** The model fitted without fold k, for k = 0..folds−1. */
  models: SmoothedCtr[];
}

/**
 * K-fold cross-fitting of the smoothed CTR model: fold sizes differ by at most one; assignment is a seeded shuffle.
 * Score row r with `models[foldOf[r]]`.
 */
export function crossFitSmoothedCtr(rows: ClickRows, numItems: number, numPositions: number, folds: number, seed: number): CrossFit {
  if (!Number.isInteger(folds) || folds < 2 || folds > rows.n) throw new ValidationError(`folds must be an integer in 2..${rows.n}, got ${folds}`, 'folds');
  const order = shuffle(Int32Array.from({ length: rows.n }, (_, i) => i), mulberry32(seed));
  const foldOf = new Int32Array(rows.n);
  for (let k = 0; k < rows.n; k++) foldOf[order[k]] = k % folds;
  const models: SmoothedCtr[] = [];
  const use = new Uint8Array(rows.n);
  for (let f = 0; f < folds; f++) {
    for (let r = 0; r < rows.n; r++) use[r] = foldOf[r] === f ? 0 : 1;
    models.push(fitSmoothedCtr(rows, numItems, numPositions, use));
  }
  return { foldOf, models };
}
