import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../src/errors.js';
import { parseExperiment } from '../../src/experiments/experiment.js';

const VARIANTS = ['home', 'home-exploit', 'home-heuristic', 'trending'];
const valid = () => ({
  id: 'exp-1',
  traffic: 0.5,
  arms: [
    { name: 'control', weight: 1, overrides: {} },
    { name: 'treatment', weight: 1, overrides: { variant: 'home-heuristic', feed: { maxPerAuthor: 3, quotas: { trending: 50 } }, exploration: { share: 0 }, ranking: { valueWeights: { like: 4 } } } },
  ],
  guardrails: [{ metric: 'hides_per_impression', maxRelativeIncrease: 0.1 }],
});

function fieldOf(input: unknown): string {
  try {
    parseExperiment(input, VARIANTS);
  } catch (err) {
    assert.ok(err instanceof ValidationError, `not a ValidationError: ${String(err)}`);
    return err.field ?? '';
  }
  assert.fail('accepted');
}

void describe('experiment validation', () => {
  void it('accepts a complete experiment and fills the defaults', () => {
    const e = parseExperiment(valid(), VARIANTS);
    assert.equal(e.salt, 'exp-1');
    assert.equal(e.layer, 'default');
    assert.equal(e.holdout, 0);
    assert.equal(e.status, 'running');
    assert.deepEqual(e.arms[1].overrides.feed, { maxPerAuthor: 3, quotas: { trending: 50 } });
    assert.deepEqual(parseExperiment({ id: 'x', traffic: 1, arms: [{ name: 'a' }, { name: 'b' }] }, VARIANTS).arms[0], { name: 'a', weight: 1, overrides: {} });
  });

  void it('names the field of every bad input', () => {
    const cases: [string, (x: any) => void][] = [
      ['arms[1].overrides.feed.maxPerAutor', (x) => (x.arms[1].overrides.feed = { maxPerAutor: 3 })],
      ['arms[1].overrides.feed.maxPerAuthor', (x) => (x.arms[1].overrides.feed = { maxPerAuthor: 'three' })],
      ['arms[1].overrides.feed.hotCache', (x) => (x.arms[1].overrides.feed = { hotCache: { enabled: true } })],
      ['arms[1].overrides.feed.quotas.nope', (x) => (x.arms[1].overrides.feed = { quotas: { nope: 3 } })],
      ['arms[1].overrides.exploration.share', (x) => (x.arms[1].overrides.exploration = { share: 2 })],
      ['arms[1].overrides.exploration.policy', (x) => (x.arms[1].overrides.exploration = { policy: 'greedy' })],
      ['arms[1].overrides.ranking.valueWeights.clicks', (x) => (x.arms[1].overrides.ranking = { valueWeights: { clicks: 1 } })],
      ['arms[1].overrides.ranking.threads', (x) => (x.arms[1].overrides.ranking = { threads: 2 })],
      ['arms[1].overrides.variant', (x) => (x.arms[1].overrides.variant = 'nope')],
      ['arms[1].overrides.latency', (x) => (x.arms[1].overrides.latency = {})],
      ['arms[0].weight', (x) => (x.arms[0].weight = -1)],
      ['arms[1].name', (x) => (x.arms[1].name = 'control')],
      ['arms[1].name', (x) => (x.arms[1].name = 'holdout')],
      ['arms[0].name', (x) => delete x.arms[0].name],
      ['arms', (x) => (x.arms = [x.arms[0]])],
      ['arms', (x) => delete x.arms],
      ['id', (x) => delete x.id],
      ['id', (x) => (x.id = 'a/b')],
      ['traffic', (x) => (x.traffic = 1.5)],
      ['traffic', (x) => (x.traffic = 0)],
      ['holdout', (x) => (x.holdout = 1)],
      ['status', (x) => (x.status = 'done')],
      ['layer', (x) => (x.layer = '')],
      ['guardrails[0].metric', (x) => (x.guardrails[0].metric = 'clicks')],
      ['guardrails[0]', (x) => delete x.guardrails[0].maxRelativeIncrease],
      ['buckets', (x) => (x.buckets = { start: 0, end: 10 })],
      ['colour', (x) => (x.colour = 'red')],
    ];
    for (const [field, mutate] of cases) {
      const input: any = valid();
      mutate(input);
      assert.equal(fieldOf(input), field, `case ${field}`);
    }
    assert.equal(fieldOf([]), 'body');
  });
});
