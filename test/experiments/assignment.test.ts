import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allocateBuckets, armIndexOf, Assigner, bucketOf, compileExperiment } from '../../src/experiments/assignment.js';
import { BUCKETS, parseExperiment, type Experiment } from '../../src/experiments/experiment.js';
import { chiSquareGoodnessOfFit } from '../../src/experiments/stats.js';

const VARIANTS = ['home', 'home-exploit', 'home-heuristic', 'trending'];

function experiment(input: Record<string, unknown>, buckets?: { start: number; end: number }): Experiment {
  const e = parseExperiment(input, VARIANTS);
  const size = Math.round(e.traffic * BUCKETS);
  return { ...e, buckets: buckets ?? { start: 0, end: size }, created_at: 0 };
}
const ids = (n: number, prefix = 'user-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

void describe('experiment assignment', () => {
  void it('is deterministic: the same user gets the same bucket and arm in every call and every assigner', () => {
    const e = experiment({ id: 'exp', traffic: 1, arms: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
    const a1 = new Assigner([e]);
    const a2 = new Assigner([structuredClone(e)]);
    for (const u of ids(2000)) {
      assert.equal(bucketOf(u, 'salt'), bucketOf(u, 'salt'));
      const m1 = a1.assign(u);
      const m2 = a2.assign(u);
      assert.equal(m1.length, 1);
      assert.equal(m1[0].arm, m2[0].arm);
      assert.equal(m1[0].arm, a1.assign(u)[0].arm);
    }
    // a different salt reshuffles users
    const other = compileExperiment({ ...e, salt: 'another' });
    const moved = ids(2000).filter((u) => armIndexOf(other, u) !== armIndexOf(compileExperiment(e), u)).length;
    assert.ok(moved > 1000 && moved < 1700, `moved ${moved}`);
  });

  void it('balances 100k synthetic ids to the configured weights (chi-square p > 0.001) and buckets uniformly', () => {
    const e = experiment({ id: 'balance', traffic: 1, arms: [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }, { name: 'c', weight: 2 }] });
    const c = compileExperiment(e);
    const counts = [0, 0, 0];
    const decile = new Array<number>(10).fill(0);
    for (const u of ids(100_000)) {
      counts[armIndexOf(c, u)]++;
      decile[Math.floor(bucketOf(u, 'layer:default') / 1000)]++;
    }
    const arms = chiSquareGoodnessOfFit(counts, [1, 1, 2]);
    assert.ok(arms.p > 0.001, `arms ${counts.join('/')} chi2 ${arms.chi2} p ${arms.p}`);
    const buckets = chiSquareGoodnessOfFit(decile, new Array<number>(10).fill(1));
    assert.ok(buckets.p > 0.001, `buckets ${decile.join('/')} p ${buckets.p}`);
  });

  void it('holds out the configured share and keeps traffic to its share of users', () => {
    const e = experiment({ id: 'ho', traffic: 0.3, holdout: 0.1, arms: [{ name: 'a' }, { name: 'b' }] }, { start: 5000, end: 8000 });
    const assigner = new Assigner([e]);
    let inside = 0;
    let holdout = 0;
    for (const u of ids(100_000)) {
      const m = assigner.assign(u);
      if (!m.length) continue;
      inside++;
      if (m[0].arm === 2) holdout++;
    }
    assert.ok(Math.abs(inside / 100_000 - 0.3) < 0.01, `traffic ${inside}`);
    assert.ok(Math.abs(holdout / inside - 0.1) < 0.01, `holdout ${holdout / inside}`);
  });

  void it('puts a user in at most one experiment per layer; layers are independent', () => {
    const a = experiment({ id: 'a', layer: 'ranking', traffic: 0.5, arms: [{ name: 'x' }, { name: 'y' }] }, { start: 0, end: 5000 });
    const b = experiment({ id: 'b', layer: 'ranking', traffic: 0.5, arms: [{ name: 'x' }, { name: 'y' }] }, { start: 5000, end: 10_000 });
    const c = experiment({ id: 'c', layer: 'ui', traffic: 0.5, arms: [{ name: 'x' }, { name: 'y' }] }, { start: 0, end: 5000 });
    const assigner = new Assigner([a, b, c]);
    const joint = [0, 0, 0, 0]; // (in a?, in c?)
    for (const u of ids(100_000)) {
      const m = assigner.assign(u).map((x) => x.compiled.experiment.id);
      const inA = m.includes('a');
      const inB = m.includes('b');
      assert.ok(inA !== inB, `${u} in ${m.join(',')}`); // the ranking layer covers every bucket, once
      joint[(inA ? 2 : 0) + (m.includes('c') ? 1 : 0)]++;
    }
    // independence: each of the four cells holds a quarter
    const t = chiSquareGoodnessOfFit(joint, [1, 1, 1, 1]);
    assert.ok(t.p > 0.001, `joint ${joint.join('/')} p ${t.p}`);
  });

  void it('allocates bucket ranges first-fit and refuses when a layer is full', () => {
    assert.deepEqual(allocateBuckets(1000, []), { start: 0, end: 1000 });
    assert.deepEqual(allocateBuckets(1000, [{ start: 0, end: 1000 }, { start: 3000, end: 4000 }]), { start: 1000, end: 2000 });
    assert.deepEqual(allocateBuckets(2500, [{ start: 0, end: 1000 }, { start: 3000, end: 4000 }]), { start: 4000, end: 6500 });
    assert.equal(allocateBuckets(1, [{ start: 0, end: BUCKETS }]), undefined);
  });
});
