/** Hand-made slates and contexts for the re-ranker tests: no store, no pipeline. */
import type { FeedloopConfig } from '../../src/config/config.js';
import type { EntityFeatures, FeatureStore } from '../../src/features/feature-store.js';
import type { FeedContext } from '../../src/pipeline/feed-context.js';
import type { SlateItem, SlateItemInfo } from '../../src/reranking/reranker.js';
import { T0, testConfig } from '../helpers/fixtures.js';

export type FeedConfig = FeedloopConfig['feed'];

const defaults = testConfig('/nonexistent').feed;

/** A FeedContext by hand: default feed config with `feed` patched in, an optional user, request time `nowMs`. */
export function feedCtx(feed: Partial<FeedConfig> = {}, opts: { user?: EntityFeatures; nowMs?: number; limit?: number } = {}): FeedContext {
  return {
    request: { requestId: 'r1', userId: 'u1', sessionId: undefined, limit: opts.limit ?? 10, nowMs: opts.nowMs ?? T0, variant: 'home' },
    store: {} as FeatureStore, // the re-rankers never read the store
    user: opts.user,
    config: { ...defaults, ...feed },
    configVersion: 'test',
  };
}

/** A user whose top-K author map holds these decayed skip counts. */
export function userWithSkips(skips: Record<string, number>): EntityFeatures {
  return {
    entity: 'user',
    id: 'u1',
    values: {},
    lists: {},
    maps: { authors: Object.entries(skips).map(([key, s]) => ({ key, values: { positives: 1, impressions: 5, skips: s } })) },
    attributes: {},
  };
}

export interface Row {
  id: string;
  score: number;
  author?: string;
  category?: string;
  createdAtMs?: number;
  vector?: number[];
}

/** A slate (in the given order) and its `info` lookup. */
export function makeSlate(rows: readonly Row[]): { slate: SlateItem[]; info: (id: string) => SlateItemInfo } {
  const infos = new Map<string, SlateItemInfo>();
  for (const r of rows) {
    const v = r.vector ? Float32Array.from(r.vector) : undefined;
    infos.set(r.id, { authorId: r.author, category: r.category, createdAtMs: r.createdAtMs ?? Number.NaN, vector: () => v });
  }
  const slate = rows.map((r) => ({ itemId: r.id, sources: [{ name: 'test', score: r.score }], score: r.score, propensity: 0.5 }));
  return {
    slate,
    info: (id) => {
      const i = infos.get(id);
      if (!i) throw new Error(`no info for ${id}`);
      return i;
    },
  };
}

export const ids = (s: readonly SlateItem[]): string[] => s.map((x) => x.itemId);

/** The largest count of one key within any `window` consecutive slots (undefined keys ignored). */
export function maxInWindow(keys: readonly (string | undefined)[], window: number): number {
  let worst = 0;
  const w = Math.max(1, window);
  for (let end = 0; end < keys.length; end++) {
    const counts = new Map<string, number>();
    for (let j = Math.max(0, end - w + 1); j <= end; j++) {
      const k = keys[j];
      if (k === undefined) continue;
      const c = (counts.get(k) ?? 0) + 1;
      counts.set(k, c);
      if (c > worst) worst = c;
    }
  }
  return worst;
}
