/**
 * The dense part of two-tower training as ONNX graphs run by onnxruntime-node, with a hand-written backward pass.
 *
 * The user tower's input is pooled inside the graph: x_u = urows + Σ_k hw[b,k] · hrows[hidx[b,k]] (the user-id row
 * plus the weighted history rows; JS passes each distinct history row once, `hidx` points into them, the graph's
 * Gather/ScatterND(add) do the pooling and its backward). The item tower's input x_i is pooled by JS.
 * Each tower maps its input x (n × dim) through a residual layer and L2-normalises it:
 *   a = x·W1 + b1,  h = relu(a),  y = x + h·W2 + b2,  z = y / ‖y‖          (hidden = 0: z = x / ‖x‖)
 * Loss, sampled softmax over a candidate set C (the batch's items + uniform items), one positive per row:
 *   logits = (Zu·Ziᵀ)/τ − logQ,   loss = −Σ_b w_b · Σ_c Y_bc · logsoftmax(logits)_bc
 * where Y is the one-hot positive, w_b the row weight (1/B for a mean) and logQ the log expected count of each
 * candidate in the sample (logQ correction). The graph outputs the loss, the gradients of every dense parameter and
 * the gradients w.r.t. both towers' inputs (JS pushes those into the sparse embedding rows).
 *
 * Serving uses plain TS (`towerForward`): one user row is a dim × hidden matvec pair, microseconds in JS.
 */
import { GraphBuilder, attr, type ElemType } from '../onnx-writer.js';

export { createSession } from '../onnx-writer.js';

/** Dense parameters of one tower (row-major; W1 is dim × hidden, W2 is hidden × dim). */
export interface TowerParams {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** Names of a tower's dense parameters, in the order the graphs use. */
export const TOWER_PARAM_NAMES = ['w1', 'b1', 'w2', 'b2'] as const;

/** Shapes and constants baked into the training graph. */
export interface TrainGraphConfig {
  dim: number;
  /** Width of the residual layer; 0 = no dense layer (the tower only normalises). */
  hidden: number;
  temperature: number;
  /** History slots per example (N of `hidx` [B·N, 1], `hw` [B, N, 1]). */
  historyMax: number;
  /** `double` for gradient checks; training uses `float`. */
  elem?: 'float' | 'double';
}

/** Shapes of each tower parameter for a config. */
export function towerParamShapes(dim: number, hidden: number): Record<(typeof TOWER_PARAM_NAMES)[number], number[]> {
  return { w1: [dim, hidden], b1: [hidden], w2: [hidden, dim], b2: [dim] };
}

interface TowerSaved {
  x: string;
  z: string;
  norm: string;
  a?: string;
  h?: string;
}

function towerForward(g: GraphBuilder, p: string, x: string, hidden: number, ax1: string): TowerSaved {
  let y = x;
  let a: string | undefined;
  let h: string | undefined;
  if (hidden > 0) {
    a = g.op('Gemm', [x, `${p}w1`, `${p}b1`]);
    h = g.op('Relu', [a]);
    y = g.op('Gemm', [h, `${p}w2`, x], {}); // h·W2 + x
    y = g.op('Add', [y, `${p}b2`]);
  }
  const sq = g.op('ReduceSum', [g.op('Mul', [y, y]), ax1], { keepdims: attr.i(1) });
  const norm = g.op('Sqrt', [g.op('Add', [sq, 'eps'])]);
  const z = g.op('Div', [y, norm]);
  return { x, z, norm, a, h };
}

function towerBackward(g: GraphBuilder, p: string, s: TowerSaved, dz: string, hidden: number, ax0: string, ax1: string): string {
  // dy = (dz − z·Σ(z⊙dz)) / ‖y‖
  const proj = g.op('ReduceSum', [g.op('Mul', [s.z, dz]), ax1], { keepdims: attr.i(1) });
  const dy = g.op('Div', [g.op('Sub', [dz, g.op('Mul', [s.z, proj])]), s.norm]);
  if (hidden === 0 || !s.a || !s.h) return g.op('Identity', [dy], {}, `${p}dx`);
  g.op('Gemm', [s.h, dy], { transA: attr.i(1) }, `${p}gw2`);
  g.op('ReduceSum', [dy, ax0], { keepdims: attr.i(0) }, `${p}gb2`);
  const dh = g.op('Gemm', [dy, `${p}w2`], { transB: attr.i(1) });
  const da = g.op('Where', [g.op('Greater', [s.a, 'zero']), dh, 'zero']);
  g.op('Gemm', [s.x, da], { transA: attr.i(1) }, `${p}gw1`);
  g.op('ReduceSum', [da, ax0], { keepdims: attr.i(0) }, `${p}gb1`);
  return g.op('Gemm', [da, `${p}w1`, dy], { transB: attr.i(1) }, `${p}dx`);
}

/**
 * Builds the forward+backward training graph.
 * Inputs: `urows` [B, dim] (user-id rows), `hrows` [R, dim] (distinct history rows), `hidx` [B·N, 1] int64 (row of
 * each history slot in `hrows`), `hw` [B, N, 1] (slot weights, 0 for padding), `xi` [C, dim], `labels` [B, C]
 * one-hot, `rowWeight` [B, 1], `logq` [C], and per tower (`u_` / `i_` prefix) `w1`, `b1`, `w2`, `b2` when hidden > 0.
 * Outputs: `loss` (scalar), `u_dx` (= d loss / d urows), `h_drows` [R, dim] (summed over slots), `i_dx`, and per
 * tower `gw1`, `gb1`, `gw2`, `gb2` when hidden > 0.
 */
export function buildTrainGraph(cfg: TrainGraphConfig): Uint8Array {
  const e: ElemType = cfg.elem ?? 'float';
  const { dim: d, hidden } = cfg;
  const N = cfg.historyMax;
  const g = new GraphBuilder('two_tower_train');
  g.input('urows', e, ['B', d]);
  g.input('hrows', e, ['R', d]);
  g.input('hidx', 'int64', ['BN', 1]);
  g.input('hw', e, ['B', N, 1]);
  g.input('xi', e, ['C', d]);
  g.input('labels', e, ['B', 'C']);
  g.input('rowWeight', e, ['B', 1]);
  g.input('logq', e, ['C']);
  const shapes = towerParamShapes(d, hidden);
  if (hidden > 0) for (const p of ['u_', 'i_']) for (const n of TOWER_PARAM_NAMES) g.input(`${p}${n}`, e, shapes[n]);
  g.constant(e, [], [1e-12], 'eps');
  g.constant(e, [], [0], 'zero');
  const ax0 = g.constant('int64', [1], [0]);
  const ax1 = g.constant('int64', [1], [1]);

  // history pooling: xu = urows + Σ_k hw · hrows[hidx]
  const gathered = g.op('Reshape', [g.op('Gather', ['hrows', 'hidx'], { axis: attr.i(0) }), g.constant('int64', [3], [-1, N, d])]);
  const pooled = g.op('ReduceSum', [g.op('Mul', [gathered, 'hw']), ax1], { keepdims: attr.i(0) });
  const xu = g.op('Add', ['urows', pooled]);

  const u = towerForward(g, 'u_', xu, hidden, ax1);
  const it = towerForward(g, 'i_', 'xi', hidden, ax1);
  const invTau = 1 / cfg.temperature;
  const scores = g.op('Gemm', [u.z, it.z], { transB: attr.i(1), alpha: attr.f(invTau) });
  const logits = g.op('Sub', [scores, 'logq']);
  const logp = g.op('LogSoftmax', [logits], { axis: attr.i(1) });
  const weighted = g.op('Mul', [g.op('Mul', ['labels', logp]), 'rowWeight']);
  g.op('Neg', [g.op('ReduceSum', [weighted], { keepdims: attr.i(0) })], {}, 'loss');
  // dlogits = (softmax − Y) ⊙ w
  const dlogits = g.op('Mul', [g.op('Sub', [g.op('Exp', [logp]), 'labels']), 'rowWeight']);
  const dzu = g.op('Gemm', [dlogits, it.z], { alpha: attr.f(invTau) });
  const dzi = g.op('Gemm', [dlogits, u.z], { transA: attr.i(1), alpha: attr.f(invTau) });
  const dxu = towerBackward(g, 'u_', u, dzu, hidden, ax0, ax1);
  towerBackward(g, 'i_', it, dzi, hidden, ax0, ax1);
  // pooling backward: each slot gets hw · dxu, summed per distinct row
  const slotGrad = g.op('Mul', [g.op('Unsqueeze', [dxu, ax1]), 'hw']);
  const updates = g.op('Reshape', [slotGrad, g.constant('int64', [2], [-1, d])]);
  const zeros = g.op('Mul', ['hrows', 'zero']);
  g.op('ScatterND', [zeros, 'hidx', updates], { reduction: attr.s('add') }, 'h_drows');

  g.output('loss', e, []);
  g.output('u_dx', e, ['B', d]);
  g.output('h_drows', e, ['R', d]);
  g.output('i_dx', e, ['C', d]);
  if (hidden > 0) {
    for (const p of ['u_', 'i_']) for (const n of TOWER_PARAM_NAMES) g.output(`${p}g${n}`, e, shapes[n]);
  }
  return g.toBytes();
}

/** Builds a scoring graph: `scores` [U, I] = `users` [U, dim] · `items` [I, dim]ᵀ (for fast full-ranking evaluation). */
export function buildScoreGraph(dim: number): Uint8Array {
  const g = new GraphBuilder('two_tower_score');
  g.input('users', 'float', ['U', dim]);
  g.input('items', 'float', ['I', dim]);
  g.op('Gemm', ['users', 'items'], { transB: attr.i(1) }, 'scores');
  g.output('scores', 'float', ['U', 'I']);
  return g.toBytes();
}

/**
 * The tower in plain TS for `n` rows of `x` (n × dim, row-major), written normalised into `out` (n × dim).
 * Matches the graph's forward pass; used at serving time and to build the evaluation matrices.
 */
export function towerForward32(x: Float32Array, n: number, dim: number, hidden: number, p: TowerParams | null, out: Float32Array): void {
  const a = new Float32Array(hidden);
  for (let r = 0; r < n; r++) {
    const xo = r * dim;
    for (let j = 0; j < dim; j++) out[xo + j] = x[xo + j];
    if (hidden > 0 && p) {
      a.set(p.b1);
      for (let k = 0; k < dim; k++) {
        const xv = x[xo + k];
        if (xv === 0) continue;
        const wo = k * hidden;
        for (let j = 0; j < hidden; j++) a[j] += xv * p.w1[wo + j];
      }
      for (let j = 0; j < dim; j++) out[xo + j] += p.b2[j];
      for (let k = 0; k < hidden; k++) {
        const hv = a[k];
        if (hv <= 0) continue;
        const wo = k * dim;
        for (let j = 0; j < dim; j++) out[xo + j] += hv * p.w2[wo + j];
      }
    }
    let sq = 0;
    for (let j = 0; j < dim; j++) sq += out[xo + j] * out[xo + j];
    const inv = 1 / Math.sqrt(sq + 1e-12);
    for (let j = 0; j < dim; j++) out[xo + j] *= inv;
  }
}
