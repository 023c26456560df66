/**
 * Feedback fatigue: the user's skips of an author lower that author's items for a while.
 *
 * For each author in the user's top-K author map (`ctx.user.maps.authors`, decayed over the 7-day window) with s =
 * decayed `skips`, T = `feed.fatigueSkips`, p = `feed.fatiguePenalty`, the author's share is
 *
 *   f(s) = min(1, p × (s − T + 1))   when s ≥ T and s > 0, else 0
 *
 * (one step of p at the threshold, one more per skip beyond it, at most 1: non-decreasing in s), and each of that
 * author's items gets score −= f(s) × R, R the slate's score range (max − min of the finite scores), so even a fully
 * fatigued author falls at most from the top of the slate to its bottom. Other items keep their scores. As the decayed
 * skips fall below T the penalty ends. Returns the whole slate re-sorted (ties keep their order), not trimmed; no
 * user, no fatigued author or a zero range returns it unchanged. Penalised items are copies with the new score;
 * `propensity` is kept. O(K + n log n).
 *
 * Only authors in the top-K map are known: an author the user skipped but who fell out of it is not penalised.
 */
import type { ReRanker } from './reranker.js';
import { adjustScores, scoreRange } from './slate-math.js';

/** The share of the slate's score range removed from the items of an author skipped `skips` times (see above). */
export function fatigueShare(skips: number, fatigueSkips: number, fatiguePenalty: number): number {
  if (!(skips > 0) || !(skips >= fatigueSkips) || !(fatiguePenalty > 0)) return 0;
  return Math.min(1, fatiguePenalty * (skips - fatigueSkips + 1));
}

export const fatigueReRanker: ReRanker = {
  name: 'fatigue',
  rerank(ctx, slate, _limit, info) {
    const authors = ctx.user?.maps.authors;
    if (!authors?.length) return slate.slice();
    const { fatigueSkips, fatiguePenalty } = ctx.config;
    const share = new Map<string, number>();
    for (const { key, values } of authors) {
      const f = fatigueShare(values.skips ?? 0, fatigueSkips, fatiguePenalty);
      if (f > 0) share.set(key, f);
    }
    const range = scoreRange(slate);
    if (share.size === 0 || !(range > 0)) return slate.slice();
    const delta = new Float64Array(slate.length);
    let penalised = false;
    for (let i = 0; i < slate.length; i++) {
      const author = info(slate[i].itemId).authorId;
      const f = author === undefined ? undefined : share.get(author);
      if (f === undefined) continue;
      delta[i] = -f * range;
      penalised = true;
    }
    return penalised ? adjustScores(slate, delta) : slate.slice();
  },
};
