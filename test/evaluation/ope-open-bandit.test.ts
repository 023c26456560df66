import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runEvalOpe } from '../../src/cli/eval-ope.js';
import { ValidationError } from '../../src/errors.js';
import { evaluateOpenBanditCampaign } from '../../src/evaluation/ope/open-bandit-eval.js';
import { loadOpenBanditLog, parseBanditCsv, type BanditLog } from '../../src/evaluation/ope/open-bandit.js';
import { crossFitSmoothedCtr, fitSmoothedCtr } from '../../src/evaluation/ope/reward-model.js';
import { propensityProfile, targetPolicyFromLog, targetProbability } from '../../src/evaluation/ope/target-policy.js';
import { mulberry32 } from '../../src/util/prng.js';
import { tempDir } from '../helpers/fixtures.js';

const T0 = Date.UTC(2019, 10, 24);
const HEADER = ',timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,user_feature_2,user_feature_3,user-item_affinity_0,user-item_affinity_1';

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '123+00:00'); // microseconds, like the dataset
}

interface Row {
  t: number;
  item: number;
  pos: number; // 1..3
  click: number;
  p: number;
}

function csv(rows: Row[]): string {
  const lines = rows.map((r, i) => `${i},${stamp(r.t)},${r.item},${r.pos},${r.click},${r.p},cef3390ed299c098,03a5648a76832f83,7bc94a2da4918,9bde591ffaab8,0.0,1.0`);
  return [HEADER, ...lines, ''].join('\n');
}

const itemContext = (numItems: number) =>
  [',item_id,item_feature_0,item_feature_1,item_feature_2,item_feature_3', ...Array.from({ length: numItems }, (_, i) => `${i},${i},-0.5,aa,bb,cc`), ''].join('\n');

/**
 * Two synthetic logs of one campaign, 6 items: the random policy shows items uniformly; the "bts" policy shows item i
 * with probability ∝ `btsWeights`, logging a propensity that drifts over time. Click probability depends on item and
 * position only, the same under both policies, so the on-policy CTR is what OPE should recover.
 */
function synthLogs(n: number, seed: number): { random: Row[]; bts: Row[]; trueBtsCtr: number } {
  const rand = mulberry32(seed);
  const items = 6;
  const ctr = (item: number, pos: number) => 0.02 + 0.04 * item * (1 - 0.2 * (pos - 1));
  const btsWeights = [1, 1, 2, 3, 5, 8];
  const sumW = btsWeights.reduce((s, w) => s + w, 0);
  const random: Row[] = [];
  const bts: Row[] = [];
  for (let r = 0; r < n; r++) {
    const t = T0 + Math.floor((r / n) * 3 * 86_400_000);
    const pos = 1 + (r % 3);
    const item = Math.floor(rand() * items);
    random.push({ t, item, pos, click: rand() < ctr(item, pos) ? 1 : 0, p: 1 / items });
    let u = rand() * sumW;
    let b = 0;
    while (u >= btsWeights[b]) u -= btsWeights[b++];
    const drift = 0.5 + rand(); // logged propensity varies around the true one
    bts.push({ t, item: b, pos, click: rand() < ctr(b, pos) ? 1 : 0, p: Math.min(1, (btsWeights[b] / sumW) * drift) });
  }
  let trueBtsCtr = 0;
  for (let pos = 1; pos <= 3; pos++) for (let i = 0; i < items; i++) trueBtsCtr += (btsWeights[i] / sumW) * ctr(i, pos) / 3;
  return { random, bts, trueBtsCtr };
}

async function writeDataset(root: string, logs: { random: Row[]; bts: Row[] }, campaigns = ['men', 'women']): Promise<void> {
  for (const campaign of campaigns) {
    for (const policy of ['random', 'bts'] as const) {
      const dir = join(root, 'open-bandit-dataset-small', policy, campaign);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${campaign}.csv`), csv(logs[policy]));
      await writeFile(join(dir, 'item_context.csv'), itemContext(6));
    }
  }
}

void describe('open bandit loader', () => {
  void it('parses a generated CSV in the dataset format', async () => {
    const { dir, cleanup } = await tempDir('feedloop-ope-');
    try {
      const rows: Row[] = [
        { t: T0 + 1000, item: 5, pos: 3, click: 0, p: 0.16666 },
        { t: T0 + 2000, item: 0, pos: 1, click: 1, p: 0.5 },
      ];
      await writeDataset(dir, { random: rows, bts: rows }, ['men']);
      const log = loadOpenBanditLog(join(dir, 'open-bandit-dataset-small'), 'random', 'men');
      assert.equal(log.n, 2);
      assert.equal(log.numItems, 6);
      assert.deepEqual([...log.item], [5, 0]);
      assert.deepEqual([...log.position], [2, 0]);
      assert.deepEqual([...log.click], [0, 1]);
      assert.deepEqual([...log.propensity], [0.16666, 0.5]);
      assert.deepEqual([...log.timestampMs], [T0 + 1000, T0 + 2000]);
    } finally {
      await cleanup();
    }
  });

  void it('rejects malformed lines naming file:line, and missing files', () => {
    const good = csv([{ t: T0, item: 1, pos: 2, click: 0, p: 0.25 }]);
    const expectBad = (text: string, line: number, numItems?: number) =>
      assert.throws(
        () => parseBanditCsv(text, 'x.csv', numItems),
        (e: unknown) => e instanceof ValidationError && e.field === 'datasets' && e.message.startsWith(`x.csv:${line}:`),
      );
    expectBad(good.replace(',0.25,', ',0,'), 2);
    expectBad(good.replace(',2,0,0.25', ',4,0,0.25'), 2);
    expectBad(good.replace(',2,0,0.25', ',2,2,0.25'), 2);
    expectBad(good.replace(',0.25,', ',0.25,"a,b",'), 2);
    expectBad(good, 2, 1); // item 1 with only one item
    expectBad(good.replace('propensity_score', 'prop'), 1);
    assert.throws(() => loadOpenBanditLog('/nonexistent-feedloop', 'bts', 'men'), (e: unknown) => e instanceof ValidationError && e.code === 'not_found');
  });
});

void describe('target policy from BTS logs', () => {
  const log = (rows: Row[]): BanditLog => parseBanditCsv(csv(rows), 'bts.csv', 3);
  const rows: Row[] = [
    { t: T0, item: 0, pos: 1, click: 0, p: 0.9 },
    { t: T0, item: 0, pos: 1, click: 0, p: 0.1 },
    { t: T0 + 86_400_000, item: 1, pos: 1, click: 0, p: 0.5 },
    { t: T0 + 86_400_000, item: 2, pos: 1, click: 0, p: 0.5 },
    { t: T0, item: 2, pos: 2, click: 0, p: 1 },
    { t: T0, item: 1, pos: 3, click: 0, p: 1 },
  ];

  void it('frequency: action shares per position, ignoring the (size-biased) logged propensities', () => {
    const pol = targetPolicyFromLog(log(rows), 'frequency');
    assert.deepEqual([0, 1, 2].map((i) => targetProbability(pol, i, 0, T0)), [0.5, 0.25, 0.25]);
    assert.deepEqual([0, 1, 2].map((i) => targetProbability(pol, i, 1, T0)), [0, 0, 1]);
  });

  void it('daily-frequency: per UTC day, whole period for days outside the log', () => {
    const pol = targetPolicyFromLog(log(rows), 'daily-frequency');
    assert.deepEqual([0, 1, 2].map((i) => targetProbability(pol, i, 0, T0 + 5)), [1, 0, 0]);
    assert.deepEqual([0, 1, 2].map((i) => targetProbability(pol, i, 0, T0 + 86_400_000 + 5)), [0, 0.5, 0.5]);
    assert.deepEqual([0, 1, 2].map((i) => targetProbability(pol, i, 1, T0 + 86_400_000 + 5)), [0, 0, 1]); // day 2 has no position 2
    assert.deepEqual([0, 1, 2].map((i) => targetProbability(pol, i, 0, T0 + 9 * 86_400_000)), [0.5, 0.25, 0.25]);
  });

  void it('mean-propensity: normalised mean logged propensity; the profile reports the variation', () => {
    const pol = targetPolicyFromLog(log(rows), 'mean-propensity');
    assert.deepEqual([0, 1, 2].map((i) => targetProbability(pol, i, 0, T0)), [0.5 / 1.5, 0.5 / 1.5, 0.5 / 1.5]);
    const prof = propensityProfile(log(rows));
    assert.equal(prof.pairsVarying, 1);
    assert.equal(prof.pairs, 5);
    assert.ok(Math.abs(prof.sumOfMeansPerPosition[0] - 1.5) < 1e-12);
  });
});

void describe('cross-fitted smoothed CTR model', () => {
  const { random } = synthLogs(6000, 3);
  const log = parseBanditCsv(csv(random), 'r.csv', 6);

  void it('shrinks little when cells differ and fully when they do not', () => {
    const het = fitSmoothedCtr(log, 6, 3);
    const flat = fitSmoothedCtr({ ...log, item: new Int32Array(log.n), click: log.click.map((_, i) => (i % 20 === 0 ? 1 : 0)) }, 6, 3);
    assert.ok(het.priorStrength < flat.priorStrength, `${het.priorStrength} vs ${flat.priorStrength}`);
    assert.ok(het.table[5] > het.table[0] + 0.1, 'item 5 clicks more than item 0');
  });

  void it("a row's own click never enters the model that scores it", () => {
    const a = crossFitSmoothedCtr(log, 6, 3, 5, 9);
    const flipped = { ...log, click: Float64Array.from(log.click) };
    flipped.click[17] = 1 - flipped.click[17];
    const b = crossFitSmoothedCtr(flipped, 6, 3, 5, 9);
    const f = a.foldOf[17];
    assert.deepEqual(a.models[f].table, b.models[f].table);
    assert.notDeepEqual(a.models[(f + 1) % 5].table, b.models[(f + 1) % 5].table);
    const sizes = [0, 1, 2, 3, 4].map((k) => a.foldOf.filter((x) => x === k).length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  });
});

void describe('open bandit OPE validation on synthetic logs', () => {
  void it('recovers the BTS CTR from the random logs within the intervals', () => {
    const { random, bts, trueBtsCtr } = synthLogs(20_000, 5);
    const r = evaluateOpenBanditCampaign('men', parseBanditCsv(csv(random), 'r', 6), parseBanditCsv(csv(bts), 'b', 6), { resamples: 300, seed: 1, folds: 5, targetPolicy: 'frequency' });
    assert.deepEqual(r.rows.map((x) => x.estimator), ['ips', 'snips', 'dr']);
    for (const row of r.rows) {
      assert.ok(Math.abs(row.estimate - trueBtsCtr) < 0.01, `${row.estimator} ${row.estimate} vs ${trueBtsCtr}`);
      assert.ok(row.ci_low <= trueBtsCtr && trueBtsCtr <= row.ci_high, `${row.estimator} misses the true CTR`);
      assert.equal(row.covered, row.ci_low <= row.on_policy && row.on_policy <= row.ci_high);
      assert.ok(row.ess > 0 && row.ess < 20_000);
    }
    assert.ok(Math.abs(r.randomCtr - trueBtsCtr) > 0.02, 'the random policy has a different CTR');
  });

  void it('the CLI prints a table and one JSON line last', async () => {
    const { dir, cleanup } = await tempDir('feedloop-ope-cli-');
    const lines: string[] = [];
    const spy = mock.method(console, 'log', (s: string) => lines.push(s));
    const err = mock.method(process.stderr, 'write', () => true);
    try {
      await writeDataset(dir, synthLogs(3000, 8));
      await runEvalOpe(['--dataset', 'open-bandit', '--datasets', dir, '--bootstrap', '100', '--seed', '3']);
      const out = JSON.parse(lines[lines.length - 1]);
      assert.equal(out.dataset, 'open-bandit');
      assert.equal(out.rows.length, 6);
      assert.deepEqual(out.rows.map((r: any) => `${r.campaign}/${r.estimator}`), ['men/ips', 'men/snips', 'men/dr', 'women/ips', 'women/snips', 'women/dr']);
      for (const r of out.rows) for (const k of ['estimate', 'ci_low', 'ci_high', 'ess', 'on_policy']) assert.equal(typeof r[k], 'number', k);
      assert.ok(lines.some((l) => l.startsWith('campaign') && l.includes('covered')));
      await assert.rejects(runEvalOpe(['--dataset', 'nope', '--datasets', dir]), (e: unknown) => e instanceof ValidationError && e.field === 'dataset');
      await assert.rejects(runEvalOpe(['--dataset', 'open-bandit', '--datasets', dir, '--bootstrap', '0']), (e: unknown) => e instanceof ValidationError && e.field === 'bootstrap');
    } finally {
      spy.mock.restore();
      err.mock.restore();
      await cleanup();
    }
  });
});
