/**
 * Shared shapes of offline training and evaluation: interaction data in dense index space (CSR per user) and the
 * `Recommender` port every model (baselines, two-tower) implements for full-ranking evaluation.
 */

/** Compressed rows: user u's items are `items[offsets[u] .. offsets[u + 1])`. */
export interface Csr {
  offsets: Int32Array;
  items: Int32Array;
}

export interface InteractionData {
  /** Dataset name, e.g. `movielens-1m-split`. */
  name: string;
  numUsers: number;
  numItems: number;
  /** Positive interactions per split (random split: no time order). */
  train: Csr;
  valid: Csr;
  test: Csr;
  /** Original ids of the dense indices. */
  userIds: string[];
  itemIds: string[];
}

/**
 * The `Recommender` port for full-ranking evaluation.
 *
 * Contract: `scoreUser(u, out)` writes one score per item (higher = better) into `out` (length `numItems`) for user
 * index `u`; it must not read `out`'s previous contents. The evaluator masks the user's training items itself.
 * Implementations may score in batches internally but must be deterministic for a fitted model.
 */
export interface Recommender {
  readonly name: string;
  scoreUser(u: number, out: Float32Array): void;
}
