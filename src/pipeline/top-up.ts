/**
 * The last step of a feed request: a slate shorter than the limit (few candidates left after the filters, a hard
 * author cap that could not be kept, a failing store) is topped up — first from trending + fresh, through the
 * pipeline's filters, then from the precomputed popular list (which needs no store). Appended items never repeat an
 * item of the slate or of `ctx.exclude`, and keep the author cap (`feed.maxPerAuthor` per `feed.authorWindow`): an
 * item whose author is unknown (e.g. the store is down) is never capped. Only when no list has an item that keeps
 * the cap (a catalog of very few authors, e.g. an imported dataset with one stand-in author) is the cap relaxed:
 * the rest is filled from the ranked candidates, best first, and the response names the fallback
 * `author-cap-relaxed` — a full slate beats a short one.
 */
import { applyFilters } from '../filtering/apply-filters.js';
import type { SlateItem } from '../reranking/reranker.js';
import type { Candidate, FeedContext } from './feed-context.js';
import type { PipelineSpec } from './home-feed.js';
import type { PopularList } from './popular-list.js';

export function topUp(
  spec: PipelineSpec,
  ctx: FeedContext,
  slate: SlateItem[],
  limit: number,
  storeOk: boolean,
  popular: PopularList | undefined,
  fallback: (name: string) => void,
  authorOf: (itemId: string) => string | undefined,
  ranked: () => readonly SlateItem[] = () => [],
): SlateItem[] {
  const have = new Set([...slate.map((s) => s.itemId), ...(ctx.exclude ?? [])]);
  const out = [...slate];
  const authors = slate.map((s) => authorOf(s.itemId));
  const { maxPerAuthor, authorWindow } = ctx.config;
  const fits = (author: string | undefined) => {
    if (author === undefined) return true;
    let n = 0;
    for (let k = Math.max(0, authors.length - (authorWindow - 1)); k < authors.length; k++) if (authors[k] === author) n++;
    return n < maxPerAuthor;
  };
  const push = (item: SlateItem, author: string | undefined) => {
    out.push(item);
    authors.push(author);
    have.add(item.itemId);
  };
  if (storeOk) {
    try {
      const need = limit - out.length;
      const now = ctx.request.nowMs;
      const fresh = ctx.store.fresh(need * 4, now, ctx.config.freshMaxAgeMs).map((x) => ({ ...x, source: 'fresh' }));
      const pool = [...ctx.store.trending(need * 8, now).map((x) => ({ ...x, source: 'trending' })), ...fresh].filter((x) => !have.has(x.itemId));
      const cands: Candidate[] = [];
      const seen = new Set<string>();
      for (const x of pool) {
        if (seen.has(x.itemId)) continue;
        seen.add(x.itemId);
        cands.push({ itemId: x.itemId, sources: [{ name: x.source, score: x.score }] });
      }
      const kept = applyFilters(spec.filters, ctx, cands, ctx.store.itemBatch(cands.map((c) => c.itemId)));
      kept.candidates.forEach((c, i) => {
        const author = kept.attrs.authorIds[i];
        if (out.length < limit && fits(author)) push({ ...c, score: 0, propensity: 1 }, author);
      });
      if (out.length > slate.length) fallback('trending+fresh');
    } catch {
      // the store failed after all: the popular list below
    }
  }
  if (out.length < limit && popular) {
    const before = out.length;
    const extra = popular.take(4 * (limit - out.length), have);
    let extraAuthors: (string | undefined)[] = [];
    try {
      extraAuthors = ctx.store.itemBatch(extra.map((x) => x.itemId)).authorIds;
    } catch {
      // the store is down: authors unknown, nothing capped
    }
    extra.forEach((x, i) => {
      if (out.length < limit && fits(extraAuthors[i])) push({ itemId: x.itemId, sources: [{ name: 'popular-list', score: x.score }], score: 0, propensity: 1 }, extraAuthors[i]);
    });
    if (out.length > before) fallback('popular-list');
  }
  if (out.length < limit) {
    const before = out.length;
    for (const item of ranked()) {
      if (out.length >= limit) break;
      if (!have.has(item.itemId)) push(item, authorOf(item.itemId));
    }
    if (out.length > before) fallback('author-cap-relaxed');
  }
  return out;
}
