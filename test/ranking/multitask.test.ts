import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { buildRankerTrainGraph } from '../../src/ranking/multitask/graphs.js';
import { loadRankerArtefact, saveRankerArtefact } from '../../src/ranking/multitask/artefact.js';
import { OnnxScorer } from '../../src/ranking/multitask/onnx-scorer.js';
import { layerShapes, type MultiTaskSpec } from '../../src/ranking/multitask/spec.js';
import { createSession } from '../../src/training/onnx-writer.js';
import { predictLogits } from '../../src/training/ranking/batch-graph.js';
import { RANKING_TASKS, type TimeSplit } from '../../src/training/ranking/examples.js';
import { auc } from '../../src/training/ranking/metrics.js';
import { trainRanker } from '../../src/training/ranking/train-ranker.js';
import { CorruptDataError } from '../../src/errors.js';
import { rng, tempDir } from '../helpers/fixtures.js';
import { syntheticExamples } from '../helpers/ranking-fixtures.js';

function splitOf(n: number): TimeSplit {
  const a = Math.floor(n * 0.8);
  const b = Math.floor(n * 0.9);
  const range = (x: number, y: number) => Int32Array.from({ length: y - x }, (_, k) => x + k);
  return { train: range(0, a), valid: range(a, b), test: range(b, n), validFromMs: a * 1000, testFromMs: b * 1000 };
}

void describe('multi-task ranker graphs', () => {
  void it('the hand-written backward pass matches finite differences (float64 graph)', async () => {
    const spec: MultiTaskSpec = { featureNames: ['a', 'b', 'c'], tasks: ['like', 'watch'], embDim: 2, hidden: [5, 4], buckets: { item: 8, author: 8, category: 8, user: 8 } };
    const shapes = layerShapes(spec);
    const r = rng(3);
    const B = 6;
    const D = shapes[0][0];
    const T = spec.tasks.length;
    const params = shapes.map(([i, o]) => ({ w: Float64Array.from({ length: i * o }, () => r() - 0.5), b: Float64Array.from({ length: o }, () => r() - 0.5) }));
    const X = Float64Array.from({ length: B * D }, () => r() * 2 - 1);
    const Y = Float64Array.from({ length: B * T }, (_, k) => (k % T === 1 ? r() : r() < 0.5 ? 1 : 0));
    const M = Float64Array.from({ length: B * T }, (_, k) => (k === 3 ? 0 : 1 / B));
    const session = await createSession(buildRankerTrainGraph(spec, true, 'double'), 1);
    const run = async () => {
      const feeds: Record<string, ort.Tensor> = { X: new ort.Tensor('float64', X, [B, D]), Y: new ort.Tensor('float64', Y, [B, T]), M: new ort.Tensor('float64', M, [B, T]) };
      shapes.forEach(([i, o], l) => {
        feeds[`w${l}`] = new ort.Tensor('float64', params[l].w, [i, o]);
        feeds[`b${l}`] = new ort.Tensor('float64', params[l].b, [o]);
      });
      return session.run(feeds);
    };
    const base = await run();
    const lossAt = async () => ((await run()).loss.data as Float64Array)[0];
    const check = async (arr: Float64Array, grad: Float64Array, label: string) => {
      for (let k = 0; k < arr.length; k += Math.max(1, Math.floor(arr.length / 7))) {
        const keep = arr[k];
        arr[k] = keep + 1e-6;
        const up = await lossAt();
        arr[k] = keep - 1e-6;
        const down = await lossAt();
        arr[k] = keep;
        const fd = (up - down) / 2e-6;
        assert.ok(Math.abs(fd - grad[k]) < 1e-6 + 1e-4 * Math.abs(fd), `${label}[${k}]: analytic ${grad[k]} vs numeric ${fd}`);
      }
    };
    for (let l = 0; l < shapes.length; l++) {
      await check(params[l].w, base[`gw${l}`].data as Float64Array, `w${l}`);
      await check(params[l].b, base[`gb${l}`].data as Float64Array, `b${l}`);
    }
    await check(X, base.dX.data as Float64Array, 'X');
    await session.release();
  });
});

void describe('multi-task ranker training and serving', () => {
  const ex = syntheticExamples(12_000);
  const split = splitOf(ex.n);

  void it('learns a user × category interaction logistic regression cannot see, and calibrates it', async () => {
    const mt = await trainRanker(ex, split, { epochs: 10, seed: 1, lrEmbedding: 0.5 });
    const lr = await trainRanker(ex, split, { kind: 'logistic', epochs: 6, seed: 1 });
    const testLogits = await predictLogits(mt.model, ex, split.test);
    const lrLogits = await predictLogits(lr.model, ex, split.test);
    const t = mt.model.taskIndex('like');
    const T = RANKING_TASKS.length;
    const col = (l: Float32Array) => Float32Array.from(split.test, (_, k) => l[k * T + t]);
    const likes = Float32Array.from(split.test, (i) => ex.labels.like[i]);
    const aucMt = auc(col(testLogits), likes);
    const aucLr = auc(col(lrLogits), likes);
    assert.ok(aucMt > 0.65, `multi-task like AUC ${aucMt}`);
    assert.ok(aucMt > aucLr + 0.1, `multi-task ${aucMt} vs logistic ${aucLr}`);
    assert.ok(mt.bestEpoch >= 1 && mt.epochs.length >= mt.bestEpoch);
    assert.ok(mt.examplesPerSec > 0);
    // heads with labels get a calibrator; share/follow/hide have no labels here
    assert.equal(mt.model.parts.calibrators[t]?.kind, 'platt');
    assert.equal(mt.model.parts.calibrators[mt.model.taskIndex('share')], undefined);
    // calibrated like probability on test ≈ the observed like rate
    const probs = RANKING_TASKS.map(() => new Float32Array(split.test.length));
    mt.model.headOutputs(testLogits, split.test.length, probs);
    const meanP = probs[t].reduce((s, x) => s + x, 0) / split.test.length;
    const rate = Array.from(split.test).reduce((s, i) => s + ex.labels.like[i], 0) / split.test.length;
    assert.ok(Math.abs(meanP - rate) < 0.05, `mean p_like ${meanP} vs rate ${rate}`);
  });

  void it('the folded serving graph (user part once per request) gives the training graph’s heads; the artefact round-trips', async () => {
    const { model } = await trainRanker(ex, split, { epochs: 1, seed: 2 });
    const user = ex.userIds[split.test[0]];
    const idx = Int32Array.from(split.test.filter((i) => ex.userIds[i] === user));
    assert.ok(idx.length > 0);
    const batch = await predictLogits(model, ex, idx);
    const F = ex.featureNames.length;
    const feats = new Float32Array(idx.length * F);
    idx.forEach((i, k) => feats.set(ex.features.subarray(i * F, i * F + F), k * F));
    const weights = { complete: 1, like: 2, share: 4, follow: 8, hide: -8, watch: 1 };
    const scorer = await OnnxScorer.create(model, weights);
    const n = idx.length;
    const pick = <T>(a: T[]) => Array.from(idx, (i) => a[i]);
    const served = await scorer.score(user, feats, pick(ex.itemIds), pick(ex.authorIds), pick(ex.categories));
    // the folded serving graph (normaliser, dots, Platt, value model) = the training graph's logits + the JS reference
    const heads = model.spec.tasks.map(() => new Float32Array(n));
    model.headOutputs(batch, n, heads);
    model.spec.tasks.forEach((task, t) => {
      for (let i = 0; i < n; i++) assert.ok(Math.abs(served.heads[t * n + i] - heads[t][i]) < 1e-4, `${task} of candidate ${i}: ${served.heads[t * n + i]} vs ${heads[t][i]}`);
    });
    for (let i = 0; i < n; i++) {
      const ref = model.spec.tasks.reduce((s, task, t) => s + weights[task] * heads[t][i], 0);
      assert.ok(Math.abs(served.score[i] - ref) < 1e-4, `score ${i}: ${served.score[i]} vs ${ref}`);
    }

    const tmp = await tempDir();
    try {
      const dir = join(tmp.dir, model.version);
      await saveRankerArtefact(model, dir, weights);
      // the exported serving graph runs standalone in onnxruntime and gives the same scores
      const standalone = await createSession(await readFile(join(dir, 'serve.onnx')), 1);
      const prepared = scorer.prepare(user, feats, pick(ex.itemIds), pick(ex.authorIds), pick(ex.categories));
      const out = await standalone.run(prepared.feeds);
      prepared.done();
      assert.deepEqual(out.score.data, served.score);
      await standalone.release();
      const back = await loadRankerArtefact(dir);
      assert.deepEqual(back.spec, model.spec);
      assert.deepEqual(await predictLogits(back, ex, idx), batch);
      const weightsFile = join(dir, 'weights.f32');
      const bytes = await readFile(weightsFile);
      bytes[100] ^= 0xff;
      await writeFile(weightsFile, bytes);
      await assert.rejects(loadRankerArtefact(dir), CorruptDataError);
    } finally {
      await scorer.release();
      await tmp.cleanup();
    }
  });
});
