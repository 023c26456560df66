/**
 * The non-learned candidate sources. Each reads the real-time features through the FeatureStore port.
 * - trending: global decayed engagement.
 * - fresh: recent uploads (cold-start exposure for new items), newest first.
 * - covisitation: items co-visited with the user's recent positives, weighted by recency of the positive.
 * - followed-authors: recent uploads of the authors the user follows.
 * - top-categories: trending items in the user's top categories, split by the category's share of positives.
 * - local-trending: trending among users of the user's country, topped up from their language (cold start).
 */
import type { CandidateSource } from './candidate-source.js';
import type { ScoredItem } from '../pipeline/feed-context.js';

export const trendingSource: CandidateSource = {
  name: 'trending',
  fetch: (ctx, k) => ctx.store.trending(k, ctx.request.nowMs),
};

export const freshSource: CandidateSource = {
  name: 'fresh',
  fetch: (ctx, k) => ctx.store.fresh(k, ctx.request.nowMs, ctx.config.freshMaxAgeMs),
};

export const covisitationSource: CandidateSource = {
  name: 'covisitation',
  fetch(ctx, k) {
    const seeds = (ctx.user?.lists.positives ?? []).slice(0, ctx.config.covisSeeds);
    // the store's fresh items are re-scored in place (their handles kept): one object per item, not three
    const acc = new Map<string, ScoredItem>();
    seeds.forEach((seed, rank) => {
      const weight = 1 / (1 + rank);
      for (const c of ctx.store.covisited(seed.id, ctx.config.covisPerSeed, ctx.request.nowMs)) {
        const e = acc.get(c.itemId);
        if (e) e.score += weight * c.score;
        else {
          c.score = weight * c.score;
          acc.set(c.itemId, c);
        }
      }
    });
    return [...acc.values()].sort((a, b) => b.score - a.score).slice(0, k);
  },
};

export const followedAuthorsSource: CandidateSource = {
  name: 'followed-authors',
  fetch(ctx, k) {
    const authors = [...new Set((ctx.user?.lists.followed ?? []).map((a) => a.id))].slice(0, ctx.config.followedAuthorsMax);
    const out: ScoredItem[] = [];
    const now = ctx.request.nowMs;
    for (const a of authors) {
      for (const x of ctx.store.authorUploads(a, ctx.config.uploadsPerAuthor)) {
        x.score = 1 / (1 + Math.max(0, now - x.score) / 3_600_000); // upload time → recency
        out.push(x);
      }
    }
    return out.sort((a, b) => b.score - a.score).slice(0, k);
  },
};

export const topCategoriesSource: CandidateSource = {
  name: 'top-categories',
  fetch(ctx, k) {
    const cats = (ctx.user?.maps.categories ?? []).filter((c) => c.values.positives > 0).slice(0, ctx.config.topCategories);
    const total = cats.reduce((s, c) => s + c.values.positives, 0);
    const out: ScoredItem[] = [];
    for (const c of cats) {
      const share = c.values.positives / total;
      const n = Math.max(1, Math.round(k * share));
      for (const x of ctx.store.trendingInCategory(c.key, n, ctx.request.nowMs)) {
        x.score *= share;
        out.push(x);
      }
    }
    return out.sort((a, b) => b.score - a.score).slice(0, k);
  },
};

/**
 * Cold start by place: what users of the user's country engage with, then — when that is short of `k` — what users
 * of their language engage with (items not already taken). Users with neither attribute get nothing. Score = the
 * item's decayed engagement within its segment; country items come first even when a (broader) language segment
 * scores higher, so scores are comparable within each part, not across the two.
 */
export const localTrendingSource: CandidateSource = {
  name: 'local-trending',
  fetch(ctx, k) {
    const attrs = ctx.user?.attributes;
    const country = typeof attrs?.country === 'string' ? attrs.country : undefined;
    const language = typeof attrs?.language === 'string' ? attrs.language : undefined;
    const now = ctx.request.nowMs;
    const out = country === undefined ? [] : ctx.store.trendingIn('country', country, k, now);
    if (out.length >= k || language === undefined) return out;
    const taken = new Set(out.map((x) => x.itemId));
    for (const x of ctx.store.trendingIn('language', language, k, now)) {
      if (taken.has(x.itemId)) continue;
      out.push(x);
      if (out.length === k) break;
    }
    return out;
  },
};

