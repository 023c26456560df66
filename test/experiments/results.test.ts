import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ArmMetrics } from '../../src/experiments/arm-metrics.js';
import { Assigner } from '../../src/experiments/assignment.js';
import { ARM_METRICS, BUCKETS, parseExperiment, type ArmMetric, type Experiment } from '../../src/experiments/experiment.js';
import { analyse, armSamples, experimentResults, type ArmSample } from '../../src/experiments/results.js';
import { aaCalibration } from '../../src/experiments/aa-calibration.js';
import { benjaminiHochberg, chiSquareGoodnessOfFit, studentQuantile, studentTwoSidedP, welch, summarize } from '../../src/experiments/stats.js';
import type { LogEntry } from '../../src/log/log-entry.js';
import { gaussian, mulberry32 } from '../../src/util/prng.js';

const VARIANTS = ['home', 'trending'];
function experiment(input: Record<string, unknown>): Experiment {
  const e = parseExperiment(input, VARIANTS);
  return { ...e, buckets: { start: 0, end: Math.round(e.traffic * BUCKETS) }, created_at: 0 };
}
const ab = (extra: Record<string, unknown> = {}) => experiment({ id: 'ab', traffic: 1, arms: [{ name: 'control' }, { name: 'treatment' }], ...extra });

/** An arm whose per-user watch ratios are drawn from N(mean, sd²) clipped to [0, 1], and hides per impression from a skewed law. */
function sample(name: string, users: number, rand: () => number, mean: number, hideRate = 0.01): ArmSample {
  const values = Object.fromEntries(ARM_METRICS.map((m) => [m, new Float64Array(0)])) as unknown as Record<ArmMetric, ArrayLike<number>>;
  values.watch_ratio = Float64Array.from({ length: users }, () => Math.min(1, Math.max(0, mean + 0.2 * gaussian(rand))));
  values.hides_per_impression = Float64Array.from({ length: users }, () => (rand() < 0.3 ? (hideRate / 0.3) * -Math.log(1 - rand()) : 0));
  return { name, users, values };
}

void describe('experiment results statistics', () => {
  void it('distribution functions match textbook values', () => {
    assert.ok(Math.abs(studentTwoSidedP(1.959964, 1e6) - 0.05) < 1e-4);
    assert.ok(Math.abs(studentTwoSidedP(2.228139, 10) - 0.05) < 1e-5);
    assert.ok(Math.abs(studentQuantile(0.975, 10) - 2.228139) < 1e-4);
    assert.ok(Math.abs(chiSquareGoodnessOfFit([60, 40], [1, 1]).p - 0.0455) < 1e-3); // χ² = 4, df 1
    const t = welch(summarize([1, 2, 3, 4, 5]), summarize([2, 4, 6, 8, 10, 12]));
    // by hand: means 3 and 7, variances 2.5 and 14: se = √(2.5/5 + 14/6), t = 4 / se, df = se⁴ / ((0.5)²/4 + (14/6)²/5)
    assert.ok(Math.abs(t.t - 2.37635) < 1e-4 && Math.abs(t.df - 6.97226) < 1e-4, JSON.stringify(t));
  });

  void it('an A/A test with identical distributions is not significant in about 95 % of seeds', () => {
    let significant = 0;
    const seeds = 200;
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = mulberry32(seed);
      const r = analyse(ab(), [sample('control', 500, rand, 0.5), sample('treatment', 500, rand, 0.5)]);
      if (r.arms[1].metrics.watch_ratio.vs_control!.significant) significant++;
      assert.equal(r.srm.flagged, false);
    }
    assert.ok(significant >= 3 && significant <= 18, `${significant} of ${seeds} A/A runs significant`);
  });

  void it('Benjamini–Hochberg adjusted p-values match a worked example; NaN entries are left out', () => {
    // p sorted: 0.01, 0.02, 0.03, 0.04, 0.2 (m = 5): × m / k = 0.05, 0.05, 0.05, 0.05, 0.2
    const adj = benjaminiHochberg([0.04, Number.NaN, 0.01, 0.2, 0.03, 0.02]);
    assert.deepEqual(adj.map((x) => (Number.isNaN(x) ? x : Number(x.toFixed(10)))), [0.05, Number.NaN, 0.05, 0.2, 0.05, 0.05]);
    assert.deepEqual(benjaminiHochberg([0.5, 0.001]), [0.5, 0.002]);
    assert.deepEqual(benjaminiHochberg([]), []);
  });

  void it('with nine metrics, an A/A test calls some metric significant in about 5 % of seeds (adjusted), not in a quarter', () => {
    let anyAdjusted = 0;
    let anyRaw = 0;
    const seeds = 200;
    const nine = (name: string, rand: () => number): ArmSample => {
      const s = sample(name, 400, rand, 0.5);
      const draw = (f: () => number) => Float64Array.from({ length: 400 }, f);
      for (const m of ARM_METRICS) if (m !== 'watch_ratio' && m !== 'hides_per_impression') s.values[m] = draw(() => -Math.log(1 - rand()));
      return s;
    };
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = mulberry32(1000 + seed);
      const r = analyse(ab(), [nine('control', rand), nine('treatment', rand)]);
      const v = ARM_METRICS.map((m) => r.arms[1].metrics[m].vs_control!);
      if (v.some((x) => x.significant)) anyAdjusted++;
      if (v.some((x) => x.p_value! < 0.05)) anyRaw++;
      for (const x of v) assert.ok(x.p_value_adjusted! >= x.p_value!, JSON.stringify(x));
    }
    assert.ok(anyAdjusted >= 2 && anyAdjusted <= 20, `${anyAdjusted} of ${seeds} A/A runs with an adjusted significant metric`);
    assert.ok(anyRaw >= 40, `${anyRaw} of ${seeds} A/A runs with an unadjusted p < 0.05 (expected ≈ 1 − 0.95⁹ ≈ 37 %)`);
  });

  void it('detects a shifted arm, with an interval covering the true relative difference, and flags a guardrail', () => {
    const rand = mulberry32(7);
    const e = ab({ guardrails: [{ metric: 'hides_per_impression', maxRelativeIncrease: 0.2 }, { metric: 'watch_ratio', maxRelativeDrop: 0.01 }] });
    const r = analyse(e, [sample('control', 3000, rand, 0.5, 0.01), sample('treatment', 3000, rand, 0.525, 0.02)]);
    const w = r.arms[1].metrics.watch_ratio.vs_control!;
    assert.ok(w.significant && w.p_value! < 1e-3, JSON.stringify(w));
    assert.ok(w.ci_low! < 0.05 && 0.05 < w.ci_high!, JSON.stringify(w));
    const h = r.arms[1].metrics.hides_per_impression.vs_control!;
    assert.ok(h.significant && h.relative_diff! > 0.5, JSON.stringify(h));
    assert.deepEqual(r.arms[1].guardrails_flagged, ['hides_per_impression']);
    assert.deepEqual(
      r.guardrails.map((g) => [g.metric, g.flagged]),
      [
        ['hides_per_impression', true],
        ['watch_ratio', false],
      ],
    );
  });

  void it('flags a sample-ratio mismatch: 60/40 users on arms configured 50/50', () => {
    const rand = mulberry32(3);
    const bad = analyse(ab(), [sample('control', 6000, rand, 0.5), sample('treatment', 4000, rand, 0.5)]);
    assert.ok(bad.srm.flagged && bad.srm.p_value! < 1e-10, JSON.stringify(bad.srm));
    const ok = analyse(ab(), [sample('control', 5030, rand, 0.5), sample('treatment', 4970, rand, 0.5)]);
    assert.equal(ok.srm.flagged, false);
    // holdout users are part of the check
    const withHoldout = experiment({ id: 'h', traffic: 1, holdout: 0.2, arms: [{ name: 'a' }, { name: 'b' }] });
    const s = (n: number, name: string) => ({ ...sample(name, 0, rand, 0.5), users: n });
    assert.equal(analyse(withHoldout, [s(4000, 'a'), s(4000, 'b'), s(2000, 'holdout')]).srm.flagged, false);
    assert.equal(analyse(withHoldout, [s(4500, 'a'), s(4500, 'b'), s(1000, 'holdout')]).srm.flagged, true);
  });

  void it('per-arm metrics from events: per-user sums, sessions, watch ratio; serialize/restore round trip', () => {
    const e = ab();
    const assigner = new Assigner([e]);
    const m = new ArmMetrics({ assigner: () => assigner, experiment: () => e, sessionGapMs: 60_000, durationOf: () => 10_000 });
    const entries: LogEntry[] = [];
    const users = Array.from({ length: 400 }, (_, i) => `u${i}`);
    let n = 0;
    for (const u of users) {
      const treated = assigner.assign(u)[0].arm === 1;
      for (let k = 0; k < 4; k++) {
        const ts = 1_000_000 + k * 10_000 + (k >= 2 ? 3_600_000 : 0); // two sessions of two events
        entries.push({ kind: 'event', event: { type: 'impression', id: `e${n++}`, user_id: u, item_id: `i${k}`, request_id: 'r', position: k, ts } });
        entries.push({ kind: 'event', event: { type: 'view', id: `e${n++}`, user_id: u, item_id: `i${k}`, watch_ms: treated ? 8000 : 5000, ts: ts + 1 } });
      }
      if (treated) entries.push({ kind: 'event', event: { type: 'like', id: `e${n++}`, user_id: u, item_id: 'i0', ts: 2_000_000 } });
    }
    m.onEntries(entries);
    m.onServed(assigner.assign('u1'), 'u1', 3, 0);
    m.onServed(assigner.assign('u1'), 'u1', 5, 1000);
    const r = experimentResults(e, m.stats('ab'));
    const [c, t] = r.arms;
    assert.equal(c.users + t.users, 400);
    assert.equal(c.metrics.watch_ratio.mean, 0.5);
    assert.equal(t.metrics.watch_ratio.mean, 0.8);
    assert.equal(c.metrics.impressions.mean, 4);
    assert.equal(c.metrics.sessions.mean, 2);
    assert.equal(t.metrics.likes_per_impression.mean, 0.25);
    assert.equal(c.metrics.session_length_s.mean, 10.001); // first to last event of each session
    const arm1 = assigner.assign('u1')[0].arm;
    assert.equal(r.arms[arm1].feed_requests, 2);
    assert.equal(r.arms[arm1].metrics.requests_per_day.mean, 2);
    assert.ok(r.arms[arm1].feed_p99_ms! >= 5 && r.arms[arm1].feed_p99_ms! < 5.5);
    assert.equal(t.events.like, t.users);

    const copy = new ArmMetrics({ assigner: () => assigner, experiment: () => e, sessionGapMs: 60_000, durationOf: () => 10_000 });
    copy.restore(m.serialize());
    assert.deepEqual(experimentResults(e, copy.stats('ab')), r);
    assert.deepEqual(armSamples(e, copy.stats('ab')).map((x) => x.users), armSamples(e, m.stats('ab')).map((x) => x.users));
  });

  void it('A/A re-randomisation: pools the control-behaviour arms, ~5 % false positives per metric on null data', () => {
    const aa = experiment({ id: 'aa', traffic: 1, holdout: 0.1, arms: [{ name: 'a1' }, { name: 'a2' }] });
    const abx = experiment({ id: 'abx', traffic: 1, arms: [{ name: 'control' }, { name: 'worse', overrides: { variant: 'trending' } }] });
    for (const e of [aa, abx]) {
      const assigner = new Assigner([e]);
      const m = new ArmMetrics({ assigner: () => assigner, experiment: () => e, sessionGapMs: 60_000, durationOf: () => 10_000 });
      const rand = mulberry32(11);
      const entries: LogEntry[] = [];
      let n = 0;
      for (let u = 0; u < 3000; u++) {
        const user = `user-${u}`;
        const views = 1 + Math.floor(rand() * 6);
        for (let k = 0; k < views; k++) {
          const ts = 1_000_000 + k * 20_000;
          entries.push({ kind: 'event', event: { type: 'impression', id: `e${n++}`, user_id: user, item_id: `i${k}`, request_id: 'r', position: k, ts } });
          entries.push({ kind: 'event', event: { type: 'view', id: `e${n++}`, user_id: user, item_id: `i${k}`, watch_ms: Math.floor(rand() * 10_000), ts: ts + 1 } });
          if (rand() < 0.1) entries.push({ kind: 'event', event: { type: 'like', id: `e${n++}`, user_id: user, item_id: `i${k}`, ts: ts + 2 } });
        }
      }
      m.onEntries(entries);
      const c = aaCalibration(e, m.stats(e.id), 300);
      if (e === aa) {
        assert.deepEqual(c.arms, ['a1', 'a2', 'holdout']);
        assert.equal(c.users, 3000);
      } else {
        assert.deepEqual(c.arms, ['control', 'holdout']);
        assert.ok(c.users > 1300 && c.users < 1700, String(c.users));
      }
      for (const metric of ['watch_ratio', 'likes_per_impression', 'impressions'] as const) {
        const rate = c.false_positive_rate[metric];
        assert.ok(rate > 0.015 && rate < 0.1, `${e.id} ${metric}: ${rate}`);
      }
      assert.ok(c.any_metric_adjusted <= 0.1, JSON.stringify(c));
      assert.ok(c.any_metric_unadjusted >= c.any_metric_adjusted, JSON.stringify(c));
    }
  });
});
