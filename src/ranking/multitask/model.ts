/**
 * A trained multi-task ranker: spec, normaliser, hashed id-embedding tables, dense layers and per-head calibrators,
 * plus what training and evaluation need: the input rows (normalised dense features + item/author/category
 * embeddings + user dots), calibrated head outputs (the JS reference of the serving graph), and the constants the
 * serving graph folds in. Serving itself is `OnnxScorer` (serving.ts, onnx-scorer.ts).
 */
import { EmbeddingTable, IdIndex } from '../../training/embedding-table.js';
import { calibrate, correctForNegativeSampling, type Calibrator } from '../../training/ranking/calibration.js';
import type { RankingTask } from '../../training/ranking/examples.js';
import { ValidationError } from '../../errors.js';
import type { ServeGraphParts } from './graphs.js';
import { EMBEDDING_FIELDS, candidateDim, compileNormaliser, normaliseRows, type CompiledNormaliser, type DenseLayer, type EmbeddingField, type MultiTaskSpec, type Normaliser } from './spec.js';

export interface MultiTaskMeta {
  version: string;
  createdAt: string;
  /** `multitask` or `logistic` (the baseline shape). */
  kind: string;
  /** Where the training data came from, its time range and sizes. */
  data: Record<string, unknown>;
  /** Metrics per split and head (AUC, log-loss, ECE), and training figures. */
  metrics: Record<string, unknown>;
  /** Backfill models: negatives were down-sampled to this mean kept fraction; probabilities are mapped back to the population. */
  negativeKeptFraction?: number;
}

export interface MultiTaskParts {
  spec: MultiTaskSpec;
  meta: MultiTaskMeta;
  normaliser: Normaliser;
  tables: Record<EmbeddingField, EmbeddingTable>;
  layers: DenseLayer[];
  /** One per head, fitted on the validation split; undefined = raw sigmoid. */
  calibrators: (Calibrator | undefined)[];
}

export class MultiTaskModel {
  private readonly indexes: Record<EmbeddingField, IdIndex>;
  private compiled: CompiledNormaliser | undefined;
  private compiledFrom: Normaliser | undefined;

  constructor(readonly parts: MultiTaskParts) {
    const b = parts.spec.buckets;
    this.indexes = {
      item: IdIndex.hashed(b.item),
      author: IdIndex.hashed(b.author),
      category: IdIndex.hashed(b.category),
      user: IdIndex.hashed(b.user),
    };
  }

  get spec(): MultiTaskSpec {
    return this.parts.spec;
  }

  get version(): string {
    return this.parts.meta.version;
  }

  /** Row of an id in a field's hashed table (−1 for a missing id: contributes a zero vector). */
  row(field: EmbeddingField, id: string | undefined): number {
    return id === undefined ? -1 : this.indexes[field].lookup(`${field[0]}:${id}`);
  }

  /**
   * Writes the candidate part of the input rows into `out` (n × candidateDim, or rows of `stride`): normalised
   * `features` (n × F), the item, author and category embeddings, and their dot products with the user embedding
   * `eUser` (one per request at serving; `userOf(i)` gives a row's own user in training batches).
   */
  candidateRows(
    n: number,
    features: Float32Array,
    itemIds: readonly string[],
    authorIds: readonly (string | undefined)[],
    categories: readonly (string | undefined)[],
    out: Float32Array,
    eUser: Float32Array | ((i: number) => Float32Array),
    stride = candidateDim(this.spec),
    offset = 0,
  ): void {
    const { spec } = this.parts;
    const F = spec.featureNames.length;
    const d = spec.embDim;
    normaliseRows(this.compiledNormaliser(), features, n, out, stride, offset);
    if (d > 0) this.embeddingRows(n, itemIds, authorIds, categories, out, eUser, stride, offset + F);
  }

  /** The compiled input transform (typed arrays), for the serving graph. */
  compiledNormaliser(): CompiledNormaliser {
    if (this.compiledFrom !== this.parts.normaliser) {
      this.compiled = compileNormaliser(this.parts.normaliser);
      this.compiledFrom = this.parts.normaliser;
    }
    return this.compiled!;
  }

  /**
   * Writes each example's [item | author | category] embeddings and their 3 dots with the user embedding into `out`
   * (rows of `stride`, from `offset`; default: packed rows of 3·embDim + 3). Training and batch prediction only; the
   * serving graph gathers the rows itself (serving.ts).
   */
  embeddingRows(
    n: number,
    itemIds: readonly string[],
    authorIds: readonly (string | undefined)[],
    categories: readonly (string | undefined)[],
    out: Float32Array,
    eUser: Float32Array | ((i: number) => Float32Array),
    stride = 3 * this.spec.embDim + 3,
    offset = 0,
  ): void {
    const d = this.spec.embDim;
    const { tables } = this.parts;
    for (let i = 0; i < n; i++) {
      const o = offset + i * stride;
      out.fill(0, o, o + 3 * d);
      const r0 = this.row('item', itemIds[i]);
      const r1 = this.row('author', authorIds[i]);
      const r2 = this.row('category', categories[i]);
      if (r0 >= 0) tables.item.addRowTo(r0, 1, out, o);
      if (r1 >= 0) tables.author.addRowTo(r1, 1, out, o + d);
      if (r2 >= 0) tables.category.addRowTo(r2, 1, out, o + 2 * d);
      const eu = typeof eUser === 'function' ? eUser(i) : eUser;
      for (let f = 0; f < 3; f++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += eu[j] * out[o + f * d + j];
        out[o + 3 * d + f] = s;
      }
    }
  }

  /** The user's embedding (zeros when embDim = 0). */
  userEmbedding(userId: string, out: Float32Array = new Float32Array(this.spec.embDim), offset = 0): Float32Array {
    const r = this.row('user', userId);
    out.fill(0, offset, offset + this.spec.embDim);
    if (r >= 0 && this.spec.embDim > 0) this.parts.tables.user.addRowTo(r, 1, out, offset);
    return out;
  }

  /**
   * Calibrated head outputs from logits (n × T, row-major) into `out[t]` (one array per head). With `population`,
   * probabilities of a model trained on down-sampled negatives are mapped back to the full population.
   */
  headOutputs(logits: Float32Array, n: number, out: Float32Array[], population = true): void {
    const T = this.spec.tasks.length;
    const kept = population ? this.parts.meta.negativeKeptFraction : undefined;
    for (let t = 0; t < T; t++) {
      const c = this.parts.calibrators[t];
      const o = out[t];
      const correct = kept !== undefined && kept < 1 && this.spec.tasks[t] !== 'watch';
      for (let i = 0; i < n; i++) {
        const z = logits[i * T + t];
        let p = c === undefined ? 1 / (1 + Math.exp(-z)) : c.kind === 'platt' ? 1 / (1 + Math.exp(-(c.a * z + c.b))) : calibrate(c, z);
        if (correct) p = correctForNegativeSampling(p, kept);
        o[i] = p;
      }
    }
  }

  /**
   * The constants the serving graph bakes in: the compiled normaliser, Platt a/b per head (identity when a head has
   * no calibrator), the negative-sampling correction (`population`) and the value model's weight of each head.
   * Throws for a calibrator kind the graph cannot express.
   */
  serveGraphParts(valueWeights: Readonly<Record<string, number>>, population = true): ServeGraphParts {
    const tasks = this.spec.tasks;
    const kept = population ? this.parts.meta.negativeKeptFraction : undefined;
    const plattA = new Float32Array(tasks.length).fill(1);
    const plattB = new Float32Array(tasks.length);
    tasks.forEach((task, t) => {
      const c = this.parts.calibrators[t];
      if (c === undefined) return;
      if (c.kind !== 'platt') throw new ValidationError(`ranking model ${this.version}: head ${task} has a ${c.kind} calibrator; serving supports Platt scaling`, 'calibrators');
      plattA[t] = c.a;
      plattB[t] = c.b;
    });
    return {
      normaliser: this.compiledNormaliser(),
      plattA,
      plattB,
      invKept: Float32Array.from(tasks, (task) => (kept !== undefined && kept < 1 && task !== 'watch' ? 1 / kept : 1)),
      valueWeights: Float32Array.from(tasks, (task) => valueWeights[task] ?? 0),
    };
  }

  /** Index of a head, or −1. */
  taskIndex(task: RankingTask): number {
    return this.spec.tasks.indexOf(task);
  }
}

export { EMBEDDING_FIELDS };
