/**
 * `trainTwoTower`: trains the two-tower model on interaction data. Sparse work (pooling embedding rows, scattering
 * input gradients back into rows, row-wise optimiser updates) runs in JS on Float32Arrays; the dense forward/backward
 * (towers + sampled softmax) runs in one onnxruntime graph per step (see `train-graph.ts`).
 *
 * One example = one training interaction (u, i). The user's history is up to `historyMax` of u's *other* training
 * items, drawn uniformly (the target excluded; validation and test items are never read). Candidates per step = the
 * batch's distinct target items ∪ `uniformNegatives` uniform items, logits corrected by log(expected count in the
 * sample) = log(B·freq(i)/|train| + M/|items|) (mixed negative sampling with logQ correction). With
 * `uniformNegatives ≥ numItems` every item is a candidate (exact full softmax, no correction).
 *
 * Deterministic for a seed (seeded JS sampling; onnxruntime with a fixed thread count). Early stopping keeps the
 * tables of the epoch with the best validation Recall@20.
 */
import type { InteractionData } from '../../evaluation/recommender.js';
import { mulberry32 } from '../../util/prng.js';
import { EmbeddingTable, IdIndex } from '../embedding-table.js';
import { rankingMetrics } from './ranking-metrics.js';
import { TwoTowerModel } from './model.js';
import { towerParamShapes, type TowerParams } from './train-graph.js';
import { TrainStepRunner } from './train-step.js';
import { resolveTrainOptions, type ResolvedTrainOptions, type TrainTwoTowerOptions } from './options.js';
import type { TwoTowerConfig } from './types.js';

export type { StepProgress, TrainTwoTowerOptions } from './options.js';

/** Per-epoch progress (what the CLI's bar shows). */
export interface EpochProgress {
  epoch: number;
  epochs: number;
  loss: number;
  trainSec: number;
  evalSec: number;
  examplesPerSec: number;
  valid?: Record<string, number>;
  best: boolean;
}

/** The trained model and its training record. */
export interface TrainTwoTowerResult {
  model: TwoTowerModel;
  epochs: EpochProgress[];
  bestEpoch: number;
  wallSec: number;
  trainSec: number;
  examplesPerSec: number;
}

function initTower(dim: number, hidden: number, rand: () => number): TowerParams | null {
  if (hidden === 0) return null;
  const s = towerParamShapes(dim, hidden);
  const fill = (n: number, a: number): Float32Array => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * a);
  const xavier = Math.sqrt(6 / (dim + hidden));
  return { w1: fill(s.w1[0] * s.w1[1], xavier), b1: new Float32Array(hidden), w2: fill(s.w2[0] * s.w2[1], 0.1 * xavier), b2: new Float32Array(dim) };
}

/** Builds an untrained model for `data` (tables sized to the vocabularies, random init). */
export function initModel(data: InteractionData, o: ResolvedTrainOptions): TwoTowerModel {
  const rand = mulberry32(o.seed);
  const d = o.dim;
  const userIndex = o.userIdMode === 'dense' ? IdIndex.dense(data.userIds) : IdIndex.hashed(o.userBuckets);
  const itemIndex = o.itemIdMode === 'dense' ? IdIndex.dense(data.itemIds) : IdIndex.hashed(o.itemBuckets);
  const hasSide = (o.itemSides ?? []).some((s) => s !== undefined);
  const config: TwoTowerConfig = {
    dim: d,
    hidden: o.hidden,
    temperature: o.temperature,
    historyMax: o.historyMax,
    userIdMode: o.userIdMode,
    itemIdMode: o.itemIdMode,
    userBuckets: o.userBuckets,
    itemBuckets: o.itemBuckets,
    itemSideBuckets: hasSide ? o.itemSideBuckets : 0,
    userSideBuckets: 0,
  };
  const table = (rows: number, scale: number): EmbeddingTable => new EmbeddingTable(rows, d).initRandom(rand, scale);
  const itemId = table(itemIndex.size, o.initScale);
  return new TwoTowerModel({
    config,
    meta: { version: '', createdAt: '', dataName: data.name, dataRange: {}, metrics: {}, training: {} },
    userIndex,
    itemIndex,
    userId: table(userIndex.size, o.initScale),
    history: o.shareItemTable ? itemId : table(itemIndex.size, o.initScale),
    itemId,
    itemSide: table(config.itemSideBuckets, o.initScale),
    userSide: table(0, o.initScale),
    towerU: initTower(d, o.hidden, rand),
    towerI: initTower(d, o.hidden, rand),
    userIds: [...data.userIds],
    itemIds: [...data.itemIds],
    itemSides: Array.from({ length: data.numItems }, (_, i) => o.itemSides?.[i]),
    userMatrix: new Float32Array(0),
  });
}

/** Item rows of a dense index (identity) or a hashed one, by dense item index. */
function rowsOf(index: IdIndex, ids: readonly string[]): Int32Array {
  return Int32Array.from(ids, (id) => index.lookup(id));
}

/** Trains a two-tower model on `data.train`, early-stopping on `data.valid` Recall@20. */
export async function trainTwoTower(
  data: InteractionData,
  opts: TrainTwoTowerOptions = {},
  onEpoch?: (p: EpochProgress) => void,
): Promise<TrainTwoTowerResult> {
  const o = resolveTrainOptions(opts);
  const t0 = performance.now();
  const model = initModel(data, o);
  const p = model.parts;
  const userRows = rowsOf(p.userIndex, data.userIds);
  const itemRows = rowsOf(p.itemIndex, data.itemIds);
  const runner = await TrainStepRunner.create(model, data, userRows, itemRows, o);
  const setHistories = (): void => {
    const { offsets, items } = data.train;
    model.setUserHistories((u) => Array.from(items.subarray(offsets[u], offsets[u + 1]), (i) => itemRows[i]));
    model.invalidate();
  };
  const history: EpochProgress[] = [];
  let best = -1;
  let bestEpoch = 0;
  let bestSnapshot: Float32Array[] | null = null;
  let sinceBest = 0;
  let trainSec = 0;
  let examples = 0;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const te = performance.now();
    const loss = await runner.epoch(epoch);
    const sec = (performance.now() - te) / 1000;
    trainSec += sec;
    examples += runner.numExamples;
    const progress: EpochProgress = { epoch, epochs: o.epochs, loss, trainSec: sec, evalSec: 0, examplesPerSec: runner.numExamples / sec, best: false };
    if (o.evalEvery > 0 && (epoch % o.evalEvery === 0 || epoch === o.epochs)) {
      const tv = performance.now();
      setHistories();
      const ks = [10, 20];
      progress.valid = await rankingMetrics(p.userMatrix, model.itemMatrix(), o.dim, data.valid, [data.train], { ks, threads: o.threads });
      progress.evalSec = (performance.now() - tv) / 1000;
      if (progress.valid['recall@20'] > best) {
        best = progress.valid['recall@20'];
        bestEpoch = epoch;
        bestSnapshot = snapshot(model);
        progress.best = true;
        sinceBest = 0;
      } else sinceBest++;
    }
    history.push(progress);
    onEpoch?.(progress);
    if (sinceBest >= o.patience) break;
  }
  await runner.release();
  if (bestSnapshot) restore(model, bestSnapshot);
  setHistories();
  const wallSec = (performance.now() - t0) / 1000;
  const bestValid = history.find((h) => h.epoch === bestEpoch)?.valid ?? {};
  const createdAt = new Date().toISOString();
  p.meta = {
    version: `two-tower-${createdAt.replace(/[-:]/g, '').replace(/\..*$/, '')}-s${o.seed}`,
    createdAt,
    dataName: data.name,
    dataRange: { split: 'train', users: data.numUsers, items: data.numItems, interactions: data.train.items.length },
    metrics: Object.fromEntries(Object.entries(bestValid).map(([k, v]) => [`valid_${k}`, v])),
    training: {
      bestEpoch,
      epochsRun: history.length,
      wallSec,
      trainSec,
      examplesPerSec: examples / trainSec,
      options: Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'itemSides' && k !== 'onStep')),
    },
  };
  return { model, epochs: history, bestEpoch, wallSec, trainSec, examplesPerSec: examples / trainSec };
}

function trainable(model: TwoTowerModel): Float32Array[] {
  const p = model.parts;
  const out = [p.userId.data, p.history.data, p.itemId.data, p.itemSide.data, p.userSide.data];
  for (const t of [p.towerU, p.towerI]) if (t) out.push(t.w1, t.b1, t.w2, t.b2);
  return out;
}

function snapshot(model: TwoTowerModel): Float32Array[] {
  return trainable(model).map((a) => a.slice());
}

function restore(model: TwoTowerModel, snap: Float32Array[]): void {
  trainable(model).forEach((a, i) => a.set(snap[i]));
  model.invalidate();
}

/** Entry for the evaluation model registry: trains with the defaults and logs one line per epoch. */
export async function fitTwoTower(
  data: InteractionData,
  ctx: { seed: number; epochs?: number; log: (msg: string) => void },
): Promise<TwoTowerModel> {
  const res = await trainTwoTower(data, { seed: ctx.seed, epochs: ctx.epochs }, (p) =>
    ctx.log(
      `two-tower epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} valid R@20 ${p.valid?.['recall@20']?.toFixed(4) ?? '-'} ` +
        `${Math.round(p.examplesPerSec)} ex/s`,
    ),
  );
  return res.model;
}
