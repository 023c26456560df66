/**
 * The `Filter` port: removes candidates the user must not see.
 *
 * Contract: `apply` returns, for each candidate in order, `undefined` to keep it or a short reason to remove it
 * (`seen`, `hidden_item`, …). It is synchronous and never throws for unknown items (they are kept). Removed
 * candidates are counted by filter and reason in metrics and written to the serve log.
 */
import type { ItemBatch } from '../features/feature-store.js';
import type { Candidate, FeedContext } from '../pipeline/feed-context.js';

export interface Filter {
  readonly name: string;
  /** `attrs` is index-aligned with `candidates`. */
  apply(ctx: FeedContext, candidates: readonly Candidate[], attrs: ItemBatch): (string | undefined)[];
}
