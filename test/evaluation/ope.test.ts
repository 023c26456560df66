import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../src/errors.js';
import { drEstimate, effectiveSampleSize, estimate, ipsEstimate, snipsEstimate, validateLoggedData, type LoggedData } from '../../src/evaluation/ope/estimators.js';
import { normalQuantile } from '../../src/evaluation/ope/stats.js';
import { lnGamma as logGamma } from '../../src/util/special-functions.js';
import { mulberry32, type Rand } from '../../src/util/prng.js';

/**
 * A synthetic contextual bandit with C contexts (uniform) and K actions: click probability q(x, a) known, logging
 * policy π_b(a|x) ∝ 1 + a·x-ish (context-dependent), target π_e(a|x) ∝ exp(3·q(x, a)·10). True value
 * V = (1/C) Σ_x Σ_a π_e(a|x) q(x, a), computed exactly.
 */
const C = 5;
const K = 4;
const q = (x: number, a: number) => 0.05 + 0.1 * ((x * 3 + a * 5) % 7) / 7;
function dist(f: (a: number) => number): number[] {
  const v = Array.from({ length: K }, (_, a) => f(a));
  const s = v.reduce((x, y) => x + y, 0);
  return v.map((x) => x / s);
}
const piB = (x: number) => dist((a) => 1 + ((a + x) % K));
const piE = (x: number) => dist((a) => Math.exp(30 * q(x, a)));
const TRUE_VALUE = Array.from({ length: C }, (_, x) => piE(x).reduce((s, p, a) => s + p * q(x, a), 0)).reduce((s, v) => s + v, 0) / C;

function draw(p: number[], rand: Rand): number {
  let u = rand();
  for (let a = 0; a < p.length - 1; a++) {
    if (u < p[a]) return a;
    u -= p[a];
  }
  return p.length - 1;
}

/** n logged rows; `model` = the reward model used for the DR columns (default: the true q). */
function simulate(n: number, seed: number, opts: { model?: (x: number, a: number) => number; deterministic?: boolean } = {}): LoggedData {
  const rand = mulberry32(seed);
  const model = opts.model ?? q;
  const d: LoggedData = {
    reward: new Float64Array(n),
    behaviorProb: new Float64Array(n),
    targetProb: new Float64Array(n),
    rewardHat: new Float64Array(n),
    targetValueHat: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const x = opts.deterministic ? i % C : Math.floor(rand() * C);
    const b = piB(x);
    const e = piE(x);
    const a = draw(b, rand);
    d.reward[i] = opts.deterministic ? q(x, a) : rand() < q(x, a) ? 1 : 0;
    d.behaviorProb[i] = b[a];
    d.targetProb[i] = e[a];
    d.rewardHat![i] = model(x, a);
    d.targetValueHat![i] = e.reduce((s, p, k) => s + p * model(x, k), 0);
  }
  return d;
}

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
    return e.field;
  }
  assert.fail('expected a throw');
};

void describe('OPE estimators on a synthetic contextual bandit', () => {
  const data = simulate(40_000, 11);
  const meanR = data.reward.reduce((s, v) => s + v, 0) / data.reward.length;

  void it('the target policy differs from the logging policy (the test would catch a naive mean)', () => {
    assert.ok(Math.abs(meanR - TRUE_VALUE) > 0.01, `logged mean ${meanR} vs true ${TRUE_VALUE}`);
  });

  for (const name of ['ips', 'snips', 'dr'] as const) {
    void it(`${name} is close to the true value and its 95 % bootstrap interval covers it`, () => {
      const e = estimate(name, data, { resamples: 400, seed: 3 });
      assert.ok(Math.abs(e.estimate - TRUE_VALUE) < 0.01, `${name} ${e.estimate} vs ${TRUE_VALUE}`);
      assert.ok(e.ciLow <= TRUE_VALUE && TRUE_VALUE <= e.ciHigh, `${name} [${e.ciLow}, ${e.ciHigh}] misses ${TRUE_VALUE}`);
      assert.ok(e.ciHigh - e.ciLow < 0.03 && e.ciHigh > e.ciLow, `interval width ${e.ciHigh - e.ciLow}`);
      assert.equal(e.interval, 'bootstrap');
      assert.equal(e.n, 40_000);
    });
  }

  void it('normal and bootstrap intervals agree roughly', () => {
    for (const name of ['ips', 'snips', 'dr'] as const) {
      const b = estimate(name, data, { resamples: 400, seed: 5 });
      const n = estimate(name, data, { method: 'normal' });
      assert.equal(b.estimate, n.estimate);
      const wb = b.ciHigh - b.ciLow;
      const wn = n.ciHigh - n.ciLow;
      assert.ok(Math.abs(wb - wn) / wn < 0.15, `${name}: bootstrap width ${wb} vs normal ${wn}`);
    }
  });

  void it('95 % intervals cover the true value in about 95 % of replications', () => {
    const reps = 200;
    const covered = { ips: 0, snips: 0, dr: 0 };
    for (let r = 0; r < reps; r++) {
      const d = simulate(1500, 1000 + r, { model: () => 0.08 }); // a wrong (constant) reward model for DR
      for (const name of ['ips', 'snips', 'dr'] as const) {
        const e = estimate(name, d, name === 'snips' ? { resamples: 300, seed: r } : { method: 'normal' });
        if (e.ciLow <= TRUE_VALUE && TRUE_VALUE <= e.ciHigh) covered[name]++;
      }
    }
    for (const name of ['ips', 'snips', 'dr'] as const) {
      const rate = covered[name] / reps;
      assert.ok(rate >= 0.89 && rate <= 0.99, `${name} coverage ${rate}`);
    }
  });

  void it('ESS is n for identical policies, and IPS = SNIPS = the mean reward then', () => {
    const d = simulate(2000, 2);
    d.targetProb = Float64Array.from(d.behaviorProb);
    const ips = ipsEstimate(d, { method: 'normal' });
    const snips = snipsEstimate(d, { resamples: 50 });
    assert.ok(Math.abs(ips.ess - 2000) < 1e-6, String(ips.ess));
    const mean = d.reward.reduce((s, v) => s + v, 0) / 2000;
    assert.ok(Math.abs(ips.estimate - mean) < 1e-12);
    assert.ok(Math.abs(snips.estimate - mean) < 1e-12);
  });

  void it('ESS formula: (Σw)²/Σw²', () => {
    assert.equal(effectiveSampleSize(Float64Array.from([1, 0, 0, 0])), 1);
    assert.equal(effectiveSampleSize(Float64Array.from([2, 2, 2])), 3);
    assert.ok(Math.abs(effectiveSampleSize(Float64Array.from([1, 3])) - 16 / 10) < 1e-12);
    assert.equal(effectiveSampleSize(new Float64Array(3)), 0);
    assert.ok(ipsEstimate(data, { method: 'normal' }).ess < 40_000 * 0.9, 'different policies lose effective samples');
  });

  void it('DR is exact with a perfect reward model (and IPS is not)', () => {
    const d = simulate(5 * C * 20, 9, { deterministic: true });
    const dr = drEstimate(d, { method: 'normal' });
    assert.ok(Math.abs(dr.estimate - TRUE_VALUE) < 1e-12, `${dr.estimate} vs ${TRUE_VALUE}`);
    // what variance is left comes from the contexts alone (V̂(x) varies with x), far less than IPS's
    const ips = ipsEstimate(d, { method: 'normal' });
    assert.ok(dr.ciHigh - dr.ciLow < (ips.ciHigh - ips.ciLow) / 2, `DR width ${dr.ciHigh - dr.ciLow} vs IPS ${ips.ciHigh - ips.ciLow}`);
    assert.ok(Math.abs(ips.estimate - TRUE_VALUE) > 1e-4);
  });

  void it('SNIPS is invariant to scaling the weights; IPS scales with them', () => {
    const d = simulate(3000, 4);
    const half: LoggedData = { ...d, targetProb: d.targetProb.map((p) => p / 2) };
    assert.ok(Math.abs(snipsEstimate(half, { method: 'normal' }).estimate - snipsEstimate(d, { method: 'normal' }).estimate) < 1e-12);
    assert.ok(Math.abs(ipsEstimate(half, { method: 'normal' }).estimate * 2 - ipsEstimate(d, { method: 'normal' }).estimate) < 1e-12);
  });

  void it('the bootstrap is reproducible for a seed and changes with it', () => {
    const d = simulate(2000, 6);
    const a = snipsEstimate(d, { resamples: 200, seed: 1 });
    const b = snipsEstimate(d, { resamples: 200, seed: 1 });
    const c = snipsEstimate(d, { resamples: 200, seed: 2 });
    assert.deepEqual(a, b);
    assert.notEqual(a.ciLow, c.ciLow);
  });
});

void describe('OPE input validation', () => {
  const ok = () => simulate(10, 1);

  void it('names the column and row of a bad value', () => {
    const d = ok();
    d.behaviorProb[3] = 0;
    assert.equal(fieldOf(() => ipsEstimate(d)), 'behaviorProb/3');
    d.behaviorProb[3] = 1.2;
    assert.equal(fieldOf(() => snipsEstimate(d)), 'behaviorProb/3');
    const e = ok();
    e.targetProb[0] = -0.1;
    assert.equal(fieldOf(() => ipsEstimate(e)), 'targetProb/0');
    const r = ok();
    r.reward[9] = NaN;
    assert.equal(fieldOf(() => ipsEstimate(r)), 'reward/9');
    r.reward[9] = Infinity;
    assert.equal(fieldOf(() => ipsEstimate(r)), 'reward/9');
  });

  void it('rejects mismatched lengths, empty data and missing DR columns', () => {
    assert.equal(fieldOf(() => ipsEstimate({ ...ok(), targetProb: new Float64Array(9) })), 'targetProb');
    assert.equal(fieldOf(() => validateLoggedData({ ...ok(), rewardHat: new Float64Array(11) }, true)), 'rewardHat');
    assert.equal(fieldOf(() => drEstimate({ ...ok(), targetValueHat: undefined })), 'targetValueHat');
    assert.equal(fieldOf(() => ipsEstimate({ reward: new Float64Array(0), behaviorProb: new Float64Array(0), targetProb: new Float64Array(0) })), 'reward');
    assert.equal(fieldOf(() => ipsEstimate({ ...ok(), behaviorProb: [1, 1] as unknown as Float64Array })), 'behaviorProb');
    ipsEstimate({ ...ok(), rewardHat: undefined }); // IPS does not need the model columns
  });

  void it('rejects bad interval options', () => {
    assert.equal(fieldOf(() => ipsEstimate(ok(), { level: 1 })), 'level');
    assert.equal(fieldOf(() => ipsEstimate(ok(), { resamples: 0 })), 'resamples');
    assert.equal(fieldOf(() => ipsEstimate(ok(), { seed: 1.5 })), 'seed');
    assert.equal(fieldOf(() => estimate('nope' as 'ips', ok())), 'estimator');
  });
});

void describe('OPE stats helpers', () => {
  void it('normal quantile and ln Γ', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.01) + 2.326347874040841) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
    assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-12);
    assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
  });
});
