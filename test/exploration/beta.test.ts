import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BetaSampler, sampleBeta, sampleGamma } from '../../src/exploration/beta.js';
import { lnGamma, regularizedBeta } from '../../src/util/special-functions.js';
import { mulberry32 } from '../../src/util/prng.js';

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

void describe('Beta sampler', () => {
  for (const [a, b] of [
    [1, 1],
    [2, 5],
    [0.5, 0.5],
    [0.3, 2],
    [30, 170],
    [1, 200],
    [12.7, 3.2],
  ]) {
    void it(`Beta(${a}, ${b}) has mean a/(a+b) and variance ab/((a+b)²(a+b+1))`, () => {
      const rand = mulberry32(1000 + a * 7 + b);
      const n = 200_000;
      const { mean, variance } = moments(() => sampleBeta(a, b, rand), n);
      const m = a / (a + b);
      const v = (a * b) / ((a + b) ** 2 * (a + b + 1));
      assert.ok(Math.abs(mean - m) < 5 * Math.sqrt(v / n), `mean ${mean} vs ${m}`);
      // sd of the sample variance ≈ v·sqrt(2/n) for near-normal shapes; Beta's kurtosis is bounded, allow 5× that + 3%
      assert.ok(Math.abs(variance - v) < 0.03 * v + 5 * v * Math.sqrt(2 / n), `variance ${variance} vs ${v}`);
    });
  }

  void it('BetaSampler (the hot-path sampler) has the same moments and is reproducible from its seed', () => {
    const shapes = [
      [1, 1],
      [2, 5],
      [0.5, 0.5],
      [30, 170],
      [1, 200],
      [12.7, 3.2],
    ];
    const sampler = new BetaSampler(
      shapes.map((s) => s[0]),
      shapes.map((s) => s[1]),
      42,
    );
    shapes.forEach(([a, b], i) => {
      const n = 200_000;
      const { mean, variance } = moments(() => sampler.draw(i), n);
      const m = a / (a + b);
      const v = (a * b) / ((a + b) ** 2 * (a + b + 1));
      assert.ok(Math.abs(mean - m) < 5 * Math.sqrt(v / n), `Beta(${a}, ${b}) mean ${mean} vs ${m}`);
      assert.ok(Math.abs(variance - v) < 0.03 * v + 5 * v * Math.sqrt(2 / n), `Beta(${a}, ${b}) variance ${variance} vs ${v}`);
    });
    const again = (seed: number) => {
      const s = new BetaSampler([3], [4], seed);
      return [s.draw(0), s.draw(0), s.draw(0)];
    };
    assert.deepEqual(again(9), again(9));
    assert.notDeepEqual(again(9), again(10));
  });

  void it('draws stay in [0, 1] and Gamma has mean = variance = shape', () => {
    const rand = mulberry32(5);
    for (let i = 0; i < 10_000; i++) {
      const x = sampleBeta(0.2, 0.3, rand);
      assert.ok(x >= 0 && x <= 1);
    }
    for (const k of [0.4, 1, 3.5, 50]) {
      const n = 100_000;
      const { mean, variance } = moments(() => sampleGamma(k, rand), n);
      assert.ok(Math.abs(mean - k) < 5 * Math.sqrt(k / n), `gamma(${k}) mean ${mean}`);
      assert.ok(Math.abs(variance - k) < 0.05 * k, `gamma(${k}) variance ${variance}`);
    }
  });
});

void describe('regularized incomplete beta', () => {
  void it('matches closed forms', () => {
    for (const x of [0, 1e-9, 0.01, 0.2, 0.5, 0.77, 0.999, 1]) {
      assert.ok(Math.abs(regularizedBeta(x, 1, 1) - x) < 1e-12);
      for (const k of [1, 2, 3.5, 40, 199]) {
        assert.ok(Math.abs(regularizedBeta(x, k, 1) - Math.pow(x, k)) < 1e-12, `I_${x}(${k},1)`);
        assert.ok(Math.abs(regularizedBeta(x, 1, k) - (1 - Math.pow(1 - x, k))) < 1e-12, `I_${x}(1,${k})`);
      }
    }
    for (const a of [0.5, 2, 17, 150]) assert.ok(Math.abs(regularizedBeta(0.5, a, a) - 0.5) < 1e-12);
    // I_x(2, 2) = 3x² − 2x³
    for (const x of [0.1, 0.4, 0.9]) assert.ok(Math.abs(regularizedBeta(x, 2, 2) - (3 * x * x - 2 * x ** 3)) < 1e-12);
    // symmetry I_x(a, b) = 1 − I_{1−x}(b, a)
    for (const [x, a, b] of [
      [0.3, 5, 80],
      [0.02, 2, 199],
      [0.9, 33, 4.5],
    ]) {
      assert.ok(Math.abs(regularizedBeta(x, a, b) + regularizedBeta(1 - x, b, a) - 1) < 1e-12);
    }
  });

  void it('lnGamma matches factorials', () => {
    let f = 1;
    for (let n = 1; n < 30; n++) {
      assert.ok(Math.abs(lnGamma(n) - Math.log(f)) < 1e-10 * Math.max(1, Math.log(f)), `lnGamma(${n})`);
      f *= n;
    }
    assert.ok(Math.abs(lnGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
  });
});
