/**
 * Runs a `MultiTaskModel`'s serving graph in onnxruntime-node (one session per model version and value model, built
 * when the model is loaded, released on swap). In: the pipeline's raw feature block f [N, F], the candidates'
 * embedding rows e [N, 3·embDim + 3] and the user input u [1, out₀]. Out: the value-model score per candidate and
 * the calibrated heads as contiguous rows (index-aligned with the candidates, usable as serve-log components as is).
 */
import ort from 'onnxruntime-node';
import { createSession } from '../../training/onnx-writer.js';
import { buildRankerServeGraph } from './graphs.js';
import type { MultiTaskModel } from './model.js';
import { candidateDim, layerShapes } from './spec.js';

export interface ScoredBatch {
  /** Σ valueWeight × head, one per candidate. */
  score: Float32Array;
  /** Calibrated heads, T × N row-major: head t of candidate i at t·N + i. */
  heads: Float32Array;
  /** Raw head logits, N × T. */
  logits: Float32Array;
}

export class OnnxScorer {
  /** Width of a candidate's embedding row (0 when the model has no id embeddings). */
  readonly embeddingWidth: number;
  readonly featureCount: number;
  private readonly userWidth: number;
  private readonly free: Float32Array[] = [];

  private constructor(
    readonly model: MultiTaskModel,
    private readonly session: ort.InferenceSession,
  ) {
    this.featureCount = model.spec.featureNames.length;
    this.embeddingWidth = candidateDim(model.spec) - this.featureCount;
    this.userWidth = layerShapes(model.spec)[0][1];
  }

  /**
   * Builds the serving graph (normalisation, layers, calibration, negative-sampling correction when `population`,
   * and the value model with `valueWeights` by head) and its session (`threads` intra-op threads).
   */
  static async create(model: MultiTaskModel, valueWeights: Readonly<Record<string, number>>, threads = 1, population = true): Promise<OnnxScorer> {
    const bytes = buildRankerServeGraph(model.spec, model.parts.layers, model.serveGraphParts(valueWeights, population));
    return new OnnxScorer(model, await createSession(bytes, threads));
  }

  /** Scores `n` candidates: raw features `f` (n × F), embedding rows `e` (n × embeddingWidth), user input `u`. */
  async run(f: Float32Array, n: number, e: Float32Array | undefined, u: Float32Array): Promise<ScoredBatch> {
    const feeds: Record<string, ort.Tensor> = {
      f: new ort.Tensor('float32', f.subarray(0, n * this.featureCount), [n, this.featureCount]),
      u: new ort.Tensor('float32', u, [1, this.userWidth]),
    };
    if (this.embeddingWidth > 0) {
      if (!e) throw new TypeError('this model needs embedding rows');
      feeds.e = new ort.Tensor('float32', e.subarray(0, n * this.embeddingWidth), [n, this.embeddingWidth]);
    }
    const res = await this.session.run(feeds);
    return { score: res.score.data as Float32Array, heads: res.heads.data as Float32Array, logits: res.logits.data as Float32Array };
  }

  /**
   * A scratch buffer for `n` embedding rows, reused across requests (allocating one per request feeds the garbage
   * collector). Give it back with `releaseInput` once `run` has resolved: onnxruntime-node reads its inputs when the
   * run starts, on a later tick, so a buffer must not be shared by requests in flight.
   */
  acquireInput(n: number): Float32Array {
    const need = Math.max(1, n * this.embeddingWidth);
    const k = this.free.findIndex((b) => b.length >= need);
    if (k >= 0) return this.free.splice(k, 1)[0];
    return new Float32Array(Math.max(need, 1024 * this.embeddingWidth));
  }

  releaseInput(buf: Float32Array): void {
    if (this.free.length < 8) this.free.push(buf);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
