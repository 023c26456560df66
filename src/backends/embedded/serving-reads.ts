/**
 * The serving path's reads over the slabs: candidate lists (category and country/language trending, fresh,
 * co-visitation, author uploads), candidate attributes and the per-item feature matrix. Everything here runs per feed request.
 */
import { FEATURE_DEFINITIONS, ITEM_SERVING_FEATURES, windowLabel } from '../../features/definitions.js';
import type { ItemBatch, ScoredItem, UserSegment } from '../../features/feature-store.js';
import type { EmbeddedFeatureStore } from './embedded-feature-store.js';
import type { TrendingList } from './trending-list.js';

export function trendingInCategory(s: EmbeddedFeatureStore, category: string, limit: number, nowMs: number): ScoredItem[] {
  return liveTop(s, s.categoryTrending.get(s.dict.category.lookup(category)), limit, nowMs);
}

export function trendingIn(s: EmbeddedFeatureStore, segment: UserSegment, value: string, limit: number, nowMs: number): ScoredItem[] {
  const dict = segment === 'country' ? s.dict.country : segment === 'language' ? s.dict.language : undefined;
  if (!dict) return [];
  return liveTop(s, s.segmentTrending.list(segment, dict.lookup(value)), limit, nowMs);
}

/** The list's items, best first, deleted ones left out. */
function liveTop(s: EmbeddedFeatureStore, list: TrendingList | undefined, limit: number, nowMs: number): ScoredItem[] {
  if (!list || limit <= 0) return [];
  const out: ScoredItem[] = [];
  for (const { row, score } of list.top(list.size, nowMs)) {
    if (s.t.itemDeleted.get(row)) continue;
    out.push({ itemId: s.t.item.ids[row], score });
    if (out.length === limit) break;
  }
  return out;
}

export function fresh(s: EmbeddedFeatureStore, limit: number, nowMs: number, maxAgeMs: number): ScoredItem[] {
  const out: ScoredItem[] = [];
  s.freshList.forEachNewest((row, createdAt) => {
    const age = nowMs - createdAt;
    if (age <= maxAgeMs && age >= -60_000 && !s.t.itemDeleted.get(row)) out.push({ itemId: s.t.item.ids[row], score: 1 - Math.max(0, age) / maxAgeMs });
    return out.length < limit * 4;
  });
  return out.sort((a, b) => b.score - a.score).slice(0, limit);
}

export function covisited(s: EmbeddedFeatureStore, itemId: string, limit: number, nowMs: number): ScoredItem[] {
  const row = s.t.item.rowOf(itemId);
  if (row < 0) return [];
  return s.t.covis
    .entries(row, nowMs)
    .slice(0, limit)
    .map((e) => ({ itemId: s.t.item.ids[e.key], score: e.values[0] }));
}

export function authorUploads(s: EmbeddedFeatureStore, authorId: string, limit: number): ScoredItem[] {
  const row = s.t.author.rowOf(authorId);
  const out: ScoredItem[] = [];
  if (row < 0) return out;
  s.t.authorUploads.forEachNewest(row, (item, ts) => {
    if (!s.t.itemDeleted.get(item)) out.push({ itemId: s.t.item.ids[item], score: ts });
    return out.length < limit;
  });
  return out;
}

export function itemBatch(s: EmbeddedFeatureStore, ids: readonly string[]): ItemBatch {
  const t = s.t;
  const n = ids.length;
  const b: ItemBatch = {
    known: new Uint8Array(n),
    deleted: new Uint8Array(n),
    authorIds: new Array<string | undefined>(n),
    categories: new Array<string | undefined>(n),
    createdAtMs: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const row = t.item.rowOf(ids[i]);
    if (row < 0) continue;
    b.known[i] = t.itemKnown.get(row);
    b.deleted[i] = t.itemDeleted.get(row);
    const a = t.itemAuthor.get(row);
    b.authorIds[i] = a >= 0 ? t.author.ids[a] : undefined;
    b.categories[i] = s.dict.category.value(t.itemCategory.get(row));
    b.createdAtMs[i] = t.itemCreatedAt.get(row);
  }
  return b;
}

/** Column indexes, resolved once: [counter index, window index] per log-counter feature. */
function plan(s: EmbeddedFeatureStore) {
  const c = s.t.itemCounters;
  const w = (label: string) => s.t.tausMs.findIndex((ms) => windowLabel(ms / 1000) === label);
  const counters: [number, number][] = [];
  for (const name of ITEM_SERVING_FEATURES.slice(0, 9)) {
    const m = /^log_(.+)_(\w+)$/.exec(name)!;
    counters.push([c.index(m[1]), Math.max(0, w(m[2]))]);
  }
  const ratios = FEATURE_DEFINITIONS.item.ratios.map((r) => [c.index(r.num), c.index(r.den), priorOf(s, r.num, r.den)] as const);
  return { counters, ratios };
}

function priorOf(s: EmbeddedFeatureStore, num: string, den: string): number {
  const names = FEATURE_DEFINITIONS.item.counters.map((d) => d.name);
  const n = s.globalTotals[names.indexOf(num)];
  const d = s.globalTotals[names.indexOf(den)];
  return d > 0 ? Math.min(1, n / d) : 0.5;
}

export function itemFeatures(s: EmbeddedFeatureStore, ids: readonly string[], nowMs: number, out: Float32Array): void {
  const F = ITEM_SERVING_FEATURES.length;
  if (out.length < ids.length * F) throw new RangeError(`out holds ${out.length} values, need ${ids.length * F}`);
  out.fill(0, 0, ids.length * F);
  const t = s.t;
  const c = t.itemCounters;
  const { counters, ratios } = plan(s);
  const longest = t.tausMs.length - 1;
  const alpha = s.opts.features.ratePriorStrength;
  const toNow = new Float64Array(t.tausMs.length);
  for (let i = 0; i < ids.length; i++) {
    const row = t.item.rowOf(ids[i]);
    if (row < 0) continue;
    const dt = Math.max(0, nowMs - c.clock.ref.get(row));
    for (let w = 0; w < toNow.length; w++) toNow[w] = Math.exp(-dt / t.tausMs[w]);
    const o = i * F;
    let k = 0;
    for (const [ci, wi] of counters) out[o + k++] = Math.log1p(Math.max(0, c.decayed.raw(row, ci, wi) * toNow[wi]));
    for (const [ni, di, prior] of ratios) {
      const num = c.decayed.raw(row, ni, longest) * toNow[longest];
      const den = c.decayed.raw(row, di, longest) * toNow[longest];
      out[o + k++] = (num + alpha * prior) / (den + alpha);
    }
    const created = t.itemCreatedAt.get(row);
    out[o + k++] = Number.isNaN(created) ? 0 : Math.max(0, (nowMs - created) / 3_600_000);
    out[o + k++] = t.itemDuration.get(row) / 1000;
  }
}
