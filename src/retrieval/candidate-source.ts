/**
 * The `CandidateSource` port: one way of proposing items for a user (trending, fresh, co-visitation, …).
 *
 * Contract: `fetch` returns at most `k` items, best first, each with the source's own score (comparable only within
 * the source). It may be sync or async and may throw: the pipeline then drops the source for this request, counts it
 * in metrics and names it in `debug.degraded` (sources fail open). It must not filter (filters do) nor rank across
 * sources (the ranker does). `name` is stable: used in config (quotas), metrics, logs and explanations.
 */
import type { FeedContext, ScoredItem } from '../pipeline/feed-context.js';

export interface CandidateSource {
  readonly name: string;
  /**
   * `signal` aborts when the stage's deadline (`latency.sourcesMs`) passes: the pipeline has then dropped this
   * source for the request, and asynchronous work may stop.
   */
  fetch(ctx: FeedContext, k: number, signal?: AbortSignal): ScoredItem[] | Promise<ScoredItem[]>;
}
