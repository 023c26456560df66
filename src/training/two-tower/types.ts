/**
 * Shapes shared by the two-tower model, its trainer and its artefact reader/writer.
 */
import type { EmbeddingTable, IdIndex, IdMode } from '../embedding-table.js';
import type { TowerParams } from './train-graph.js';

/** Side features of an item (hashed into one shared table with a per-kind prefix). */
export interface ItemSide {
  authorId?: string;
  category?: string;
  tags?: readonly string[];
}

/** Architecture and training hyper-parameters stored with the model. */
export interface TwoTowerConfig {
  dim: number;
  /** Residual layer width (0 = none). */
  hidden: number;
  temperature: number;
  /** Most recent/sampled history items pooled into the user tower. */
  historyMax: number;
  userIdMode: IdMode;
  itemIdMode: IdMode;
  /** Buckets of hashed id tables (ignored in dense mode). */
  userBuckets: number;
  itemBuckets: number;
  /** Buckets of the hashed side-feature tables. */
  itemSideBuckets: number;
  userSideBuckets: number;
}

/** Provenance of an artefact. */
export interface TwoTowerMeta {
  version: string;
  createdAt: string;
  dataName: string;
  /** What the model was trained on: counts, split and any time range the caller knows. */
  dataRange: Record<string, string | number>;
  metrics: Record<string, number>;
  /** Free-form training record (epochs, timings, optimiser settings). */
  training: Record<string, unknown>;
}

/** Everything a model is made of (what `save` writes and `load` reads). */
export interface TwoTowerParts {
  config: TwoTowerConfig;
  meta: TwoTowerMeta;
  userIndex: IdIndex;
  itemIndex: IdIndex;
  userId: EmbeddingTable;
  history: EmbeddingTable;
  itemId: EmbeddingTable;
  itemSide: EmbeddingTable;
  userSide: EmbeddingTable;
  towerU: TowerParams | null;
  towerI: TowerParams | null;
  /** Trained users and items in evaluation order (index u / i of `InteractionData`). */
  userIds: string[];
  itemIds: string[];
  /** Side features of the trained items, aligned with `itemIds` — used to build `itemMatrix()`. */
  itemSides: (ItemSide | undefined)[];
  /** User vectors from the training histories, aligned with `userIds` (what `scoreUser` ranks with). */
  userMatrix: Float32Array;
}
