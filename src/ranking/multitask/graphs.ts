/**
 * The multi-task ranker's ONNX graphs: the training graph (forward, per-head binary cross-entropy, hand-written
 * backward) and the serving graph (weights baked in as initializers, user part of the first layer as an input).
 *
 * Training, with X [B, D], labels Y [B, T] and per-cell weights M [B, T] (0 masks an unknown label; the trainer puts
 * example weight × task weight / B there):
 *   a₀ = X·W₀ + b₀, hₗ = relu(aₗ), aₗ₊₁ = hₗ·Wₗ₊₁ + bₗ₊₁, …, z = a_L                    (logits [B, T])
 *   loss = Σ M ⊙ (softplus(z) − Y ⊙ z)                    (BCE with logits; soft labels for the watch ratio)
 *   dz = M ⊙ (σ(z) − Y), then the usual backward through the Gemm/ReLU chain down to dX (sparse rows in JS).
 *
 * The serving graph (folded weights, id tables inside, user part once per request) is in serving.ts.
 */
import { GraphBuilder, attr, type ElemType } from '../../training/onnx-writer.js';
import { layerShapes, type CompiledNormaliser, type MultiTaskSpec } from './spec.js';

/**
 * Inputs: `X` [B, D], `Y` [B, T], `M` [B, T], and per layer l `w{l}` [in, out], `b{l}` [out].
 * Outputs: `loss` (scalar), `logits` [B, T], per layer `gw{l}`, `gb{l}`, and `dX` [B, D] when `withInputGrad`.
 */
export function buildRankerTrainGraph(spec: MultiTaskSpec, withInputGrad: boolean, elem: ElemType = 'float'): Uint8Array {
  const g = new GraphBuilder('multitask_ranker_train');
  const shapes = layerShapes(spec);
  const T = spec.tasks.length;
  g.input('X', elem, ['B', shapes[0][0]]);
  g.input('Y', elem, ['B', T]);
  g.input('M', elem, ['B', T]);
  shapes.forEach(([i, o], l) => {
    g.input(`w${l}`, elem, [i, o]);
    g.input(`b${l}`, elem, [o]);
  });
  if (shapes.length > 1) g.constant(elem, [], [0], 'zero');
  g.constant(elem, [], [1], 'one');
  const ax0 = g.constant('int64', [1], [0]);
  // forward, keeping each layer's input and pre-activation
  const inputs: string[] = [];
  const pre: string[] = [];
  let h = 'X';
  for (let l = 0; l < shapes.length; l++) {
    inputs.push(h);
    const a = g.op('Gemm', [h, `w${l}`, `b${l}`], {}, l === shapes.length - 1 ? 'logits' : undefined);
    pre.push(a);
    if (l < shapes.length - 1) h = g.op('Relu', [a]);
  }
  const z = 'logits';
  // softplus(z) = max(z, 0) + log(1 + e^−|z|), written out (stable, and ORT's Softplus has no float64 kernel)
  const softplus = g.op('Add', [g.op('Relu', [z]), g.op('Log', [g.op('Add', ['one', g.op('Exp', [g.op('Neg', [g.op('Abs', [z])])])])])]);
  const bce = g.op('Sub', [softplus, g.op('Mul', ['Y', z])]);
  g.op('ReduceSum', [g.op('Mul', ['M', bce])], { keepdims: attr.i(0) }, 'loss');
  // backward
  let d = g.op('Mul', ['M', g.op('Sub', [g.op('Sigmoid', [z]), 'Y'])]);
  for (let l = shapes.length - 1; l >= 0; l--) {
    g.op('Gemm', [inputs[l], d], { transA: attr.i(1) }, `gw${l}`);
    g.op('ReduceSum', [d, ax0], { keepdims: attr.i(0) }, `gb${l}`);
    if (l === 0 && !withInputGrad) break;
    const dIn = g.op('Gemm', [d, `w${l}`], { transB: attr.i(1) }, l === 0 ? 'dX' : undefined);
    if (l > 0) d = g.op('Where', [g.op('Greater', [pre[l - 1], 'zero']), dIn, 'zero']);
  }
  g.output('loss', elem, []);
  g.output('logits', elem, ['B', T]);
  shapes.forEach(([i, o], l) => {
    g.output(`gw${l}`, elem, [i, o]);
    g.output(`gb${l}`, elem, [o]);
  });
  if (withInputGrad) g.output('dX', elem, ['B', shapes[0][0]]);
  return g.toBytes();
}

/** What the serving graph bakes in besides the layers (see serving.ts): the input transform, calibration and the value model. */
export interface ServeGraphParts {
  normaliser: CompiledNormaliser;
  /** Per head: Platt a, b (a = 1, b = 0 for an uncalibrated head). */
  plattA: Float32Array;
  plattB: Float32Array;
  /** Per head: 1 / kept fraction of negatives to map back to the population (1 = none). */
  invKept: Float32Array;
  /** Per head: the value model's weight. */
  valueWeights: Float32Array;
}
