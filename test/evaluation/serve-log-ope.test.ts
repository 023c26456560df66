import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServeRecord } from '../../src/domain/feed.js';
import { onPolicyValue, serveLogOpe } from '../../src/evaluation/ope/serve-log-ope.js';
import { armFilter, parseTarget } from '../../src/cli/eval-ope-serve-log.js';
import { mulberry32 } from '../../src/util/prng.js';

const N = 30; // candidates per request
const L = 5; // slate length

/**
 * A synthetic engine: per request, 30 candidates with a true like probability (logged as head `p_like`, and a
 * second head `p_complete` that orders them differently); the deterministic slate is the top 5 by p_complete; every
 * slot explores with probability `share`, uniformly over the candidates not in the slate and not served yet
 * (ε-greedy, propensity share / |pool|); a kept slot has propensity 1 − share. Reward = Bernoulli(p_like) of the
 * served item. Returns the records and their rewards.
 */
function simulate(requests: number, share: number, seed: number, arm: string) {
  const rand = mulberry32(seed);
  const records: ServeRecord[] = [];
  const rewards = new Map<string, number>();
  for (let q = 0; q < requests; q++) {
    const pLike = Float32Array.from({ length: N }, () => 0.05 + 0.9 * rand() ** 2);
    const pComplete = Float32Array.from(pLike, (p) => Math.min(1, Math.max(0, 0.5 * p + 0.5 * rand())));
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => pComplete[b] - pComplete[a]);
    const slateIdx = order.slice(0, L);
    const served = new Set<number>();
    const slate: ServeRecord['slate'] = [];
    for (let k = 0; k < L; k++) {
      const pool = order.filter((i) => !slateIdx.includes(i) && !served.has(i));
      let item = slateIdx[k];
      let propensity = 1 - share;
      let explored = false;
      if (rand() < share) {
        item = pool[Math.floor(rand() * pool.length)];
        propensity = share / pool.length;
        explored = true;
      }
      served.add(item);
      slate.push({ item_id: `i${q}-${item}`, position: k, score: 0, propensity, ...(explored ? { explored } : {}) });
      rewards.set(`r${seed}-${q}\u0000i${q}-${item}`, rand() < pLike[item] ? 1 : 0);
    }
    records.push({
      request_id: `r${seed}-${q}`,
      ts: q,
      user_id: `u${seed}-${q % 800}`,
      variant: 'home',
      context: {},
      config_version: 'v',
      model_versions: {},
      feature_names: [],
      candidates: Array.from({ length: N }, (_, i) => ({ item_id: `i${q}-${i}`, sources: [] })),
      features: new Float32Array(0),
      scores: { score: pComplete, p_like: pLike, p_complete: pComplete },
      removed: [],
      slate,
      timings_ms: {},
      degraded: [],
      experiments: [{ id: 'ope', arm }],
    });
  }
  return { records, rewardOf: (r: string, i: string) => rewards.get(`${r}\u0000${i}`) };
}

void describe('off-policy evaluation over the serve log', () => {
  void it('estimates exploration off from a 30 %-exploring log: the on-policy value of a real no-exploration run is inside the intervals', async () => {
    const logging = simulate(4000, 0.3, 1, 'explore');
    const target = simulate(4000, 0, 2, 'off');
    const truth = await onPolicyValue(target.records, target.rewardOf, () => true, 500);
    const r = await serveLogOpe(logging.records, { target: { kind: 'exploration-share', share: 0 }, rewardOf: logging.rewardOf, resamples: 500 });
    assert.equal(r.slots, 4000 * L);
    assert.deepEqual(r.estimates.map((e) => e.estimator), ['ips', 'snips']); // DR needs a value-weights target
    // exploring lowers the value: the logged value is clearly below the truth, the estimates are not
    assert.ok(r.logged_value < truth.value - 0.05, `${r.logged_value} vs ${truth.value}`);
    for (const e of r.estimates) {
      assert.ok(e.ci_low <= truth.value && truth.value <= e.ci_high, `${e.estimator} ${JSON.stringify(e)} vs ${truth.value}`);
      assert.ok(e.ci_high - e.ci_low < 0.06, JSON.stringify(e));
      assert.ok(e.ess > 100 && e.ess < r.slots, JSON.stringify(e));
    }
    // the identity target (same share) has all weights 1: every estimate equals the logged value
    const same = await serveLogOpe(logging.records, { target: { kind: 'exploration-share', share: 0.3 }, rewardOf: logging.rewardOf, resamples: 50 });
    for (const e of same.estimates) assert.ok(Math.abs(e.estimate - same.logged_value) < 1e-9, JSON.stringify(e));
  });

  void it('a value-weights target (rank by p_like): DR and SNIPS land near its true value, agreement is reported', async () => {
    const logging = simulate(6000, 0.3, 3, 'explore');
    // the target's true value: the mean p_like of the top 5 by p_like, over the same kind of requests
    const rand = mulberry32(99);
    let truth = 0;
    for (let q = 0; q < 20_000; q++) {
      const p = Array.from({ length: N }, () => 0.05 + 0.9 * rand() ** 2).sort((a, b) => b - a);
      for (let k = 0; k < L; k++) truth += p[k] / (20_000 * L);
      for (let i = 0; i < N; i++) rand(); // keep the stream shape (p_complete draws)
    }
    const r = await serveLogOpe(logging.records, { target: { kind: 'value-weights', weights: { p_like: 1 } }, rewardOf: logging.rewardOf, rewardHead: 'p_like', resamples: 300 });
    assert.deepEqual(r.estimates.map((e) => e.estimator), ['ips', 'snips', 'dr']);
    assert.ok(r.agreement > 0.05 && r.agreement < 0.9, String(r.agreement));
    const byName = Object.fromEntries(r.estimates.map((e) => [e.estimator, e]));
    assert.ok(Math.abs(byName.dr.estimate - truth) < 0.03, `dr ${byName.dr.estimate} vs ${truth}`);
    assert.ok(Math.abs(byName.snips.estimate - truth) < 0.08, `snips ${byName.snips.estimate} vs ${truth}`);
    assert.ok(truth > r.logged_value + 0.1, `${truth} vs logged ${r.logged_value}`);
    // only the served candidates logged: the record cannot be evaluated for a value-weights target, and is counted
    const served = logging.records.slice(0, 10).map((x) => ({ ...x, candidates: x.candidates.slice(0, L) }));
    const s = await serveLogOpe(served, { target: { kind: 'value-weights', weights: { p_like: 1 } }, rewardOf: logging.rewardOf, resamples: 10 });
    assert.equal(s.skipped_records, 10);
    assert.equal(s.slots, 0);
  });

  void it('filters records by experiment arm and rejects bad targets naming the field', async () => {
    const a = simulate(50, 0.3, 5, 'explore');
    const b = simulate(50, 0, 6, 'off');
    const both = [...a.records, ...b.records];
    const rewardOf = (r: string, i: string) => a.rewardOf(r, i) ?? b.rewardOf(r, i);
    const onlyOff = await onPolicyValue(both, rewardOf, armFilter('ope=off', 'arm')!, 10);
    assert.equal(onlyOff.requests, 50);
    assert.deepEqual(parseTarget('exploration.share=0'), { kind: 'exploration-share', share: 0 });
    assert.deepEqual(parseTarget('value-weights=like:2,watch:1'), { kind: 'value-weights', weights: { p_like: 2, watch_ratio: 1 } });
    for (const bad of ['exploration.share=2', 'exploration.share=', 'value-weights=liked:1', 'value-weights=like:x', 'ranker=x', undefined]) {
      assert.throws(() => parseTarget(bad), (e: Error & { field?: string }) => e.field === 'target', String(bad));
    }
    assert.throws(() => armFilter('ope', 'arm'), (e: Error & { field?: string }) => e.field === 'arm');
    await assert.rejects(serveLogOpe([], { target: { kind: 'exploration-share', share: -1 }, rewardOf }), (e: Error & { field?: string }) => e.field === 'target');
  });
});

void describe('estimate vs on-policy difference interval', () => {
  void it('combines both intervals: (0.5 ± 0.0196) − (0.45 ± 0.0196) = 0.05 ± 0.0277', async () => {
    const { differenceInterval } = await import('../../src/evaluation/ope/serve-log-ope.js');
    const d = differenceInterval({ estimate: 0.5, ci_low: 0.5 - 0.0196, ci_high: 0.5 + 0.0196 }, { value: 0.45, ci_low: 0.45 - 0.0196, ci_high: 0.45 + 0.0196 });
    assert.ok(Math.abs(d.diff - 0.05) < 1e-12);
    assert.ok(Math.abs(d.high - d.diff - 0.0196 * Math.SQRT2) < 1e-4, JSON.stringify(d));
    assert.ok(d.low > 0); // 0.05 − 0.0277 > 0: the estimate and the on-policy value disagree
  });
});
