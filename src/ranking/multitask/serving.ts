/**
 * The multi-task model folded for serving, and its onnxruntime graph.
 *
 * Everything constant is folded into the weights once, when a model is loaded:
 * - the normaliser into the first layer: ((t(f) − shift)·scale)·W₀f = t(f)·(scale ⊙ W₀f) − (shift·scale)·W₀f, the
 *   second term a constant added to the user input; t = asinh on the heavy-tailed columns only (gathered), identity
 *   elsewhere;
 * - Platt scaling into the last layer: a ⊙ (h·W + b) + c = h·(W ⊙ a) + (a ⊙ b + c);
 * - the three id tables into one stacked table with a zero row for missing ids.
 * What depends on the user is computed once per request in JS: u = e_user·W₀ᵤ + b₀ + const, and the embedding
 * block's effective first-layer weights W₀e + e_user ⊗ W₀d (which is how the ⟨user, item⟩-style dots enter
 * without being computed per candidate). Per candidate, JS only writes three table row numbers.
 *
 * Graph inputs: `f` [N, F] the assembled features as is, `rows` [N, 3] int64, `w0e` [3·d, H₀], `u` [1, H₀].
 * Outputs: `score` [N, 1] (value model), `heads` [T, N] (calibrated, each head a contiguous row).
 */
import { GraphBuilder, attr } from '../../training/onnx-writer.js';
import type { MultiTaskModel } from './model.js';
import { layerShapes, type DenseLayer } from './spec.js';

export interface ServingPlan {
  F: number;
  d: number;
  H0: number;
  T: number;
  /** [F, H₀]: scale-folded first-layer rows of the linear columns (zero rows for the log columns). */
  linW: Float32Array;
  logCols: number[];
  /** [L, H₀]: scale-folded first-layer rows of the log columns. */
  logW: Float32Array;
  /** [H₀]: b₀ − Σ shift·scale·W₀f (added to every request's u). */
  constU: Float32Array;
  /** Stacked id tables: item rows, then author, then category, then one zero row; [rows, d]. */
  table: Float32Array;
  tableRows: number;
  authorOffset: number;
  categoryOffset: number;
  /** [3·d, H₀], [3, H₀], [d, H₀]: first-layer rows of the embeddings, the dots and the user embedding. */
  w0e: Float32Array;
  w0d: Float32Array;
  w0u: Float32Array;
  /** Layers after the first (the last one Platt-folded); when the model has no hidden layer, layer 0 is folded. */
  rest: DenseLayer[];
  /** Per head 1 / kept fraction (negative-sampling correction), or undefined when none applies. */
  invKept: Float32Array | undefined;
  valueWeights: Float32Array;
}

export function servingPlan(model: MultiTaskModel, valueWeights: Readonly<Record<string, number>>, population = true): ServingPlan {
  const { spec } = model;
  const parts = model.serveGraphParts(valueWeights, population);
  const shapes = layerShapes(spec);
  const F = spec.featureNames.length;
  const d = spec.embDim;
  const T = spec.tasks.length;
  // Platt into the last layer
  const layers = model.parts.layers.map((l) => ({ w: l.w.slice(), b: l.b.slice() }));
  const last = layers[layers.length - 1];
  const [lastIn] = shapes[shapes.length - 1];
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < lastIn; i++) last.w[i * T + t] *= parts.plattA[t];
    last.b[t] = last.b[t] * parts.plattA[t] + parts.plattB[t];
  }
  const H0 = shapes[0][1];
  const w0 = layers[0].w;
  const nm = parts.normaliser;
  const logCols: number[] = [];
  const linW = new Float32Array(F * H0);
  const logWRows: number[] = [];
  const constU = Float32Array.from(layers[0].b);
  for (let f = 0; f < F; f++) {
    for (let h = 0; h < H0; h++) constU[h] -= nm.shift[f] * nm.scale[f] * w0[f * H0 + h];
    if (nm.log[f] === 1) {
      logCols.push(f);
      for (let h = 0; h < H0; h++) logWRows.push(nm.scale[f] * w0[f * H0 + h]);
    } else {
      for (let h = 0; h < H0; h++) linW[f * H0 + h] = nm.scale[f] * w0[f * H0 + h];
    }
  }
  const rowsOf = (from: number, n: number) => w0.slice(from * H0, (from + n) * H0);
  const t = model.parts.tables;
  const tableRows = d > 0 ? t.item.rows + t.author.rows + t.category.rows + 1 : 0;
  const table = new Float32Array(tableRows * d);
  if (d > 0) {
    table.set(t.item.data, 0);
    table.set(t.author.data, t.item.rows * d);
    table.set(t.category.data, (t.item.rows + t.author.rows) * d);
  }
  return {
    F,
    d,
    H0,
    T,
    linW,
    logCols,
    logW: Float32Array.from(logWRows),
    constU,
    table,
    tableRows,
    authorOffset: d > 0 ? t.item.rows : 0,
    categoryOffset: d > 0 ? t.item.rows + t.author.rows : 0,
    w0e: d > 0 ? rowsOf(F, 3 * d) : new Float32Array(0),
    w0d: d > 0 ? rowsOf(F + 3 * d, 3) : new Float32Array(0),
    w0u: d > 0 ? rowsOf(F + 3 * d + 3, d) : new Float32Array(0),
    rest: layers.slice(1),
    invKept: parts.invKept.some((x) => x !== 1) ? parts.invKept : undefined,
    valueWeights: parts.valueWeights,
  };
}

/** The request's user inputs: u [H₀] and the embedding block's weights w0e [3·d, H₀] (see the file comment). */
export function userInputs(plan: ServingPlan, eUser: Float32Array, u: Float32Array, w0e: Float32Array): void {
  const { d, H0 } = plan;
  u.set(plan.constU);
  for (let j = 0; j < d; j++) {
    const e = eUser[j];
    if (e === 0) continue;
    const o = j * H0;
    for (let h = 0; h < H0; h++) u[h] += e * plan.w0u[o + h];
  }
  if (d === 0) return;
  w0e.set(plan.w0e);
  for (let f = 0; f < 3; f++) {
    for (let j = 0; j < d; j++) {
      const e = eUser[j];
      const o = (f * d + j) * H0;
      for (let h = 0; h < H0; h++) w0e[o + h] += e * plan.w0d[f * H0 + h];
    }
  }
}

export function buildServingGraph(plan: ServingPlan): Uint8Array {
  const g = new GraphBuilder('multitask_ranker_serve');
  const { F, d, H0, T } = plan;
  g.input('f', 'float', ['N', F]);
  if (d > 0) {
    g.input('rows', 'int64', ['N', 3]);
    g.input('w0e', 'float', [3 * d, H0]);
  }
  g.input('u', 'float', [1, H0]);
  let a = g.op('MatMul', ['f', g.constant('float', [F, H0], plan.linW)]);
  const L = plan.logCols.length;
  if (L > 0) {
    const logged = g.op('Asinh', [g.op('Gather', ['f', g.constant('int64', [L], plan.logCols)], { axis: attr.i(1) })]);
    a = g.op('Add', [a, g.op('MatMul', [logged, g.constant('float', [L, H0], plan.logW)])]);
  }
  if (d > 0) {
    const table = g.constant('float', [plan.tableRows, d], plan.table);
    const emb = g.op('Reshape', [g.op('Gather', [table, 'rows'], { axis: attr.i(0) }), g.constant('int64', [2], [-1, 3 * d])]);
    a = g.op('Add', [a, g.op('MatMul', [emb, 'w0e'])]);
  }
  a = g.op('Add', [a, 'u']);
  for (const l of plan.rest) {
    const o = l.b.length;
    a = g.op('Gemm', [g.op('Relu', [a]), g.constant('float', [l.w.length / o, o], l.w), g.constant('float', [o], l.b)]);
  }
  let p = g.op('Sigmoid', [a]);
  if (plan.invKept) {
    const one = g.constant('float', [], [1]);
    p = g.op('Div', [p, g.op('Add', [p, g.op('Mul', [g.op('Sub', [one, p]), g.constant('float', [T], plan.invKept)])])]);
  }
  g.op('MatMul', [p, g.constant('float', [T, 1], plan.valueWeights)], {}, 'score');
  g.op('Transpose', [p], { perm: attr.ints([1, 0]) }, 'heads');
  g.output('score', 'float', ['N', 1]);
  g.output('heads', 'float', [T, 'N']);
  return g.toBytes();
}
