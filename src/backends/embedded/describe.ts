/** Reads every feature of one entity out of the slabs, by name, as of a given time (the debug/freshness view). */
import { ENGAGEMENT_COUNTERS, FEATURE_DEFINITIONS, windowLabel } from '../../features/definitions.js';
import type { Entity, EntityFeatures } from '../../features/feature-store.js';
import type { EmbeddedFeatureStore } from './embedded-feature-store.js';
import type { CounterSet } from './feature-tables.js';

export function describeEntity(s: EmbeddedFeatureStore, entity: Entity, id: string, nowMs: number): EntityFeatures | undefined {
  const t = s.t;
  const table = entity === 'item' ? t.item : entity === 'user' ? t.user : t.author;
  const row = table.rowOf(id);
  if (row < 0) return undefined;
  const out: EntityFeatures = { entity, id, values: {}, lists: {}, maps: {}, attributes: {} };
  const counters = entity === 'item' ? t.itemCounters : entity === 'user' ? t.userCounters : t.authorCounters;
  readCounters(counters, row, nowMs, t.tausMs, out.values);
  const longest = t.tausMs.length - 1;

  if (entity !== 'author') {
    const ratios = entity === 'item' ? FEATURE_DEFINITIONS.item.ratios : FEATURE_DEFINITIONS.user.ratios;
    const alpha = s.opts.features.ratePriorStrength;
    for (const r of ratios) {
      const num = counters.decayed.read(row, counters.index(r.num), longest, nowMs);
      const den = counters.decayed.read(row, counters.index(r.den), longest, nowMs);
      const prior = globalRate(s, r.num, r.den);
      out.values[r.name] = (num + alpha * prior) / (den + alpha);
    }
  }

  if (entity === 'item') {
    const created = t.itemCreatedAt.get(row);
    if (!Number.isNaN(created)) out.values.age_sec = Math.max(0, (nowMs - created) / 1000);
    out.values.duration_ms = t.itemDuration.get(row);
    out.attributes.known = t.itemKnown.get(row) === 1;
    out.attributes.deleted = t.itemDeleted.get(row) === 1;
    const a = t.itemAuthor.get(row);
    if (a >= 0) out.attributes.author_id = t.author.ids[a];
    const c = s.dict.category.value(t.itemCategory.get(row));
    if (c !== undefined) out.attributes.category = c;
    if (s.itemTags[row]) out.attributes.tags = s.itemTags[row]!;
    if (!Number.isNaN(created)) out.attributes.created_at = created;
    out.maps.covis = t.covis.entries(row, nowMs).map((e) => ({ key: t.item.ids[e.key], values: { count: e.values[0] } }));
  } else if (entity === 'author') {
    const uploads: { id: string; ts: number }[] = [];
    t.authorUploads.forEachNewest(row, (r, ts) => void uploads.push({ id: t.item.ids[r], ts }));
    out.lists.uploads = uploads;
  } else {
    for (const { def, list } of t.lastN) {
      const ids = def.of === 'item' ? t.item.ids : t.author.ids;
      const entries: { id: string; ts: number }[] = [];
      list.forEachNewest(row, (r, ts) => void entries.push({ id: ids[r], ts }));
      out.lists[def.name] = entries;
    }
    const fields = FEATURE_DEFINITIONS.user.topKFields;
    const asRecord = (vals: number[]) => Object.fromEntries(fields.map((f, i) => [f, vals[i]]));
    out.maps.categories = t.userCategories.entries(row, nowMs).map((e) => ({ key: s.dict.category.value(e.key) ?? '', values: asRecord(e.values) }));
    out.maps.authors = t.userAuthors.entries(row, nowMs).map((e) => ({ key: t.author.ids[e.key], values: asRecord(e.values) }));
    const sess = Array.from({ length: 7 }, (_, k) => t.userSession.get(row, k));
    out.values.session_items = sess[3];
    out.values.session_views = sess[4];
    out.values.session_mean_watch_ratio = sess[6] > 0 ? sess[5] / sess[6] : 0;
    out.values.session_length_sec = sess[2] > 0 ? (sess[2] - sess[1]) / 1000 : 0;
    const dicts: [string, number, { value(c: number): string | undefined }][] = [
      ['country', t.userCountry.get(row), s.dict.country],
      ['language', t.userLanguage.get(row), s.dict.language],
      ['age_bucket', t.userAgeBucket.get(row), s.dict.ageBucket],
    ];
    for (const [name, code, dict] of dicts) {
      const v = dict.value(code);
      if (v !== undefined) out.attributes[name] = v;
    }
    if (!Number.isNaN(t.userCreatedAt.get(row))) out.attributes.created_at = t.userCreatedAt.get(row);
  }
  return out;
}

function readCounters(c: CounterSet, row: number, nowMs: number, tausMs: readonly number[], into: Record<string, number>): void {
  c.defs.forEach((d, i) => {
    tausMs.forEach((tau, w) => {
      into[`${d.name}_${windowLabel(tau / 1000)}`] = c.decayed.read(row, i, w, nowMs);
    });
    into[`${d.name}_total`] = c.totals.read(row, i);
  });
}

/** Global rate num/den from exact totals (0.5 before any data), the prior of a smoothed rate. */
function globalRate(s: EmbeddedFeatureStore, num: string, den: string): number {
  const ni = ENGAGEMENT_COUNTERS.findIndex((d) => d.name === num);
  const di = ENGAGEMENT_COUNTERS.findIndex((d) => d.name === den);
  const n = s.globalTotals[ni];
  const d = s.globalTotals[di];
  return d > 0 ? Math.min(1, n / d) : 0.5;
}
