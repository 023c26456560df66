/** Fixtures for the exploration tests: slates, pools, and a cap checker. */
import type { ExplorationCandidate, ExploreOptions } from '../../src/exploration/explorer.js';
import type { SlateItem } from '../../src/reranking/reranker.js';

export interface ItemSpec {
  id: string;
  author?: string;
  category?: string;
  impressions?: number;
  positives?: number;
}

export function slateOf(specs: readonly ItemSpec[]): SlateItem[] {
  return specs.map((s, i) => ({ itemId: s.id, sources: [{ name: 'test', score: 1 }], score: 100 - i, propensity: 1 }));
}

/** Pool candidates; author and category are left to `infoOf` so both lookup paths are used. */
export function poolOf(specs: readonly ItemSpec[]): ExplorationCandidate[] {
  return specs.map((s, i) => ({
    item: { itemId: s.id, sources: [{ name: 'test', score: 0 }], score: 10 - i, propensity: 1 },
    impressions: s.impressions ?? 0,
    positives: s.positives ?? 0,
    ...(i % 2 === 0 && s.author !== undefined ? { authorId: s.author } : {}),
    ...(i % 2 === 0 && s.category !== undefined ? { category: s.category } : {}),
  }));
}

export function options(specs: readonly ItemSpec[], o: Partial<Omit<ExploreOptions, 'infoOf'>>): ExploreOptions {
  const info = new Map(specs.map((s) => [s.id, { authorId: s.author, category: s.category }]));
  return {
    share: 0.2,
    maxPerAuthor: Number.POSITIVE_INFINITY,
    authorWindow: 0,
    maxPerCategory: Number.POSITIVE_INFINITY,
    categoryWindow: 0,
    propensityDraws: 100,
    ...o,
    infoOf: (id) => info.get(id) ?? {},
  };
}

/** True when every window of `window` consecutive slots holds at most `maxPer` of each defined label. */
export function capHolds(labels: readonly (string | undefined)[], maxPer: number, window: number): boolean {
  if (!(window >= 1) || !(maxPer < Number.POSITIVE_INFINITY)) return true;
  const L = labels.length;
  for (let s = 0; s <= Math.max(0, L - window); s++) {
    const counts = new Map<string, number>();
    for (let q = s; q < Math.min(L, s + window); q++) {
      const l = labels[q];
      if (l === undefined) continue;
      const c = (counts.get(l) ?? 0) + 1;
      if (c > maxPer) return false;
      counts.set(l, c);
    }
  }
  return true;
}
