/**
 * The `Explorer` port: after ranking and re-ranking, gives a share of the slate's slots to little-shown items and
 * logs, for every served item, the probability the serving policy had of showing it at that position.
 *
 * ## Policy (implemented once, in `exploreSlots`; explorers differ only in the pick rule of step 4)
 * Inputs: the slate S = s_0 … s_{L−1} (deterministic: the output of the ranker and re-rankers, best first), the pool
 * (candidates not in S; pool entries whose id is in S, and repeated ids, are ignored), `share` ∈ [0, 1], the caps,
 * and `rand` (uniform on [0, 1)). Slots are processed in order p = 0, 1, …, L−1. The *current slate* at slot p is
 * the items already served at slots 0 … p−1 followed by s_p … s_{L−1}.
 *  1. Eligible set E_p, decided before any draw at slot p: the pool items not in S and not served at an earlier
 *     slot such that, with the item put at slot p of the current slate (in place of s_p), every window of
 *     `authorWindow` consecutive slots that contains p holds at most `maxPerAuthor` items of the item's author, and
 *     every window of `categoryWindow` consecutive slots that contains p holds at most `maxPerCategory` items of its
 *     category. (A slate shorter than a window is one window. An item without an author, or category, is not limited
 *     by that cap; a cap with window < 1 or an infinite maximum is off.)
 *  2. If E_p is empty, slot p is not explored and draws nothing: s_p is served with propensity 1.
 *  3. Otherwise one Bernoulli draw u = rand(): if u ≥ share, s_p is served with propensity 1 − share.
 *  4. If u < share, slot p explores: the pick rule chooses x ∈ E_p, x is served at slot p with propensity
 *     share · q_p(x), where q_p(x) = P(rule picks x | E_p), and s_p is dropped from the response.
 *     - `epsilon-greedy`: x uniform over E_p (index ⌊rand()·|E_p|⌋); q_p(x) = 1/|E_p|.
 *     - `thompson`: θ_j ~ Beta(1 + positives_j, 1 + max(0, impressions_j − positives_j)) independently for each
 *       j ∈ E_p (one real draw each), x = argmax_j θ_j; q_p(x) = P(x is the argmax), *estimated* with
 *       M = `propensityDraws` draws independent of the pick: q̂ = (1/M)·Σ_k P(θ_x > m_k)
 *       = (1/M)·Σ_k (1 − I_{m_k}(α_x, β_x)), where m_k is the max of the k-th draw of θ_j over j ∈ E_p \ {x} and I
 *       the Beta CDF (a Rao–Blackwellised Monte Carlo estimate: unbiased for q_p(x), lower variance than counting
 *       wins, never 0 in practice; floored at 1e-12). The M draws are made once per request for the whole pool and
 *       shared by its exploring slots. |E_p| = 1 gives q = 1 exactly. The θs come from a Beta stream seeded by one
 *       `rand()` value taken at the request's first exploring slot.
 *  Input propensities are overwritten (the stage assumes its input slate is deterministic, as every current
 *  re-ranker is). The output has exactly L items, no duplicates.
 *
 * ## What the logged propensity is
 * π_p = P(the item served at slot p is served there | request, S, pool, items served at slots 0 … p−1): the
 * sequential (per-decision) propensity. It is exact for epsilon-greedy (up to the 2⁻³² resolution of `rand`) and for
 * the exploit items of both policies; for Thompson's explored items it is the unbiased estimate above. A replaced
 * item and its replacement always differ, so the served slate determines every decision and Π_p π_p is the
 * probability of the whole served slate (chain rule). π_p is also the marginal P(item at slot p | request) when
 * E_p cannot depend on earlier outcomes (slot 0; an exploit item whose E_p is non-empty whatever happened before);
 * otherwise that marginal is the average of π_p over earlier outcomes — close to π_p when the pool is much larger
 * than the number of explored slots, but not equal. Position-wise IPS that needs the marginal should use cumulative
 * products (per-decision importance sampling) or re-estimate the marginal by re-simulating the request.
 *
 * ## Caps
 * Each replacement is checked against the current slate and removing s_p never raises a count, so if S keeps the
 * author and category caps, every served slate keeps them.
 */
import type { SlateItem } from '../reranking/reranker.js';

/** A candidate for exploration slots, with the counters the pick rules read (decayed 1-day counts). */
export interface ExplorationCandidate {
  item: SlateItem;
  impressions: number;
  /** Positive interactions (likes + completions); may exceed `impressions` (then Beta's second shape is 1). */
  positives: number;
  /** When undefined, `ExploreOptions.infoOf(item.itemId)` is asked. */
  authorId?: string;
  category?: string;
}

export interface ExploreOptions {
  /** Probability that a slot with a non-empty eligible set explores, in [0, 1]; 0 = off (identity, propensity 1). */
  share: number;
  maxPerAuthor: number;
  authorWindow: number;
  maxPerCategory: number;
  categoryWindow: number;
  /** Monte Carlo draws per Thompson propensity (integer ≥ 1); unused by epsilon-greedy. */
  propensityDraws: number;
  /** Author and category of a slate item (and of a pool item whose candidate leaves them undefined). */
  infoOf(itemId: string): { authorId?: string | undefined; category?: string | undefined };
}

/** A served item; `explored` marks the items placed by an exploration slot (for the serve log and metrics). */
export interface ServedItem extends SlateItem {
  explored: boolean;
}

export interface Explorer {
  /** Stable name used in config, metrics and logs: `epsilon-greedy` or `thompson`. */
  readonly name: string;
  /**
   * Returns the served slate: same length as `slate`, no duplicates, `propensity` set on every item as documented
   * above. Synchronous; consumes `rand` in slot order (reproducible from a seeded `rand`, see `requestRand`).
   * Throws ConfigError for a share outside [0, 1] or propensityDraws < 1 (Thompson). Does not mutate its inputs.
   */
  explore(slate: readonly SlateItem[], pool: readonly ExplorationCandidate[], opts: ExploreOptions, rand: () => number): ServedItem[];
}
