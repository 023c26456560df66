/**
 * Runs a `MultiTaskModel`'s serving graph in onnxruntime-node: candidate rows x [N, Dc] and the user input u [1, out₀]
 * in, logits [N, T] out. One session per model version (built when the model is loaded, released on swap).
 */
import ort from 'onnxruntime-node';
import { createSession } from '../../training/onnx-writer.js';
import { buildRankerServeGraph } from './graphs.js';
import type { MultiTaskModel } from './model.js';
import { candidateDim, layerShapes } from './spec.js';

export class OnnxScorer {
  readonly candidateDim: number;
  private readonly userWidth: number;

  private constructor(
    readonly model: MultiTaskModel,
    private readonly session: ort.InferenceSession,
  ) {
    this.candidateDim = candidateDim(model.spec);
    this.userWidth = layerShapes(model.spec)[0][1];
  }

  /** Builds the serving graph and its session (`threads` intra-op threads; 1 suits a request-per-core server). */
  static async create(model: MultiTaskModel, threads = 1): Promise<OnnxScorer> {
    const bytes = buildRankerServeGraph(model.spec, model.parts.layers);
    return new OnnxScorer(model, await createSession(bytes, threads));
  }

  /** Logits [n, T] (row-major) for `n` candidate rows of `x` and the user's first-layer input `u`. */
  async logits(x: Float32Array, n: number, u: Float32Array): Promise<Float32Array> {
    const res = await this.session.run({
      x: new ort.Tensor('float32', x.subarray(0, n * this.candidateDim), [n, this.candidateDim]),
      u: new ort.Tensor('float32', u, [1, this.userWidth]),
    });
    return res.logits.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
