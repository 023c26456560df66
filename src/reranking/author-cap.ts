/**
 * Author cap: at most `feed.maxPerAuthor` items of one author in any `feed.authorWindow` consecutive slots. Greedy:
 * walks the ranked list and takes the best item that keeps the cap; items skipped stay available for later slots.
 */
import type { ReRanker, SlateItem } from './reranker.js';

export const authorCapReRanker: ReRanker = {
  name: 'author-cap',
  rerank(ctx, slate, limit, info) {
    const authorOf = (id: string) => info(id).authorId;
    const { maxPerAuthor, authorWindow } = ctx.config;
    const out: SlateItem[] = [];
    const pending = [...slate];
    while (out.length < limit && pending.length) {
      const windowAuthors = out.slice(-Math.max(0, authorWindow - 1)).map((x) => authorOf(x.itemId));
      let pick = pending.findIndex((c) => {
        const a = authorOf(c.itemId);
        return a === undefined || windowAuthors.filter((x) => x === a).length < maxPerAuthor;
      });
      if (pick < 0) pick = 0; // nothing satisfies the cap: a full slate beats an empty one
      out.push(pending.splice(pick, 1)[0]);
    }
    return out;
  },
};
