/**
 * A trained two-tower retrieval model: sparse tables + the towers' dense layers, serving helpers and the
 * `Recommender` port for full-ranking evaluation.
 *
 * Tower inputs (sums of embedding rows, then the residual layer and L2 normalisation of `towerForward32`):
 *   user x = userId[u] + mean_{j ∈ recent items} history[j] + mean_{f ∈ user features} userSide[f]
 *   item x = itemId[i] + itemSide[author] + itemSide[category] + mean_{t ∈ tags} itemSide[tag]
 * Unknown ids (dense mode) contribute nothing: a new item still gets a vector from its side features (cold start), a
 * new user from their recent items. Scores are inner products of the normalised vectors (cosine / τ in training).
 */
import type { Recommender } from '../../evaluation/recommender.js';
import { readArtefact, writeArtefact } from './artefact.js';
import { IdIndex } from '../embedding-table.js';
import { towerForward32 } from './train-graph.js';
import type { ItemSide, TwoTowerParts } from './types.js';

export type { ItemSide, TwoTowerConfig, TwoTowerMeta, TwoTowerParts } from './types.js';

/** Hashed side-feature rows and weights of an item: author and category weigh 1, tags share weight 1. */
export function itemSideRows(side: ItemSide | undefined, buckets: number): { rows: number[]; weights: number[] } {
  const rows: number[] = [];
  const weights: number[] = [];
  if (!side || buckets <= 0) return { rows, weights };
  const ix = IdIndex.hashed(buckets);
  const push = (key: string, w: number): void => {
    rows.push(ix.lookup(key));
    weights.push(w);
  };
  if (side.authorId !== undefined) push(`a:${side.authorId}`, 1);
  if (side.category !== undefined) push(`c:${side.category}`, 1);
  const tags = side.tags ?? [];
  for (const t of tags) push(`t:${t}`, 1 / tags.length);
  return { rows, weights };
}

/** Hashed rows of user features (each weighs 1/count). */
export function userSideRows(features: readonly string[] | undefined, buckets: number): number[] {
  if (!features || buckets <= 0) return [];
  const ix = IdIndex.hashed(buckets);
  return features.map((f) => ix.lookup(`u:${f}`));
}

/** A trained two-tower model. */
export class TwoTowerModel implements Recommender {
  readonly name = 'two-tower';
  private items: Float32Array | null = null;
  private trainedPos: Map<string, number> | null = null;

  constructor(readonly parts: TwoTowerParts) {}

  get dim(): number {
    return this.parts.config.dim;
  }

  get version(): string {
    return this.parts.meta.version;
  }

  /** Pools the user tower input into `out[offset ..]` (overwrites). History rows < 0 are skipped. */
  userInput(userRow: number, historyRows: ArrayLike<number>, sideRows: ArrayLike<number>, out: Float32Array, offset = 0): void {
    const p = this.parts;
    out.fill(0, offset, offset + this.dim);
    p.userId.addRowTo(userRow, 1, out, offset);
    let n = 0;
    for (let k = 0; k < historyRows.length; k++) if (historyRows[k] >= 0) n++;
    for (let k = 0; k < historyRows.length; k++) p.history.addRowTo(historyRows[k], 1 / n, out, offset);
    for (let k = 0; k < sideRows.length; k++) p.userSide.addRowTo(sideRows[k], 1 / sideRows.length, out, offset);
  }

  /** Pools the item tower input into `out[offset ..]` (overwrites). */
  itemInput(itemRow: number, side: ItemSide | undefined, out: Float32Array, offset = 0): void {
    const p = this.parts;
    out.fill(0, offset, offset + this.dim);
    p.itemId.addRowTo(itemRow, 1, out, offset);
    const s = itemSideRows(side, p.config.itemSideBuckets);
    for (let k = 0; k < s.rows.length; k++) p.itemSide.addRowTo(s.rows[k], s.weights[k], out, offset);
  }

  /**
   * The user's vector for serving: id embedding (an index into `userIds` or an external id; unknown ids add nothing) plus
   * the pooled embeddings of the recent items (the last `historyMax` are used), plus optional user features.
   */
  userVector(userIdOrIndex: string | number, recentItemIds: readonly string[], userFeatures?: readonly string[]): Float32Array {
    const p = this.parts;
    const row = p.userIndex.lookup(typeof userIdOrIndex === 'number' ? p.userIds[userIdOrIndex] : userIdOrIndex);
    const recent = recentItemIds.slice(-p.config.historyMax).map((id) => p.itemIndex.lookup(id));
    const x = new Float32Array(this.dim);
    this.userInput(row, recent, userSideRows(userFeatures, p.config.userSideBuckets), x);
    return this.tower(x, 'u');
  }

  /**
   * An item's vector: id embedding (an index into `itemIds` or an external id) plus side features. An item without a trained id
   * row gets its vector from the side features alone (cold start); `side` defaults to the trained item's features.
   */
  itemVector(itemIdOrIndex: string | number, side?: ItemSide): Float32Array {
    const p = this.parts;
    const k = typeof itemIdOrIndex === 'number' ? itemIdOrIndex : this.trainedItem(itemIdOrIndex);
    const row = typeof itemIdOrIndex === 'number' ? p.itemIndex.lookup(p.itemIds[k]) : p.itemIndex.lookup(itemIdOrIndex);
    const x = new Float32Array(this.dim);
    this.itemInput(row, side ?? (k >= 0 ? p.itemSides[k] : undefined), x);
    return this.tower(x, 'i');
  }

  /** Vectors of the trained items (aligned with `parts.itemIds`), row-major `numItems × dim`; cached. */
  itemMatrix(): Float32Array {
    if (this.items) return this.items;
    const p = this.parts;
    const n = p.itemIds.length;
    const d = this.dim;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) this.itemInput(p.itemIndex.lookup(p.itemIds[i]), p.itemSides[i], x, i * d);
    const out = new Float32Array(n * d);
    towerForward32(x, n, d, this.parts.config.hidden, this.parts.towerI, out);
    this.items = out;
    return out;
  }

  /** Recomputes `userMatrix` (users of `parts.userIds`) from each user's history as item-table rows. */
  setUserHistories(histories: (u: number) => ArrayLike<number>): void {
    const p = this.parts;
    const d = this.dim;
    const numUsers = p.userIds.length;
    const x = new Float32Array(numUsers * d);
    for (let u = 0; u < numUsers; u++) this.userInput(p.userIndex.lookup(p.userIds[u]), histories(u), [], x, u * d);
    const out = new Float32Array(numUsers * d);
    towerForward32(x, numUsers, d, this.parts.config.hidden, this.parts.towerU, out);
    this.parts.userMatrix = out;
  }

  /** Drops cached item vectors (after the tables changed). */
  invalidate(): void {
    this.items = null;
  }

  /** `Recommender`: the inner product of user u's (training-history) vector with every trained item's vector. */
  scoreUser(u: number, out: Float32Array): void {
    const items = this.itemMatrix();
    const d = this.dim;
    const um = this.parts.userMatrix;
    const uo = u * d;
    const n = out.length;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const io = i * d;
      for (let j = 0; j < d; j++) s += um[uo + j] * items[io + j];
      out[i] = s;
    }
  }

  /** Writes the versioned artefact folder `dir` atomically (see `writeArtefact`). */
  async save(dir: string): Promise<void> {
    await writeArtefact(this.parts, dir);
  }

  /** Loads a model written by `save`. */
  static async load(dir: string): Promise<TwoTowerModel> {
    return new TwoTowerModel(await readArtefact(dir));
  }

  private trainedItem(id: string): number {
    this.trainedPos ??= new Map(this.parts.itemIds.map((x, k) => [x, k]));
    return this.trainedPos.get(id) ?? -1;
  }

  private tower(x: Float32Array, which: 'u' | 'i'): Float32Array {
    const out = new Float32Array(this.dim);
    const p = this.parts;
    towerForward32(x, 1, this.dim, p.config.hidden, which === 'u' ? p.towerU : p.towerI, out);
    return out;
  }
}
