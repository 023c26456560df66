/**
 * Author cap: at most `feed.maxPerAuthor` items of one author in any `feed.authorWindow` consecutive slots. Greedy:
 * walks the ranked list and takes the best item that keeps the cap; items skipped stay available for later slots.
 * The cap is hard here: when nothing left keeps it, the slate ends there, shorter, and the pipeline tops it up from
 * trending, fresh and the popular list under the same cap, relaxing it only when none of those has an item that
 * keeps it (top-up.ts, fallback `author-cap-relaxed`). Returns at most `limit` items.
 * Unknown authors are never capped. A slate that already keeps the cap comes back unchanged (trimmed to `limit`).
 */
import type { ReRanker } from './reranker.js';
import { KeyInterner } from './slate-math.js';
import { applyWindowCaps } from './window-cap.js';

export const authorCapReRanker: ReRanker = {
  name: 'author-cap',
  rerank(ctx, slate, limit, info) {
    const authors = new KeyInterner();
    const keys = new Int32Array(slate.length);
    for (let i = 0; i < slate.length; i++) keys[i] = authors.id(info(slate[i].itemId).authorId);
    return applyWindowCaps(slate, limit, [{ keys, keyCount: authors.size, maxPer: ctx.config.maxPerAuthor, window: ctx.config.authorWindow }], { hard: true });
  },
};
