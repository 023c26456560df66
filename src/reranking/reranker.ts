/**
 * The `ReRanker` port: reorders (or trims) the ranked slate for slate-level goals (diversity, caps, exploration).
 *
 * Contract: input is sorted by score, best first; output is a permutation of a subset of it (never new items), best
 * first, of at most `limit` items unless fewer were given. Synchronous; a throwing re-ranker is skipped and reported.
 * Each output item carries the probability it had of being shown under this policy (`propensity`; 1 when
 * deterministic).
 */
import type { FeedContext, ScoredCandidate } from '../pipeline/feed-context.js';

export interface SlateItem extends ScoredCandidate {
  propensity: number;
}

/** What a re-ranker may know about a slate item besides its score and sources. */
export interface SlateItemInfo {
  authorId: string | undefined;
  category: string | undefined;
  /** Upload time, ms (NaN when unknown). */
  createdAtMs: number;
  /**
   * The item's vector in the retrieval model's space, when a model is loaded and the item indexed. Read-only and
   * possibly a view into the index: read it within the `rerank` call, never write or keep it.
   */
  vector(): Float32Array | undefined;
}

export interface ReRanker {
  readonly name: string;
  /** `info(itemId)` is defined for every item of `slate`. */
  rerank(ctx: FeedContext, slate: readonly SlateItem[], limit: number, info: (itemId: string) => SlateItemInfo): SlateItem[];
}
