/**
 * The standard filters: deleted items, hidden items and authors (`hide` events), items impressed within
 * `feed.seenWindowMs` (bounded by `features.seenMax` impressions per user), items completed within
 * `feed.completedWindowMs`.
 */
import type { Filter } from './filter.js';

export const deletedFilter: Filter = {
  name: 'deleted',
  apply: (_ctx, candidates, attrs) => candidates.map((_, i) => (attrs.deleted[i] ? 'deleted' : undefined)),
};

export const hiddenFilter: Filter = {
  name: 'hidden',
  apply(ctx, candidates, attrs) {
    const items = new Set((ctx.user?.lists.hidden ?? []).map((x) => x.id));
    const authors = new Set((ctx.user?.lists.hidden_authors ?? []).map((x) => x.id));
    if (!items.size && !authors.size) return candidates.map(() => undefined);
    return candidates.map((c, i) => {
      if (items.has(c.itemId)) return 'hidden_item';
      const a = attrs.authorIds[i];
      return a !== undefined && authors.has(a) ? 'hidden_author' : undefined;
    });
  },
};

/** Removes items whose id appears in the user's list `list` with a timestamp within `windowMs` of now. */
function recentListFilter(name: string, list: string, reason: string, windowOf: (c: { seenWindowMs: number; completedWindowMs: number }) => number): Filter {
  return {
    name,
    apply(ctx, candidates) {
      const since = ctx.request.nowMs - windowOf(ctx.config);
      const recent = new Set<string>();
      for (const x of ctx.user?.lists[list] ?? []) if (x.ts >= since) recent.add(x.id);
      return candidates.map((c) => (recent.has(c.itemId) ? reason : undefined));
    },
  };
}

export const seenFilter = recentListFilter('seen', 'impressed', 'seen', (c) => c.seenWindowMs);
export const completedFilter = recentListFilter('completed', 'completed', 'completed_recently', (c) => c.completedWindowMs);
