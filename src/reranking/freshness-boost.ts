/**
 * Freshness boost: an item of age a = `request.nowMs` − `createdAtMs` younger than the horizon H =
 * `feed.freshnessHorizonMs` gains
 *
 *   score += `feed.freshnessBoost` × R × (1 − max(0, a) / H)
 *
 * where R is the slate's score range (max − min of the finite scores): the boost decays linearly from its full value
 * at upload to 0 at age H. An unknown upload time (NaN) gets no boost; an upload time in the future (clock skew) counts
 * as age 0. Returns the whole slate re-sorted by the adjusted score (ties keep their order), not trimmed; a zero
 * boost, horizon or range returns it unchanged. Boosted items are copies with the new score; `propensity` is kept.
 * O(n log n).
 */
import type { ReRanker } from './reranker.js';
import { adjustScores, scoreRange } from './slate-math.js';

export const freshnessBoostReRanker: ReRanker = {
  name: 'freshness-boost',
  rerank(ctx, slate, _limit, info) {
    const { freshnessBoost, freshnessHorizonMs: horizon } = ctx.config;
    const full = freshnessBoost * scoreRange(slate);
    if (!(full > 0) || !(horizon > 0)) return slate.slice();
    const now = ctx.request.nowMs;
    const delta = new Float64Array(slate.length);
    let boosted = false;
    for (let i = 0; i < slate.length; i++) {
      const age = now - info(slate[i].itemId).createdAtMs;
      if (!(age < horizon)) continue; // NaN (unknown) or at/after the horizon
      delta[i] = full * (1 - Math.max(0, age) / horizon);
      boosted = true;
    }
    return boosted ? adjustScores(slate, delta) : slate.slice();
  },
};
