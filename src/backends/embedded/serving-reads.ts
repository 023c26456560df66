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
export function liveTop(s: EmbeddedFeatureStore, list: TrendingList | undefined, limit: number, nowMs: number): ScoredItem[] {
  if (!list || limit <= 0) return [];
  const out: ScoredItem[] = [];
  const ids = s.t.item.ids;
  list.forEachTop(nowMs, (row, score) => {
    if (!s.t.itemDeleted.get(row)) out.push({ itemId: ids[row], score, handle: row });
    return out.length < limit;
  });
  return out;
}

export function fresh(s: EmbeddedFeatureStore, limit: number, nowMs: number, maxAgeMs: number): ScoredItem[] {
  const out: ScoredItem[] = [];
  s.freshList.forEachNewest((row, createdAt) => {
    const age = nowMs - createdAt;
    if (age <= maxAgeMs && age >= -60_000 && !s.t.itemDeleted.get(row)) out.push({ itemId: s.t.item.ids[row], score: 1 - Math.max(0, age) / maxAgeMs, handle: row });
    return out.length < limit * 4;
  });
  return out.sort((a, b) => b.score - a.score).slice(0, limit);
}

export function covisited(s: EmbeddedFeatureStore, itemId: string, limit: number, nowMs: number): ScoredItem[] {
  const row = s.t.item.rowOf(itemId);
  if (row < 0) return [];
  const out: ScoredItem[] = [];
  const ids = s.t.item.ids;
  s.t.covis.topByFirst(row, limit, nowMs, (key, score) => out.push({ itemId: ids[key], score, handle: key }));
  return out;
}

export function authorUploads(s: EmbeddedFeatureStore, authorId: string, limit: number): ScoredItem[] {
  const row = s.t.author.rowOf(authorId);
  const out: ScoredItem[] = [];
  if (row < 0) return out;
  s.t.authorUploads.forEachNewest(row, (item, ts) => {
    if (!s.t.itemDeleted.get(item)) out.push({ itemId: s.t.item.ids[item], score: ts, handle: item });
    return out.length < limit;
  });
  return out;
}

export function itemBatch(s: EmbeddedFeatureStore, ids: readonly string[]): ItemBatch {
  const b = emptyBatch(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const row = s.t.item.rowOf(ids[i]);
    if (row >= 0) attrsOfRow(s, row, b, i);
  }
  return b;
}

function emptyBatch(n: number): ItemBatch {
  return {
    known: new Uint8Array(n),
    deleted: new Uint8Array(n),
    authorIds: new Array<string | undefined>(n).fill(undefined),
    categories: new Array<string | undefined>(n).fill(undefined),
    createdAtMs: new Float64Array(n),
  };
}

function attrsOfRow(s: EmbeddedFeatureStore, row: number, b: ItemBatch, i: number): void {
  const t = s.t;
  b.known[i] = t.itemKnown.get(row);
  b.deleted[i] = t.itemDeleted.get(row);
  const a = t.itemAuthor.get(row);
  b.authorIds[i] = a >= 0 ? t.author.ids[a] : undefined;
  b.categories[i] = s.dict.category.value(t.itemCategory.get(row));
  b.createdAtMs[i] = t.itemCreatedAt.get(row);
}

/** Where each serving feature is read from, resolved once per store. */
interface FeaturePlan {
  /** Per log-counter feature: index of its value in a row of the decayed column (counter × windows + window). */
  counterAt: Int32Array;
  /** Per log-counter feature: its window. */
  counterWindow: Int32Array;
  /** Per ratio: numerator's and denominator's value index (longest window). */
  ratioNum: Int32Array;
  ratioDen: Int32Array;
  /** Per ratio: counter names of numerator and denominator, for the priors. */
  ratioNames: (readonly [string, string])[];
}

const plans = new WeakMap<EmbeddedFeatureStore, FeaturePlan>();

function planOf(s: EmbeddedFeatureStore): FeaturePlan {
  let p = plans.get(s);
  if (p) return p;
  const c = s.t.itemCounters;
  const W = s.t.tausMs.length;
  const w = (label: string) => s.t.tausMs.findIndex((ms) => windowLabel(ms / 1000) === label);
  const logs = ITEM_SERVING_FEATURES.slice(0, 9).map((name) => {
    const m = /^log_(.+)_(\w+)$/.exec(name)!;
    return [c.index(m[1]), Math.max(0, w(m[2]))];
  });
  const ratios = FEATURE_DEFINITIONS.item.ratios;
  p = {
    counterAt: Int32Array.from(logs, ([ci, wi]) => ci * W + wi),
    counterWindow: Int32Array.from(logs, ([, wi]) => wi),
    ratioNum: Int32Array.from(ratios, (r) => c.index(r.num) * W + W - 1),
    ratioDen: Int32Array.from(ratios, (r) => c.index(r.den) * W + W - 1),
    ratioNames: ratios.map((r) => [r.num, r.den] as const),
  };
  plans.set(s, p);
  return p;
}

function priorOf(s: EmbeddedFeatureStore, num: string, den: string): number {
  const names = FEATURE_DEFINITIONS.item.counters.map((d) => d.name);
  const n = s.globalTotals[names.indexOf(num)];
  const d = s.globalTotals[names.indexOf(den)];
  return d > 0 ? Math.min(1, n / d) : 0.5;
}

/** Per-request state of the feature rows: the plan, the priors and a scratch of decay factors. */
function rowWriter(s: EmbeddedFeatureStore, nowMs: number, out: Float32Array) {
  const t = s.t;
  const p = planOf(s);
  const priors = Float64Array.from(p.ratioNames, ([num, den]) => priorOf(s, num, den));
  const taus = Float64Array.from(t.tausMs);
  const W = taus.length;
  const toNow = new Float64Array(W);
  const alpha = s.opts.features.ratePriorStrength;
  const ref = t.itemCounters.clock.ref;
  const decayed = t.itemCounters.decayed.col;
  const L = p.counterAt.length;
  const R = p.ratioNum.length;
  /** Writes the serving features of item `row` at `out[o…]` (all ITEM_SERVING_FEATURES.length of them). */
  return (row: number, o: number): void => {
    const dt = Math.max(0, nowMs - ref.get(row));
    for (let w = 0; w < W; w++) toNow[w] = Math.exp(-dt / taus[w]);
    const d = decayed.page(row);
    const db = decayed.base(row);
    let k = o;
    for (let j = 0; j < L; j++) {
      const v = Math.max(0, d[db + p.counterAt[j]] * toNow[p.counterWindow[j]]);
      out[k++] = v === 0 ? 0 : Math.log1p(v); // most of a big catalog has no recent events
    }
    const longest = toNow[W - 1];
    for (let j = 0; j < R; j++) {
      const num = d[db + p.ratioNum[j]] * longest;
      const den = d[db + p.ratioDen[j]] * longest;
      out[k++] = (num + alpha * priors[j]) / (den + alpha);
    }
    const created = t.itemCreatedAt.get(row);
    out[k++] = Number.isNaN(created) ? 0 : Math.max(0, (nowMs - created) / 3_600_000);
    out[k++] = t.itemDuration.get(row) / 1000;
  };
}

export function itemFeatures(s: EmbeddedFeatureStore, ids: readonly string[], nowMs: number, out: Float32Array): void {
  const F = ITEM_SERVING_FEATURES.length;
  if (out.length < ids.length * F) throw new RangeError(`out holds ${out.length} values, need ${ids.length * F}`);
  out.fill(0, 0, ids.length * F);
  const write = rowWriter(s, nowMs, out);
  for (let i = 0; i < ids.length; i++) {
    const row = s.t.item.rowOf(ids[i]);
    if (row >= 0) write(row, i * F);
  }
}

/**
 * itemBatch + itemFeatures in one pass: one visit of the (interleaved) row per item, found by its handle (the row)
 * when that row holds the id — a comparison of the same string object at best — else by one id lookup.
 */
export function candidateBatch(s: EmbeddedFeatureStore, ids: readonly string[], nowMs: number, out: Float32Array, handles?: ArrayLike<number>): ItemBatch {
  const F = ITEM_SERVING_FEATURES.length;
  if (out.length < ids.length * F) throw new RangeError(`out holds ${out.length} values, need ${ids.length * F}`);
  if (handles && handles.length < ids.length) throw new RangeError(`handles holds ${handles.length} values, need ${ids.length}`);
  out.fill(0, 0, ids.length * F);
  const b = emptyBatch(ids.length);
  const write = rowWriter(s, nowMs, out);
  for (let i = 0; i < ids.length; i++) {
    const h = handles ? handles[i] : -1;
    const row = s.isHandleOf(h, ids[i]) ? h : s.t.item.rowOf(ids[i]);
    if (row < 0) continue;
    attrsOfRow(s, row, b, i);
    write(row, i * F);
  }
  return b;
}
