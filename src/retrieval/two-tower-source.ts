/**
 * The learned candidate source: the user tower on the user's most recent positives and watches (from the real-time
 * features, so a like changes the next request), then an ANN search over item-tower vectors. Returns nothing while
 * no model is loaded (the other sources carry the feed).
 */
import type { CandidateSource } from './candidate-source.js';
import type { RetrievalService } from './retrieval-service.js';

/** Recent items fed to the user tower. */
const RECENT = 50;

export function twoTowerSource(retrieval: RetrievalService): CandidateSource {
  return {
    name: 'two-tower',
    fetch(ctx, k) {
      const seen = new Set<string>();
      const recent: string[] = [];
      for (const list of [ctx.user?.lists.positives, ctx.user?.lists.watched]) {
        for (const x of list ?? []) {
          if (recent.length >= RECENT) break;
          if (!seen.has(x.id)) {
            seen.add(x.id);
            recent.push(x.id);
          }
        }
      }
      return retrieval.candidates(ctx.request.userId, recent, k);
    },
  };
}
