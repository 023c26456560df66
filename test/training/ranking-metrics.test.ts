import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gaussian, mulberry32 } from '../../src/util/prng.js';
import { ValidationError } from '../../src/errors.js';
import { auc, expectedCalibrationError, logLoss, positives } from '../../src/training/ranking/metrics.js';
import {
  applyIsotonic,
  calibrate,
  correctForNegativeSampling,
  fitCalibrator,
  fitIsotonic,
  fitPlatt,
} from '../../src/training/ranking/calibration.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const close = (got: number, want: number, tol: number, what = ''): void =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want} ± ${tol}`);

/** AUC by its definition: every example split into a positive copy (w·y) and a negative copy (w·(1 − y)); all pairs. */
function bruteAuc(s: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>, idx?: ArrayLike<number>): number {
  const rows = idx ? Array.from(idx) : Array.from({ length: y.length }, (_, i) => i);
  let num = 0;
  let pos = 0;
  let neg = 0;
  for (const i of rows) {
    if (Number.isNaN(y[i])) continue;
    const wi = w ? w[i] : 1;
    pos += wi * y[i];
    neg += wi * (1 - y[i]);
    for (const j of rows) {
      if (Number.isNaN(y[j])) continue;
      const wj = w ? w[j] : 1;
      const credit = s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      num += wi * y[i] * wj * (1 - y[j]) * credit;
    }
  }
  return num / (pos * neg);
}

void describe('ranking metrics', () => {
  void it('AUC matches a brute-force pairwise count on random data with ties, weights, NaN labels and a subset', () => {
    const rand = mulberry32(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + Math.floor(rand() * 150);
      const s = Float32Array.from({ length: n }, () => Math.floor(rand() * 12) / 4); // many ties
      const soft = trial % 2 === 1;
      const y = Float32Array.from({ length: n }, () => (rand() < 0.05 ? NaN : soft ? Math.round(rand() * 8) / 8 : rand() < 0.3 ? 1 : 0));
      const w = Float32Array.from({ length: n }, () => (rand() < 0.1 ? 0 : 0.25 + rand() * 3));
      const idx = Int32Array.from({ length: Math.floor(n / 2) }, () => Math.floor(rand() * n));
      close(auc(s, y), bruteAuc(s, y), 1e-12, 'unweighted');
      close(auc(s, y, w), bruteAuc(s, y, w), 1e-12, 'weighted');
      close(auc(s, y, w, idx), bruteAuc(s, y, w, idx), 1e-12, 'subset');
    }
  });

  void it('AUC known cases: perfect 1, reversed 0, constant ½, the textbook 0.75, NaN without both classes', () => {
    const y = [0, 0, 1, 1];
    assert.equal(auc([1, 2, 3, 4], y), 1);
    assert.equal(auc([4, 3, 2, 1], y), 0);
    assert.equal(auc([5, 5, 5, 5], y), 0.5);
    assert.equal(auc([0.1, 0.4, 0.35, 0.8], y), 0.75);
    assert.ok(Number.isNaN(auc([1, 2, 3], [1, 1, 1])));
    assert.ok(Number.isNaN(auc([1, 2, 3], [0, 0, NaN])));
    assert.ok(Number.isNaN(auc([1, NaN, 3, 4], y)), 'a NaN score makes it NaN');
    assert.equal(auc([1, NaN, 3, 4], y, undefined, [0, 2, 3]), 1, 'unless it is outside the subset');
    // Weight 2 is the same as the example twice.
    assert.equal(auc([1, 2, 3], [1, 0, 1], [2, 1, 1]), auc([1, 1, 2, 3], [1, 1, 0, 1]));
  });

  void it('AUC with soft labels equals AUC of the split positive/negative copies; hard labels as floats are unchanged', () => {
    const s = [0.2, 0.5, 0.9, 0.1];
    const y = [0.25, 0.5, 1, 0];
    const split = auc([...s, ...s], [1, 1, 1, 1, 0, 0, 0, 0], [...y, ...y.map((v) => 1 - v)]);
    close(auc(s, y), split, 1e-15);
    assert.equal(auc(Float32Array.of(0.1, 0.2, 0.3), Float32Array.of(0, 1, 1)), 1);
  });

  void it('log-loss: known values, clipping, soft labels, weights, NaN skipped', () => {
    close(logLoss([0.5, 0.5], [1, 0]), Math.LN2, 1e-15);
    close(logLoss([0.9, 0.2], [1, 0]), -(Math.log(0.9) + Math.log(0.8)) / 2, 1e-15);
    close(logLoss([0.9, 0.2, 0.7], [1, 0, NaN]), -(Math.log(0.9) + Math.log(0.8)) / 2, 1e-15);
    close(logLoss([0.9, 0.2], [1, 0], [3, 1]), -(3 * Math.log(0.9) + Math.log(0.8)) / 4, 1e-15);
    close(logLoss([0], [1]), -Math.log(1e-7), 1e-9);
    close(logLoss([1], [0]), -Math.log(1e-7), 1e-6);
    close(logLoss([0.3], [0.3]), -(0.3 * Math.log(0.3) + 0.7 * Math.log(0.7)), 1e-15);
    assert.ok(Number.isNaN(logLoss([0.5], [NaN])));
  });

  void it('ECE is 0 for calibrated bins, large when miscalibrated, and keeps ties in one bin', () => {
    // Two groups of tied probabilities whose label rates match them exactly.
    const p = [...Array<number>(10).fill(0.2), ...Array<number>(10).fill(0.7)];
    const y = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
    close(expectedCalibrationError(p, y, undefined, undefined, 2), 0, 1e-15);
    close(expectedCalibrationError(p, y), 0, 1e-15, 'more bins than groups');
    close(expectedCalibrationError(p, p), 0, 1e-15, 'soft labels equal to p');
    close(expectedCalibrationError([0.9, 0.9, 0.9], [0, 0, 0]), 0.9, 1e-15);
    // One bin: |mean p − mean y|.
    close(expectedCalibrationError([0.1, 0.5, 0.9], [0, 0, 0], undefined, undefined, 1), 0.5, 1e-15);
    // Distinct probabilities, 3 equal-mass bins of 2 each: (|0.1+0.2−1| + |0.3+0.4−0| + |0.5+0.6−1|) / 6.
    close(expectedCalibrationError([0.6, 0.1, 0.4, 0.2, 0.5, 0.3], [1, 1, 0, 0, 0, 0], undefined, undefined, 3), (0.7 + 0.7 + 0.1) / 6, 1e-15);
    // Weighted: calibrated model on Bernoulli data has small ECE; an over-confident one has a large ECE.
    const rand = mulberry32(5);
    const n = 50_000;
    const z = Float64Array.from({ length: n }, () => gaussian(rand));
    const lab = Float64Array.from(z, (v) => (rand() < sigmoid(v) ? 1 : 0));
    assert.ok(expectedCalibrationError(Float64Array.from(z, sigmoid), lab) < 0.02);
    assert.ok(expectedCalibrationError(Float64Array.from(z, (v) => sigmoid(4 * v + 1)), lab) > 0.1);
  });

  void it('positives sums known labels; inputs are validated', () => {
    assert.equal(positives([1, 0, NaN, 1, 0.5]), 2.5);
    assert.equal(positives(Float32Array.of(1, 0, NaN, 1), [0, 2]), 1);
    assert.throws(() => auc([1, 2], [1]), ValidationError);
    assert.throws(() => logLoss([0.5], [1], [1, 1]), ValidationError);
    assert.throws(() => logLoss([0.5], [2]), ValidationError);
    assert.throws(() => logLoss([0.5], [1], [-1]), ValidationError);
    assert.throws(() => auc([1, 2], [1, 0], undefined, [2]), ValidationError);
    assert.throws(() => expectedCalibrationError([0.5], [1], undefined, undefined, 0), ValidationError);
  });
});

void describe('calibration', () => {
  const rand = mulberry32(23);
  const n = 40_000;
  const z = Float64Array.from({ length: n }, () => 1.5 * gaussian(rand));
  const yTrue = Float64Array.from(z, (v) => (rand() < sigmoid(2 * v - 1) ? 1 : 0));

  void it('Platt recovers a and b from y ~ Bernoulli(sigmoid(2z − 1)), exactly with soft labels, deterministically', () => {
    const fit = fitPlatt(z, yTrue);
    close(fit.a, 2, 0.08, 'a');
    close(fit.b, -1, 0.06, 'b');
    assert.deepEqual(fitPlatt(z, yTrue), fit);
    const probs = Float64Array.from(z, (v) => sigmoid(2 * v - 1));
    const soft = fitPlatt(z, probs, undefined, undefined, { l2: 1e-12 });
    close(soft.a, 2, 1e-6, 'soft a');
    close(soft.b, -1, 1e-6, 'soft b');
    const shrunk = fitPlatt(z, probs); // the default L2 pulls slightly towards (1, 0)
    assert.ok(shrunk.a < 2 && shrunk.a > 1.99 && shrunk.b > -1 && shrunk.b < -0.99, `${shrunk.a}, ${shrunk.b}`);
    // Subset and NaN labels: the first half only, with NaN elsewhere, gives the same fit either way.
    const half = Int32Array.from({ length: n / 2 }, (_, i) => i);
    const masked = Float64Array.from(yTrue, (v, i) => (i < n / 2 ? v : NaN));
    const a = fitPlatt(z, yTrue, undefined, half);
    const b = fitPlatt(z, masked);
    close(a.a, b.a, 1e-12);
    close(a.b, b.b, 1e-12);
    assert.deepEqual(fitPlatt([], []), { a: 1, b: 0 }, 'no data: identity');
    // Separable data stays finite.
    const sep = fitPlatt([-2, -1, 1, 2], [0, 0, 1, 1]);
    assert.ok(Number.isFinite(sep.a) && Number.isFinite(sep.b));
    assert.throws(() => fitPlatt([Infinity], [1]), ValidationError);
  });

  void it('isotonic: PAV on a small case, interpolation and clamping', () => {
    const m = fitIsotonic([1, 2, 3, 4], [1, 0, 1, 1]);
    assert.deepEqual(Array.from(m.x), [1.5, 3, 4]);
    assert.deepEqual(Array.from(m.y), [0.5, 1, 1]);
    assert.equal(applyIsotonic(m, 0), 0.5);
    assert.equal(applyIsotonic(m, 2.25), 0.75);
    assert.equal(applyIsotonic(m, 10), 1);
    // Ties pool first; weights count.
    const t = fitIsotonic([1, 1, 2], [1, 0, 1], [3, 1, 1]);
    assert.deepEqual(Array.from(t.x), [1, 2]);
    assert.deepEqual(Array.from(t.y), [0.75, 1]);
    // Interior knots of flat runs are dropped.
    const flat = fitIsotonic([1, 2, 3, 4, 5], [0, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(flat.x), [1, 4, 5]);
    assert.ok(Number.isNaN(applyIsotonic(fitIsotonic([], []), 0.5)));
  });

  void it('isotonic is monotone and reduces log-loss of a miscalibrated head, in and out of sample', () => {
    const bad = Float64Array.from(z, (v) => 3 * v + 1); // over-confident, shifted logits of the same ranking
    const train = Int32Array.from({ length: n / 2 }, (_, i) => 2 * i);
    const test = Int32Array.from({ length: n / 2 }, (_, i) => 2 * i + 1);
    const cal = fitCalibrator('isotonic', bad, yTrue, undefined, train);
    assert.equal(cal.kind, 'isotonic');
    if (cal.kind !== 'isotonic') return;
    for (let i = 1; i < cal.x.length; i++) {
      assert.ok(cal.x[i] > cal.x[i - 1], 'knots strictly increasing');
      assert.ok(cal.y[i] >= cal.y[i - 1], 'values non-decreasing');
    }
    const rawP = Float64Array.from(bad, sigmoid);
    const calP = Float64Array.from(bad, (v) => calibrate(cal, v));
    for (const part of [train, test]) {
      const before = logLoss(rawP, yTrue, undefined, part);
      const after = logLoss(calP, yTrue, undefined, part);
      assert.ok(after < before - 0.05, `log-loss ${before} → ${after}`);
      assert.ok(expectedCalibrationError(calP, yTrue, undefined, part) < 0.02);
    }
    // A serialised calibrator round-trips through JSON.
    const platt = fitCalibrator('platt', bad, yTrue, undefined, train);
    const back = JSON.parse(JSON.stringify(platt));
    assert.equal(calibrate(back, 0.3), calibrate(platt, 0.3));
    assert.ok(logLoss(Float64Array.from(bad, (v) => calibrate(platt, v)), yTrue, undefined, test) < logLoss(rawP, yTrue, undefined, test) - 0.05);
    assert.deepEqual(fitCalibrator('isotonic', [], []), { kind: 'isotonic', x: [0, 1], y: [0, 1] });
  });

  void it('the negative-sampling correction inverts down-sampling of negatives', () => {
    // Exact: sampling turns p into p / (p + (1 − p)·f); the correction maps it back.
    for (const p of [0.001, 0.03, 0.5, 0.97]) {
      for (const f of [0.01, 0.1, 0.5, 1]) close(correctForNegativeSampling(p / (p + (1 - p) * f), f), p, 1e-12);
    }
    assert.equal(correctForNegativeSampling(0.3, 1), 0.3);
    assert.throws(() => correctForNegativeSampling(0.3, 0), ValidationError);
    assert.throws(() => correctForNegativeSampling(0.3, 1.5), ValidationError);

    // Simulated: a population with a 3% base rate, negatives kept with f = 0.1, Platt fitted on the sample.
    const r = mulberry32(99);
    const f = 0.1;
    const pop = 400_000;
    const logit = new Float64Array(pop);
    const label = new Float64Array(pop);
    const kept: number[] = [];
    let popPos = 0;
    for (let i = 0; i < pop; i++) {
      logit[i] = gaussian(r) - 4;
      label[i] = r() < sigmoid(logit[i]) ? 1 : 0;
      popPos += label[i];
      if (label[i] === 1 || r() < f) kept.push(i);
    }
    const baseRate = popPos / pop;
    const sampleRate = positives(label, kept) / kept.length;
    close(correctForNegativeSampling(sampleRate, f), baseRate, 0.1 * baseRate, 'base rate');
    const cal = fitCalibrator('platt', logit, label, undefined, kept);
    let meanRaw = 0;
    let meanCorrected = 0;
    for (let i = 0; i < pop; i++) {
      const q = calibrate(cal, logit[i]);
      meanRaw += q / pop;
      meanCorrected += correctForNegativeSampling(q, f) / pop;
    }
    assert.ok(meanRaw > 2 * baseRate, 'the sample-calibrated rate is biased upwards');
    close(meanCorrected, baseRate, 0.05 * baseRate, 'corrected mean prediction');
    // Per example too: the corrected calibrated probability tracks the true one.
    for (const zz of [-6, -4, -2]) close(correctForNegativeSampling(calibrate(cal, zz), f), sigmoid(zz), 0.15 * sigmoid(zz), `z=${zz}`);
  });
});
