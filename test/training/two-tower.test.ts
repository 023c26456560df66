import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { mulberry32 } from '../../src/util/prng.js';
import { evaluate } from '../../src/evaluation/full-ranking.js';
import { csrFromLists } from '../../src/evaluation/split-data.js';
import type { InteractionData } from '../../src/evaluation/recommender.js';
import { EmbeddingTable, IdIndex, RowAdagrad, SparseGrad } from '../../src/training/embedding-table.js';
import { TwoTowerModel } from '../../src/training/two-tower/model.js';
import { GraphBuilder, attr } from '../../src/training/onnx-writer.js';
import { TOWER_PARAM_NAMES, buildTrainGraph, createSession, towerForward32, towerParamShapes } from '../../src/training/two-tower/train-graph.js';
import { initModel, trainTwoTower } from '../../src/training/two-tower/train.js';
import { resolveTrainOptions } from '../../src/training/two-tower/options.js';

const rand = mulberry32(7);
const randn = (n: number, scale = 1): Float64Array => Float64Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

void test('the ONNX writer produces a model onnxruntime loads; Gemm(alpha, transB) matches a TS matmul', async () => {
  const g = new GraphBuilder('gemm');
  g.input('a', 'float', ['n', 3]);
  g.input('b', 'float', [2, 3]);
  const bias = g.constant('float', [2], [0.5, -1]);
  const y = g.op('Gemm', ['a', 'b', bias], { transB: attr.i(1), alpha: attr.f(2) });
  g.output(y, 'float', ['n', 2]);
  const s = await ort.InferenceSession.create(g.toBytes());
  const a = Float32Array.from(randn(12));
  const b = Float32Array.from(randn(6));
  const r = await s.run({ a: new ort.Tensor('float32', a, [4, 3]), b: new ort.Tensor('float32', b, [2, 3]) });
  const got = r[y].data as Float32Array;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 2; j++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += a[i * 3 + k] * b[j * 3 + k];
      assert.ok(Math.abs(got[i * 2 + j] - (2 * dot + [0.5, -1][j])) < 1e-5);
    }
  }
  await s.release();
});

type Feeds = Record<string, { data: Float64Array; dims: number[] }>;
const N = 3;
const R = 4;
/** History slots of the small step: distinct rows 0..R−1, with a repeat and a padding slot (weight 0). */
const HIDX = [0, 1, 1, 2, 3, 0, 3, 2, 0, 1, 2, 3];
const HW = (B: number): Float64Array => Float64Array.from({ length: B * N }, (_, k) => (k === 5 ? 0 : 0.2 + 0.1 * (k % 4)));

/** Inputs of a small training step, in float64 (`hidx` is added as int64 when run). */
function smallStep(B: number, C: number, d: number, hidden: number): Feeds {
  const labels = new Float64Array(B * C);
  for (let b = 0; b < B; b++) labels[b * C + ((b * 2) % C)] = 1;
  const feeds: Feeds = {
    urows: { data: randn(B * d), dims: [B, d] },
    hrows: { data: randn(R * d), dims: [R, d] },
    hw: { data: HW(B), dims: [B, N, 1] },
    xi: { data: randn(C * d), dims: [C, d] },
    labels: { data: labels, dims: [B, C] },
    rowWeight: { data: new Float64Array(B).fill(1 / B), dims: [B, 1] },
    logq: { data: randn(C, 0.5), dims: [C] },
  };
  const shapes = towerParamShapes(d, hidden);
  if (hidden > 0) {
    for (const p of ['u_', 'i_']) for (const n of TOWER_PARAM_NAMES) feeds[p + n] = { data: randn(shapes[n].reduce((x, y) => x * y, 1), 0.7), dims: shapes[n] };
  }
  return feeds;
}

async function runLoss(s: ort.InferenceSession, feeds: Feeds): Promise<ort.InferenceSession.OnnxValueMapType> {
  const B = feeds.urows.dims[0];
  const t: Record<string, ort.Tensor> = { hidx: new ort.Tensor('int64', BigInt64Array.from(HIDX.slice(0, B * N), (v) => BigInt(v)), [B * N, 1]) };
  for (const [k, v] of Object.entries(feeds)) t[k] = new ort.Tensor('float64', v.data, v.dims);
  return s.run(t);
}

for (const hidden of [3, 0]) {
  void test(`finite-difference check of the training graph's backward pass (hidden ${hidden})`, async () => {
    const B = 3;
    const C = 5;
    const d = 4;
    const s = await createSession(buildTrainGraph({ dim: d, hidden, temperature: 0.5, historyMax: N, elem: 'double' }), 1);
    const feeds = smallStep(B, C, d, hidden);
    const res = await runLoss(s, feeds);
    const wrt: [string, string][] = [
      ['urows', 'u_dx'],
      ['hrows', 'h_drows'],
      ['xi', 'i_dx'],
    ];
    if (hidden > 0) for (const p of ['u_', 'i_']) for (const n of TOWER_PARAM_NAMES) wrt.push([p + n, `${p}g${n}`]);
    const h = 1e-6;
    for (const [input, gradName] of wrt) {
      const analytic = res[gradName].data as Float64Array;
      const x = feeds[input].data;
      assert.equal(analytic.length, x.length, gradName);
      for (let k = 0; k < x.length; k++) {
        const keep = x[k];
        x[k] = keep + h;
        const up = ((await runLoss(s, feeds)).loss.data as Float64Array)[0];
        x[k] = keep - h;
        const down = ((await runLoss(s, feeds)).loss.data as Float64Array)[0];
        x[k] = keep;
        const numeric = (up - down) / (2 * h);
        const err = Math.abs(numeric - analytic[k]) / Math.max(1, Math.abs(numeric));
        assert.ok(err < 1e-6, `${gradName}[${k}]: analytic ${analytic[k]} numeric ${numeric}`);
      }
    }
    await s.release();
  });
}

void test('the TS tower (serving) matches the graph forward: same loss from TS-computed vectors', async () => {
  const B = 4;
  const C = 6;
  const d = 5;
  const hidden = 3;
  const tau = 0.3;
  const s = await createSession(buildTrainGraph({ dim: d, hidden, temperature: tau, historyMax: N, elem: 'double' }), 1);
  const f = smallStep(B, C, d, hidden);
  const graphLoss = ((await runLoss(s, f)).loss.data as Float64Array)[0];
  const params = (p: string) => ({ w1: Float32Array.from(f[`${p}w1`].data), b1: Float32Array.from(f[`${p}b1`].data), w2: Float32Array.from(f[`${p}w2`].data), b2: Float32Array.from(f[`${p}b2`].data) });
  const zu = new Float32Array(B * d);
  const zi = new Float32Array(C * d);
  const xu = Float32Array.from(f.urows.data);
  for (let k = 0; k < B * N; k++) for (let j = 0; j < d; j++) xu[Math.floor(k / N) * d + j] += f.hw.data[k] * f.hrows.data[HIDX[k] * d + j];
  towerForward32(xu, B, d, hidden, params('u_'), zu);
  towerForward32(Float32Array.from(f.xi.data), C, d, hidden, params('i_'), zi);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const logits = Array.from({ length: C }, (_, c) => {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += zu[b * d + j] * zi[c * d + j];
      return dot / tau - f.logq.data[c];
    });
    const m = Math.max(...logits);
    const lse = m + Math.log(logits.reduce((acc, l) => acc + Math.exp(l - m), 0));
    const pos = f.labels.data.subarray(b * C, (b + 1) * C).indexOf(1);
    loss += (lse - logits[pos]) / B;
  }
  assert.ok(Math.abs(loss - graphLoss) < 1e-4, `${loss} vs ${graphLoss}`);
  await s.release();
});

void test('sparse row-wise AdaGrad sums duplicate rows, then updates touched rows only', () => {
  const t = new EmbeddingTable(3, 2, Float32Array.from([1, 2, 3, 4, 5, 6]));
  const g = new SparseGrad(3, 2);
  g.add(2, 1, Float32Array.from([0.5, -1]), 0);
  g.add(2, 0.5, Float32Array.from([1, 2]), 0);
  g.add(0, 1, Float32Array.from([0, 0, 3, 4]), 2);
  const opt = new RowAdagrad(3, 0.1, 0, 0, 0.5);
  opt.step(t, g);
  g.clear();
  // row 2: g = (1, 0), G = 0.5 + (1 + 0)/2 = 1 → w −= 0.1·g/1
  // row 0: g = (3, 4), G = 0.5 + 25/2 = 13 → w −= 0.1·g/√13
  const r0 = 0.1 / Math.sqrt(13);
  const want = [1 - 3 * r0, 2 - 4 * r0, 3, 4, 5 - 0.1, 6];
  want.forEach((w, k) => assert.ok(Math.abs(t.data[k] - w) < 1e-6, `w[${k}] ${t.data[k]} vs ${w}`));
  assert.ok(Math.abs(opt.accum[2] - 1) < 1e-6 && opt.accum[1] === 0.5);
  assert.equal(g.count, 0);
});

void test('hashed ids accept unseen ids; dense ids add rows; an item without an id row gets a vector from side features', () => {
  const h = IdIndex.hashed(64);
  const r = h.lookup('never-seen-item');
  assert.ok(r >= 0 && r < 64 && r === h.lookup('never-seen-item'));
  const dn = IdIndex.dense(['a', 'b']);
  assert.equal(dn.lookup('c'), -1);
  assert.equal(dn.add('c'), 2);
  assert.equal(dn.size, 3);
  const data = blockData(40, 30, 3, 1);
  const o = resolveTrainOptions({ dim: 8, hidden: 8, itemIdMode: 'hashed', itemBuckets: 97, itemSides: sidesFor(30, 3) });
  const m = initModel(data, o);
  const v = m.itemVector('brand-new-item', { category: 'c1', tags: ['x'] });
  assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
  const cold = initModel(data, resolveTrainOptions({ dim: 8, hidden: 8, itemSides: sidesFor(30, 3) }));
  const onlySide = cold.itemVector('brand-new-item', { category: 'c1' });
  assert.ok(onlySide.some((x) => x !== 0));
  assert.deepEqual(Array.from(onlySide), Array.from(cold.itemVector('another-new-item', { category: 'c1' })));
  const u = cold.userVector('never-seen-user', ['i0', 'i1', 'unknown']);
  assert.ok(Math.abs(Math.hypot(...u) - 1) < 1e-5);
});

/** Users in `blocks` groups, each liking a random half of its group's items (+ one random item); split 7:1:2. */
function blockData(numUsers: number, numItems: number, blocks: number, seed: number): InteractionData {
  const r = mulberry32(seed);
  const per = numItems / blocks;
  const split: number[][][] = [[], [], []];
  for (let u = 0; u < numUsers; u++) {
    const blk = u % blocks;
    const liked = new Set<number>();
    for (let i = blk * per; i < (blk + 1) * per; i++) if (r() < 0.5) liked.add(i);
    liked.add(Math.floor(r() * numItems));
    const lists: number[][] = [[], [], []];
    for (const i of liked) {
      const x = r();
      lists[x < 0.7 ? 0 : x < 0.8 ? 1 : 2].push(i);
    }
    lists.forEach((l, k) => split[k].push(l));
  }
  return {
    name: 'blocks',
    numUsers,
    numItems,
    train: csrFromLists(split[0]),
    valid: csrFromLists(split[1]),
    test: csrFromLists(split[2]),
    userIds: Array.from({ length: numUsers }, (_, u) => `u${u}`),
    itemIds: Array.from({ length: numItems }, (_, i) => `i${i}`),
  };
}

function sidesFor(numItems: number, blocks: number): { category: string }[] {
  return Array.from({ length: numItems }, (_, i) => ({ category: `c${Math.floor(i / (numItems / blocks))}` }));
}

const SMALL = { dim: 16, hidden: 16, batchSize: 128, uniformNegatives: 64, temperature: 0.2, lrEmbedding: 0.1, epochs: 12, patience: 12, threads: 2 };

void test('training on block-structured data beats popularity clearly; deterministic for a seed', async () => {
  const data = blockData(300, 120, 6, 3);
  const epochs: number[] = [];
  const res = await trainTwoTower(data, { ...SMALL, seed: 5 }, (p) => epochs.push(p.loss));
  assert.ok(epochs[epochs.length - 1] < epochs[0], 'loss decreases');
  const tt = evaluate(res.model, data, { split: 'test', ks: [10], maskValidWhenTesting: false }).atK[0].recall;
  const pop = new Float32Array(data.numItems);
  for (const i of data.train.items) pop[i]++;
  const popModel = { name: 'pop', scoreUser: (_u: number, out: Float32Array) => out.set(pop) };
  const popRecall = evaluate(popModel, data, { split: 'test', ks: [10], maskValidWhenTesting: false }).atK[0].recall;
  assert.ok(tt > 0.3 && tt > 2 * popRecall, `two-tower R@10 ${tt} vs popularity ${popRecall}`);
  const again = await trainTwoTower(data, { ...SMALL, seed: 5, epochs: 2 });
  const again2 = await trainTwoTower(data, { ...SMALL, seed: 5, epochs: 2 });
  assert.deepEqual(again.epochs.map((e) => e.loss), again2.epochs.map((e) => e.loss));
});

void test('save/load round trip gives identical scores and vectors; the artefact records version, config and metrics', async () => {
  const data = blockData(60, 30, 3, 9);
  const { model } = await trainTwoTower(data, { ...SMALL, epochs: 2, itemSides: sidesFor(30, 3), itemIdDropout: 0.2 });
  const dir = await mkdtemp(join(tmpdir(), 'two-tower-'));
  try {
    const path = join(dir, 'model');
    await model.save(path);
    await model.save(path); // replaces atomically
    const back = await TwoTowerModel.load(path);
    assert.equal(back.version, model.version);
    assert.ok(back.version.startsWith('two-tower-'));
    assert.deepEqual(back.parts.config, model.parts.config);
    assert.ok(back.parts.meta.metrics['valid_recall@20'] >= 0);
    const a = new Float32Array(data.numItems);
    const b = new Float32Array(data.numItems);
    for (let u = 0; u < data.numUsers; u++) {
      model.scoreUser(u, a);
      back.scoreUser(u, b);
      assert.deepEqual(b, a);
    }
    assert.deepEqual(back.userVector('u3', ['i1', 'i2']), model.userVector('u3', ['i1', 'i2']));
    assert.deepEqual(back.itemVector('new', { category: 'c2' }), model.itemVector('new', { category: 'c2' }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
