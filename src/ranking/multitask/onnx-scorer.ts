/**
 * Runs a `MultiTaskModel`'s serving graph (serving.ts) in onnxruntime-node: one session per model version and value
 * model, built when the model is loaded, released on swap. Per request the caller gives the assembled feature block
 * as is; the scorer writes each candidate's three table rows (cached per item id), the user's inputs (once), and
 * returns the value-model score and the calibrated heads (contiguous rows, usable as serve-log components as is).
 */
import ort from 'onnxruntime-node';
import { createSession } from '../../training/onnx-writer.js';
import type { MultiTaskModel } from './model.js';
import { buildServingGraph, servingPlan, userInputs, type ServingPlan } from './serving.js';

export interface ScoredBatch {
  /** Σ valueWeight × head, one per candidate. */
  score: Float32Array;
  /** Calibrated heads, T × N row-major: head t of candidate i at t·N + i. */
  heads: Float32Array;
}

/** Bound of the item → table-rows cache (entries); cleared when full. */
const MAX_CACHED_ITEMS = 1 << 20;


export class OnnxScorer {
  readonly featureCount: number;
  /** item id → slot in `rowSlab` (3 rows per slot) and in the attribute arrays the rows were computed from. */
  private readonly cache = new Map<string, number>();
  private rowSlab = new Int32Array(3 * 1024);
  private slotAuthor: (string | undefined)[] = [];
  private slotCategory: (string | undefined)[] = [];
  private readonly free: BigInt64Array[] = [];

  private constructor(
    readonly model: MultiTaskModel,
    readonly plan: ServingPlan,
    private readonly session: ort.InferenceSession,
  ) {
    this.featureCount = plan.F;
  }

  /**
   * Folds the model for serving (normaliser, Platt calibration, negative-sampling correction when `population`, the
   * value model with `valueWeights` by head) and builds the session (`threads` intra-op threads).
   */
  static async create(model: MultiTaskModel, valueWeights: Readonly<Record<string, number>>, threads = 1, population = true): Promise<OnnxScorer> {
    const plan = servingPlan(model, valueWeights, population);
    return new OnnxScorer(model, plan, await createSession(buildServingGraph(plan), threads));
  }

  /** Scores the candidates of one user: features `f` (n × F, the pipeline's block), their item ids and attributes. */
  async score(
    userId: string,
    f: Float32Array,
    itemIds: readonly string[],
    authorIds: readonly (string | undefined)[],
    categories: readonly (string | undefined)[],
  ): Promise<ScoredBatch> {
    const prepared = this.prepare(userId, f, itemIds, authorIds, categories);
    try {
      return await this.runFeeds(prepared.feeds);
    } finally {
      prepared.done();
    }
  }

  /** The per-request inputs of the graph; call `done()` once the run has resolved (returns the row buffer). */
  prepare(
    userId: string,
    f: Float32Array,
    itemIds: readonly string[],
    authorIds: readonly (string | undefined)[],
    categories: readonly (string | undefined)[],
  ): { feeds: Record<string, ort.Tensor>; done: () => void } {
    const { plan } = this;
    const n = itemIds.length;
    const u = new Float32Array(plan.H0);
    const feeds: Record<string, ort.Tensor> = { f: new ort.Tensor('float32', f.subarray(0, n * plan.F), [n, plan.F]) };
    let rows: BigInt64Array | undefined;
    if (plan.d > 0) {
      const w0e = new Float32Array(3 * plan.d * plan.H0);
      userInputs(plan, this.model.userEmbedding(userId), u, w0e);
      rows = this.acquire(n);
      this.writeRows(itemIds, authorIds, categories, new Int32Array(rows.buffer, rows.byteOffset, 6 * n));
      feeds.rows = new ort.Tensor('int64', rows.subarray(0, 3 * n), [n, 3]);
      feeds.w0e = new ort.Tensor('float32', w0e, [3 * plan.d, plan.H0]);
    } else {
      u.set(plan.constU);
    }
    feeds.u = new ort.Tensor('float32', u, [1, plan.H0]);
    return { feeds, done: () => rows && this.release64(rows) };
  }

  /** One onnxruntime call on prepared feeds (what the benchmark times as the bare call). */
  async runFeeds(feeds: Record<string, ort.Tensor>): Promise<ScoredBatch> {
    const res = await this.session.run(feeds);
    return { score: res.score.data as Float32Array, heads: res.heads.data as Float32Array };
  }

  /** Each candidate's stacked-table rows (item, author, category) as int64 little-endian low words into `out32`. */
  writeRows(itemIds: readonly string[], authorIds: readonly (string | undefined)[], categories: readonly (string | undefined)[], out32: Int32Array): void {
    for (let i = 0; i < itemIds.length; i++) {
      let s = this.cache.get(itemIds[i]);
      if (s === undefined || this.slotAuthor[s] !== authorIds[i] || this.slotCategory[s] !== categories[i]) s = this.fill(itemIds[i], authorIds[i], categories[i], s);
      const o = 6 * i;
      const r = 3 * s;
      out32[o] = this.rowSlab[r];
      out32[o + 2] = this.rowSlab[r + 1];
      out32[o + 4] = this.rowSlab[r + 2];
      out32[o + 1] = out32[o + 3] = out32[o + 5] = 0;
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  /** Computes an item's rows into its cache slot (a new one unless `slot` is given). */
  private fill(itemId: string, author: string | undefined, category: string | undefined, slot: number | undefined): number {
    const { plan, model } = this;
    if (slot === undefined) {
      if (this.cache.size >= MAX_CACHED_ITEMS) {
        this.cache.clear();
        this.slotAuthor = [];
        this.slotCategory = [];
      }
      slot = this.cache.size;
      this.cache.set(itemId, slot);
      if (3 * slot + 3 > this.rowSlab.length) {
        const next = new Int32Array(this.rowSlab.length * 2);
        next.set(this.rowSlab);
        this.rowSlab = next;
      }
    }
    const zero = plan.tableRows - 1;
    const at = (r: number, offset: number) => (r < 0 ? zero : offset + r);
    this.rowSlab[3 * slot] = at(model.row('item', itemId), 0);
    this.rowSlab[3 * slot + 1] = at(model.row('author', author), plan.authorOffset);
    this.rowSlab[3 * slot + 2] = at(model.row('category', category), plan.categoryOffset);
    this.slotAuthor[slot] = author;
    this.slotCategory[slot] = category;
    return slot;
  }

  /**
   * Row buffers are reused across requests (allocation feeds the garbage collector) but never shared by requests in
   * flight: onnxruntime-node reads its inputs when the run starts, on a later tick.
   */
  private acquire(n: number): BigInt64Array {
    const k = this.free.findIndex((b) => b.length >= 3 * n);
    if (k >= 0) return this.free.splice(k, 1)[0];
    return new BigInt64Array(Math.max(3 * n, 3 * 1024));
  }

  private release64(buf: BigInt64Array): void {
    if (this.free.length < 8) this.free.push(buf);
  }
}
