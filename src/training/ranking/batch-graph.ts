/**
 * Runs the ranker's training graph over example rows: fills the input matrix X (normalised dense features + the
 * four id embeddings), labels Y and cell weights M for a batch, and returns the session's outputs. Used for training
 * steps and for batch prediction (M = 0: logits only) in evaluation.
 */
import ort from 'onnxruntime-node';
import { buildRankerTrainGraph } from '../../ranking/multitask/graphs.js';
import type { MultiTaskModel } from '../../ranking/multitask/model.js';
import { candidateDim, inputDim, layerShapes } from '../../ranking/multitask/spec.js';
import { createSession } from '../onnx-writer.js';
import type { RankingExamples } from './examples.js';

export class BatchGraph {
  readonly D: number;
  readonly T: number;
  readonly X: Float32Array;
  readonly Y: Float32Array;
  readonly M: Float32Array;
  /** Rows of each example's embeddings in the batch (item, author, category, user), −1 = none. */
  readonly rows: Int32Array;
  private readonly feat: Float32Array;

  private constructor(
    readonly model: MultiTaskModel,
    private readonly session: ort.InferenceSession,
    readonly maxBatch: number,
  ) {
    this.D = inputDim(model.spec);
    this.T = model.spec.tasks.length;
    this.X = new Float32Array(maxBatch * this.D);
    this.Y = new Float32Array(maxBatch * this.T);
    this.M = new Float32Array(maxBatch * this.T);
    this.rows = new Int32Array(maxBatch * 4);
    this.feat = new Float32Array(maxBatch * model.spec.featureNames.length);
  }

  static async create(model: MultiTaskModel, maxBatch: number, withInputGrad: boolean, threads = 2): Promise<BatchGraph> {
    return new BatchGraph(model, await createSession(buildRankerTrainGraph(model.spec, withInputGrad), threads), maxBatch);
  }

  /**
   * Fills X for examples `idx[from … from+n)` (and Y/M when `cellWeight` is given: label NaN → weight 0).
   * `cellWeight(t)` is the weight of a known label of head t.
   */
  fill(ex: RankingExamples, idx: ArrayLike<number>, from: number, n: number, cellWeight?: (t: number) => number): void {
    const m = this.model;
    const F = m.spec.featureNames.length;
    const d = m.spec.embDim;
    const Dc = candidateDim(m.spec);
    for (let b = 0; b < n; b++) this.feat.set(ex.features.subarray(idx[from + b] * F, idx[from + b] * F + F), b * F);
    const ids: string[] = [];
    const authors: (string | undefined)[] = [];
    const cats: (string | undefined)[] = [];
    for (let b = 0; b < n; b++) {
      const i = idx[from + b];
      ids.push(ex.itemIds[i]);
      authors.push(ex.authorIds[i]);
      cats.push(ex.categories[i]);
    }
    for (let b = 0; b < n; b++) if (d > 0) m.userEmbedding(ex.userIds[idx[from + b]], this.X, b * this.D + Dc);
    m.candidateRows(n, this.feat, ids, authors, cats, this.X, (b) => this.X.subarray(b * this.D + Dc, b * this.D + Dc + d), this.D);
    for (let b = 0; b < n; b++) {
      const i = idx[from + b];
      this.rows[b * 4] = m.row('item', ids[b]);
      this.rows[b * 4 + 1] = m.row('author', authors[b]);
      this.rows[b * 4 + 2] = m.row('category', cats[b]);
      this.rows[b * 4 + 3] = m.row('user', ex.userIds[i]);
    }
    if (!cellWeight) {
      this.M.fill(0, 0, n * this.T);
      this.Y.fill(0, 0, n * this.T);
      return;
    }
    m.spec.tasks.forEach((task, t) => {
      const lab = ex.labels[task];
      const w = cellWeight(t);
      for (let b = 0; b < n; b++) {
        const y = lab[idx[from + b]];
        const known = !Number.isNaN(y);
        this.Y[b * this.T + t] = known ? y : 0;
        this.M[b * this.T + t] = known ? w : 0;
      }
    });
  }

  /** Runs the graph on the first `n` filled rows. */
  async run(n: number): Promise<ort.InferenceSession.ReturnType> {
    const { D, T } = this;
    const feeds: Record<string, ort.Tensor> = {
      X: new ort.Tensor('float32', this.X.subarray(0, n * D), [n, D]),
      Y: new ort.Tensor('float32', this.Y.subarray(0, n * T), [n, T]),
      M: new ort.Tensor('float32', this.M.subarray(0, n * T), [n, T]),
    };
    layerShapes(this.model.spec).forEach(([i, o], l) => {
      feeds[`w${l}`] = new ort.Tensor('float32', this.model.parts.layers[l].w, [i, o]);
      feeds[`b${l}`] = new ort.Tensor('float32', this.model.parts.layers[l].b, [o]);
    });
    return this.session.run(feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Logits (idx.length × T, row-major) of the model for examples `idx`, in batches. */
export async function predictLogits(model: MultiTaskModel, ex: RankingExamples, idx: ArrayLike<number>, batch = 4096): Promise<Float32Array> {
  const g = await BatchGraph.create(model, Math.min(batch, Math.max(1, idx.length)), false);
  const T = model.spec.tasks.length;
  const out = new Float32Array(idx.length * T);
  try {
    for (let from = 0; from < idx.length; from += g.maxBatch) {
      const n = Math.min(g.maxBatch, idx.length - from);
      g.fill(ex, idx, from, n);
      const res = await g.run(n);
      out.set(res.logits.data as Float32Array, from * T);
    }
  } finally {
    await g.release();
  }
  return out;
}
