/**
 * One training epoch of the two-tower model: batch assembly (history sampling, candidate set, logQ), the dense step
 * in onnxruntime, and the sparse row updates. Internal to `trainTwoTower`.
 */
import ort from 'onnxruntime-node';
import type { InteractionData } from '../../evaluation/recommender.js';
import { mulberry32, type Rand } from '../../util/prng.js';
import { DenseAdam, LazyAdam, RowAdagrad, SparseGrad, type EmbeddingTable, type SparseOptimizer } from '../embedding-table.js';
import { itemSideRows, type TwoTowerModel } from './model.js';
import { TOWER_PARAM_NAMES, buildTrainGraph, createSession, type TowerParams } from './train-graph.js';
import type { ResolvedTrainOptions } from './options.js';

interface SparseSlot {
  table: EmbeddingTable;
  grad: SparseGrad;
  opt: SparseOptimizer;
}

/** Runs training epochs over `data.train` for a model built by `initModel`. */
export class TrainStepRunner {
  readonly numExamples: number;
  private readonly rand: Rand;
  private readonly posUser: Int32Array;
  private readonly perm: Int32Array;
  private readonly logqOf: Float32Array;
  private readonly sideOffsets: Int32Array;
  private readonly sideRows: Int32Array;
  private readonly sideWeights: Float32Array;
  private readonly fullSoftmax: boolean;
  private readonly cMax: number;
  private readonly urows: Float32Array;
  private readonly hrows: Float32Array;
  private readonly hidx: BigInt64Array;
  private readonly hidx32: Int32Array;
  private readonly hw: Float32Array;
  private readonly hSlot: Int32Array;
  private readonly hTouched: Int32Array;
  private readonly xi: Float32Array;
  private readonly labels: Float32Array;
  private readonly rowWeight: Float32Array;
  private readonly logq: Float32Array;
  private readonly target: Int32Array;
  private readonly slot: Int32Array;
  private readonly cand: Int32Array;
  private readonly dropped: Uint8Array;
  private readonly sparse: { user: SparseSlot; item: SparseSlot; side: SparseSlot };
  private readonly historyOpt: SparseOptimizer;
  private readonly dense: { name: string; param: Float32Array; opt: DenseAdam }[] = [];

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly model: TwoTowerModel,
    private readonly data: InteractionData,
    private readonly userRows: Int32Array,
    private readonly itemRows: Int32Array,
    private readonly o: ResolvedTrainOptions,
  ) {
    const { train, numItems } = data;
    const p = model.parts;
    const d = o.dim;
    const B = o.batchSize;
    this.rand = mulberry32(o.seed ^ 0x5eed);
    this.numExamples = train.items.length;
    this.posUser = new Int32Array(this.numExamples);
    for (let u = 0; u < data.numUsers; u++) this.posUser.fill(u, train.offsets[u], train.offsets[u + 1]);
    this.perm = Int32Array.from({ length: this.numExamples }, (_, k) => k);
    this.fullSoftmax = o.uniformNegatives >= numItems;
    this.cMax = this.fullSoftmax ? numItems : B + o.uniformNegatives;
    const freq = new Float64Array(numItems);
    for (let k = 0; k < train.items.length; k++) freq[train.items[k]]++;
    this.logqOf = Float32Array.from(freq, (f) =>
      this.fullSoftmax || !o.logQ ? 0 : Math.log((B * f) / this.numExamples + o.uniformNegatives / numItems),
    );
    const side = Array.from({ length: numItems }, (_, i) => itemSideRows(p.itemSides[i], p.config.itemSideBuckets));
    this.sideOffsets = new Int32Array(numItems + 1);
    side.forEach((s, i) => (this.sideOffsets[i + 1] = this.sideOffsets[i] + s.rows.length));
    this.sideRows = Int32Array.from(side.flatMap((s) => s.rows));
    this.sideWeights = Float32Array.from(side.flatMap((s) => s.weights));
    const N = o.historyMax;
    this.urows = new Float32Array(B * d);
    this.hrows = new Float32Array((B * N + 1) * d);
    this.hidx = new BigInt64Array(B * N);
    this.hidx32 = new Int32Array(this.hidx.buffer); // little-endian: low word = index, high word = 0
    this.hw = new Float32Array(B * N);
    this.hSlot = new Int32Array(p.history.rows).fill(-1);
    this.hTouched = new Int32Array(B * N + 1);
    this.xi = new Float32Array(this.cMax * d);
    this.labels = new Float32Array(B * this.cMax);
    this.rowWeight = new Float32Array(B);
    this.logq = new Float32Array(this.cMax);
    this.target = new Int32Array(B);
    this.slot = new Int32Array(numItems).fill(-1);
    this.cand = new Int32Array(this.cMax);
    this.dropped = new Uint8Array(this.cMax);
    const opt = (table: EmbeddingTable): SparseOptimizer =>
      o.embeddingOptimizer === 'adam'
        ? new LazyAdam(table.data.length, o.lrEmbedding, 0.9, 0.999, 1e-8, o.weightDecay)
        : new RowAdagrad(table.rows, o.lrEmbedding, o.weightDecay);
    const mk = (table: EmbeddingTable): SparseSlot => ({ table, grad: new SparseGrad(table.rows, d), opt: opt(table) });
    this.sparse = { user: mk(p.userId), item: mk(p.itemId), side: mk(p.itemSide) };
    this.historyOpt = opt(p.history);
    const towers: [string, TowerParams | null][] = [
      ['u_', p.towerU],
      ['i_', p.towerI],
    ];
    for (const [prefix, t] of towers) {
      if (!t) continue;
      for (const n of TOWER_PARAM_NAMES) this.dense.push({ name: `${prefix}${n}`, param: t[n], opt: new DenseAdam(t[n].length, o.lrDense) });
    }
  }

  /** Builds the training graph and session. */
  static async create(
    model: TwoTowerModel,
    data: InteractionData,
    userRows: Int32Array,
    itemRows: Int32Array,
    o: ResolvedTrainOptions,
  ): Promise<TrainStepRunner> {
    const session = await createSession(buildTrainGraph({ dim: o.dim, hidden: o.hidden, temperature: o.temperature, historyMax: o.historyMax }), o.threads);
    return new TrainStepRunner(session, model, data, userRows, itemRows, o);
  }

  /** One pass over the shuffled training interactions; returns the mean loss. */
  async epoch(epoch: number): Promise<number> {
    const n = this.numExamples;
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(this.rand() * (k + 1));
      const t = this.perm[k];
      this.perm[k] = this.perm[j];
      this.perm[j] = t;
    }
    const B = this.o.batchSize;
    const steps = Math.ceil(n / B);
    let lossSum = 0;
    for (let s = 0; s < steps; s++) {
      const start = s * B;
      const loss = await this.step(start, Math.min(B, n - start));
      lossSum += loss;
      if (this.o.onStep && (s + 1) % this.o.stepEvery === 0) this.o.onStep({ epoch, step: s + 1, stepsPerEpoch: steps, loss: lossSum / (s + 1) });
    }
    return lossSum / steps;
  }

  /** Frees the onnxruntime session. */
  async release(): Promise<void> {
    await this.session.release();
  }

  private async step(start: number, n: number): Promise<number> {
    const { o, data, rand } = this;
    const p = this.model.parts;
    const d = o.dim;
    const N = o.historyMax;
    const { offsets, items } = data.train;
    // user side: id row (JS) + distinct rows of up to N sampled other train items (pooled in the graph)
    this.urows.fill(0, 0, n * d);
    this.hw.fill(0, 0, n * N);
    this.hidx32.fill(0, 0, 2 * n * N);
    let R = 0;
    const slotOf = (row: number): number => {
      if (this.hSlot[row] < 0) {
        this.hSlot[row] = R;
        this.hrows.set(p.history.data.subarray(row * d, (row + 1) * d), R * d);
        this.hTouched[R++] = row;
      }
      return this.hSlot[row];
    };
    for (let b = 0; b < n; b++) {
      const pos = this.perm[start + b];
      const u = this.posUser[pos];
      this.target[b] = items[pos];
      const off = offsets[u];
      const others = offsets[u + 1] - off - 1;
      const cnt = Math.min(N, others);
      let k = 0;
      if (others <= N) {
        for (let q = off; q < offsets[u + 1]; q++) if (q !== pos) this.hidx32[2 * (b * N + k++)] = slotOf(this.itemRows[items[q]]);
      } else {
        for (; k < N; k++) {
          let q = off + Math.floor(rand() * others);
          if (q >= pos) q++;
          this.hidx32[2 * (b * N + k)] = slotOf(this.itemRows[items[q]]);
        }
      }
      this.hw.fill(1 / cnt, b * N, b * N + cnt);
      p.userId.addRowTo(this.userRows[u], 1, this.urows, b * d);
      this.rowWeight[b] = 1 / n;
    }
    if (R === 0) slotOf(0); // padding slots point at slot 0 with weight 0
    // candidates: batch targets ∪ uniform items (or every item)
    let C = 0;
    const addCand = (i: number): number => {
      if (this.slot[i] < 0) {
        this.slot[i] = C;
        this.cand[C++] = i;
      }
      return this.slot[i];
    };
    if (this.fullSoftmax) for (let i = 0; i < data.numItems; i++) addCand(i);
    for (let b = 0; b < n; b++) this.target[b] = addCand(this.target[b]);
    if (!this.fullSoftmax) for (let k = 0; k < o.uniformNegatives; k++) addCand(Math.floor(rand() * data.numItems));
    this.labels.fill(0, 0, n * C);
    for (let b = 0; b < n; b++) this.labels[b * C + this.target[b]] = 1;
    this.xi.fill(0, 0, C * d);
    for (let c = 0; c < C; c++) {
      const i = this.cand[c];
      this.logq[c] = this.logqOf[i];
      this.dropped[c] = o.itemIdDropout > 0 && rand() < o.itemIdDropout ? 1 : 0;
      if (!this.dropped[c]) p.itemId.addRowTo(this.itemRows[i], 1, this.xi, c * d);
      for (let q = this.sideOffsets[i]; q < this.sideOffsets[i + 1]; q++) p.itemSide.addRowTo(this.sideRows[q], this.sideWeights[q], this.xi, c * d);
    }
    const t = (a: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float32', a.subarray(0, dims.reduce((x, y) => x * y, 1)), dims);
    const feeds: Record<string, ort.Tensor> = {
      urows: t(this.urows, [n, d]),
      hrows: t(this.hrows, [R, d]),
      hidx: new ort.Tensor('int64', this.hidx.subarray(0, n * N), [n * N, 1]),
      hw: t(this.hw, [n, N, 1]),
      xi: t(this.xi, [C, d]),
      labels: t(this.labels, [n, C]),
      rowWeight: t(this.rowWeight, [n, 1]),
      logq: t(this.logq, [C]),
    };
    for (const e of this.dense) feeds[e.name] = new ort.Tensor('float32', e.param, e.name.endsWith('b1') || e.name.endsWith('b2') ? [e.param.length] : this.shapeOf(e.name));
    const res = await this.session.run(feeds);
    // sparse gradients → rows
    const du = res.u_dx.data as Float32Array;
    const di = res.i_dx.data as Float32Array;
    const sp = this.sparse;
    for (let b = 0; b < n; b++) sp.user.grad.add(this.userRows[this.posUser[this.perm[start + b]]], 1, du, b * d);
    const dh = res.h_drows.data as Float32Array;
    if (o.shareItemTable) for (let r = 0; r < R; r++) sp.item.grad.add(this.hTouched[r], 1, dh, r * d);
    else this.historyOpt.step(p.history, { touched: this.hTouched, grads: dh, count: R });
    for (let r = 0; r < R; r++) this.hSlot[this.hTouched[r]] = -1;
    for (let c = 0; c < C; c++) {
      const i = this.cand[c];
      if (!this.dropped[c]) sp.item.grad.add(this.itemRows[i], 1, di, c * d);
      for (let q = this.sideOffsets[i]; q < this.sideOffsets[i + 1]; q++) sp.side.grad.add(this.sideRows[q], this.sideWeights[q], di, c * d);
      this.slot[i] = -1;
    }
    for (const s of [sp.user, sp.item, sp.side]) {
      s.opt.step(s.table, s.grad);
      s.grad.clear();
    }
    for (const e of this.dense) e.opt.step(e.param, res[`${e.name.slice(0, 2)}g${e.name.slice(2)}`].data as Float32Array);
    return (res.loss.data as Float32Array)[0];
  }

  private shapeOf(name: string): number[] {
    const { dim, hidden } = this.o;
    return name.endsWith('w1') ? [dim, hidden] : [hidden, dim];
  }
}
