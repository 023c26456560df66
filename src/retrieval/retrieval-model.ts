/**
 * The `RetrievalModel` port: what the serving path needs from a trained two-tower model.
 *
 * Contract: vectors have length `dim` and are comparable by inner product (user · item = relevance). `userVector`
 * runs the user tower on the user's current recent items (real time: a like changes the next request's vector
 * without retraining); unknown users and items are allowed (cold start: id embeddings fall back to what the model
 * has, e.g. hashed buckets or zeros). `itemVector` embeds an item from its id and side features, so an item uploaded
 * after training gets a vector from its content. Implementations are synchronous and cheap (one request ≈ one call).
 */
export interface RetrievalModel {
  /** Artefact version, logged with every request that used the model. */
  readonly version: string;
  readonly dim: number;
  userVector(userId: string, recentItemIds: readonly string[]): Float32Array;
  itemVector(itemId: string, side: ItemSide): Float32Array;
  /** Items the model was trained on, with their vectors (the initial index). */
  trainedItems(): Iterable<{ itemId: string; vector: Float32Array }>;
}

export interface ItemSide {
  authorId?: string;
  category?: string;
  tags?: readonly string[];
}
