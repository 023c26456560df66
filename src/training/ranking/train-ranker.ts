/**
 * Trains the multi-task ranker (or, with `kind: 'logistic'`, the logistic-regression baseline: no hidden layer, no
 * id embeddings, the same dense features) on the train part of a time split:
 * - dense layers: forward/backward in onnxruntime (graphs.ts), Adam in JS;
 * - id embeddings (item, author, category, user; hashed tables): row-wise AdaGrad on the rows a batch touched only;
 * - per-head binary cross-entropy (soft label for the watch ratio), unknown labels masked, per-task loss weights;
 * - early stopping on the validation loss (best epoch kept); then one Platt calibrator per head fitted on valid.
 * Training uses unit example weights (sampled negatives included); the sampling is corrected at prediction time.
 */
import { DenseAdam, EmbeddingTable, RowAdagrad, SparseGrad } from '../embedding-table.js';
import { MultiTaskModel, type MultiTaskMeta } from '../../ranking/multitask/model.js';
import { EMBEDDING_FIELDS, candidateDim, fitNormaliser, layerShapes, type DenseLayer, type EmbeddingField, type MultiTaskSpec } from '../../ranking/multitask/spec.js';
import { mulberry32, shuffle } from '../../util/prng.js';
import { BatchGraph, predictLogits } from './batch-graph.js';
import { fitCalibrator, type Calibrator } from './calibration.js';
import { RANKING_TASKS, type RankingExamples, type RankingTask, type TimeSplit } from './examples.js';

export interface RankerTrainOptions {
  kind?: 'multitask' | 'logistic';
  hidden?: number[];
  embDim?: number;
  epochs?: number;
  /** Stop after this many epochs without a better validation loss. */
  patience?: number;
  batchSize?: number;
  lrDense?: number;
  lrEmbedding?: number;
  /** L2 on embedding rows (applied when a row is updated). */
  weightDecay?: number;
  tasks?: RankingTask[];
  taskWeights?: Partial<Record<RankingTask, number>>;
  seed?: number;
  threads?: number;
  onEpoch?: (p: EpochReport) => void;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  validLoss: number;
  examplesPerSec: number;
  best: boolean;
}

export interface TrainedRanker {
  model: MultiTaskModel;
  epochs: EpochReport[];
  bestEpoch: number;
  /** Training examples per second of wall time over all epochs (batch assembly + graph + updates). */
  examplesPerSec: number;
  /** Validation logits of the returned model (valid.length × T), e.g. for the report. */
  validLogits: Float32Array;
}

const MIN_LABELS_FOR_CALIBRATION = 20;

export async function trainRanker(ex: RankingExamples, split: TimeSplit, o: RankerTrainOptions = {}): Promise<TrainedRanker> {
  const logistic = o.kind === 'logistic';
  const tasks = o.tasks ?? [...RANKING_TASKS];
  const seed = o.seed ?? 1;
  const rand = mulberry32(seed);
  const F = ex.featureNames.length;
  const spec: MultiTaskSpec = {
    featureNames: [...ex.featureNames],
    tasks,
    embDim: logistic ? 0 : (o.embDim ?? 8),
    hidden: logistic ? [] : (o.hidden ?? [64, 32]),
    buckets: bucketsFor(ex, split.train),
  };
  const layers: DenseLayer[] = layerShapes(spec).map(([i, out]) => {
    const a = Math.sqrt(6 / (i + out)); // Glorot uniform
    return { w: Float32Array.from({ length: i * out }, () => (rand() * 2 - 1) * a), b: new Float32Array(out) };
  });
  const tables = Object.fromEntries(
    EMBEDDING_FIELDS.map((f) => [f, new EmbeddingTable(spec.embDim > 0 ? spec.buckets[f] : 0, spec.embDim).initRandom(rand, 0.05)]),
  ) as Record<EmbeddingField, EmbeddingTable>;
  const meta: MultiTaskMeta = {
    version: `ranker-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${(seed >>> 0).toString(16)}`,
    createdAt: new Date().toISOString(),
    kind: logistic ? 'logistic' : 'multitask',
    data: {},
    metrics: {},
    negativeKeptFraction: ex.negativeSampling?.meanKeptFraction,
  };
  const model = new MultiTaskModel({
    spec,
    meta,
    normaliser: fitNormaliser(ex.features, F, split.train),
    tables,
    layers,
    calibrators: tasks.map(() => undefined),
  });

  const B = o.batchSize ?? 512;
  const graph = await BatchGraph.create(model, B, spec.embDim > 0, o.threads ?? 2);
  const dense = layers.flatMap((l, k) => [
    { param: l.w, grad: `gw${k}`, opt: new DenseAdam(l.w.length, o.lrDense ?? 3e-3) },
    { param: l.b, grad: `gb${k}`, opt: new DenseAdam(l.b.length, o.lrDense ?? 3e-3) },
  ]);
  const sparse = EMBEDDING_FIELDS.map((f) => ({
    table: tables[f],
    grad: new SparseGrad(tables[f].rows, spec.embDim),
    opt: new RowAdagrad(tables[f].rows, o.lrEmbedding ?? 0.05, o.weightDecay ?? 1e-5),
  }));
  const taskW = tasks.map((t) => o.taskWeights?.[t] ?? 1);
  const Dc = candidateDim(spec);
  const order = Int32Array.from(split.train);
  const epochs: EpochReport[] = [];
  let best = { loss: Infinity, epoch: 0, layers: cloneLayers(layers), tables: cloneTables(tables) };
  let trainMs = 0;
  let trained = 0;
  try {
    for (let epoch = 1; epoch <= (o.epochs ?? 8); epoch++) {
      const t0 = performance.now();
      shuffle(order, rand);
      let lossSum = 0;
      let cells = 0;
      for (let from = 0; from < order.length; from += B) {
        const n = Math.min(B, order.length - from);
        graph.fill(ex, order, from, n, (t) => taskW[t] / n);
        const res = await graph.run(n);
        lossSum += (res.loss.data as Float32Array)[0] * n;
        cells += n;
        for (const d of dense) d.opt.step(d.param, res[d.grad].data as Float32Array);
        if (spec.embDim > 0) {
          const dX = res.dX.data as Float32Array;
          const d = spec.embDim;
          for (let b = 0; b < n; b++) {
            const o = b * graph.D;
            // chain rule through the dots: d⟨u, e⟩ = g·e for the user row and g·u for the field's row
            for (let f = 0; f < 3; f++) {
              const g = dX[o + F + 3 * d + f];
              for (let j = 0; j < d; j++) {
                dX[o + Dc + j] += g * graph.X[o + F + f * d + j];
                dX[o + F + f * d + j] += g * graph.X[o + Dc + j];
              }
            }
            for (let f = 0; f < 4; f++) {
              const r = graph.rows[b * 4 + f];
              if (r >= 0) sparse[f].grad.add(r, 1, dX, o + (f < 3 ? F + f * d : Dc));
            }
          }
          for (const s of sparse) {
            s.opt.step(s.table, s.grad);
            s.grad.clear();
          }
        }
      }
      const ms = performance.now() - t0;
      trainMs += ms;
      trained += order.length;
      const validLoss = await meanLoss(model, ex, split.valid, taskW);
      const isBest = validLoss < best.loss;
      if (isBest) best = { loss: validLoss, epoch, layers: cloneLayers(layers), tables: cloneTables(tables) };
      const report = { epoch, trainLoss: lossSum / Math.max(1, cells), validLoss, examplesPerSec: (order.length / ms) * 1000, best: isBest };
      epochs.push(report);
      o.onEpoch?.(report);
      if (epoch - best.epoch >= (o.patience ?? 2)) break;
    }
  } finally {
    await graph.release();
  }
  // restore the best epoch, then calibrate every head on valid
  best.layers.forEach((l, k) => {
    layers[k].w.set(l.w);
    layers[k].b.set(l.b);
  });
  for (const f of EMBEDDING_FIELDS) tables[f].data.set(best.tables[f]);
  const validLogits = split.valid.length > 0 ? await predictLogits(model, ex, split.valid) : new Float32Array(0);
  model.parts.calibrators = tasks.map((task, t) => calibratorFor(validLogits, ex.labels[task], split.valid, t, tasks.length));
  return { model, epochs, bestEpoch: best.epoch, examplesPerSec: trainMs > 0 ? (trained / trainMs) * 1000 : 0, validLogits };
}

/** Platt scaling of head t on the validation logits, when the head has enough known labels of both kinds. */
function calibratorFor(logits: Float32Array, labels: Float32Array, idx: Int32Array, t: number, T: number): Calibrator | undefined {
  let pos = 0;
  let neg = 0;
  const z = new Float32Array(idx.length);
  const y = new Float32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    z[k] = logits[k * T + t];
    y[k] = labels[idx[k]];
    if (!Number.isNaN(y[k])) {
      pos += y[k];
      neg += 1 - y[k];
    }
  }
  if (pos < MIN_LABELS_FOR_CALIBRATION || neg < MIN_LABELS_FOR_CALIBRATION) return undefined;
  return fitCalibrator('platt', z, y);
}

/** Mean per-cell weighted BCE over `idx` (the validation loss used for early stopping). */
async function meanLoss(model: MultiTaskModel, ex: RankingExamples, idx: Int32Array, taskW: number[]): Promise<number> {
  if (idx.length === 0) return 0;
  const logits = await predictLogits(model, ex, idx);
  const T = model.spec.tasks.length;
  let s = 0;
  let w = 0;
  model.spec.tasks.forEach((task, t) => {
    const lab = ex.labels[task];
    for (let k = 0; k < idx.length; k++) {
      const y = lab[idx[k]];
      if (Number.isNaN(y)) continue;
      const z = logits[k * T + t];
      s += taskW[t] * (Math.max(z, 0) - y * z + Math.log1p(Math.exp(-Math.abs(z))));
      w += taskW[t];
    }
  });
  return w > 0 ? s / w : 0;
}

/** Hashed buckets per field: twice the distinct ids seen in train (≥ 1024, ≤ 2²⁰). */
function bucketsFor(ex: RankingExamples, train: Int32Array): Record<EmbeddingField, number> {
  const distinct = (get: (i: number) => string | undefined): number => {
    const s = new Set<string>();
    for (const i of train) {
      const v = get(i);
      if (v !== undefined) s.add(v);
    }
    return Math.min(1 << 20, Math.max(1024, 2 * s.size));
  };
  return {
    item: distinct((i) => ex.itemIds[i]),
    author: distinct((i) => ex.authorIds[i]),
    category: distinct((i) => ex.categories[i]),
    user: distinct((i) => ex.userIds[i]),
  };
}

function cloneLayers(layers: DenseLayer[]): DenseLayer[] {
  return layers.map((l) => ({ w: l.w.slice(), b: l.b.slice() }));
}

function cloneTables(tables: Record<EmbeddingField, EmbeddingTable>): Record<EmbeddingField, Float32Array> {
  return Object.fromEntries(EMBEDDING_FIELDS.map((f) => [f, tables[f].data.slice()])) as Record<EmbeddingField, Float32Array>;
}
