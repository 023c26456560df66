/**
 * Conformance suite of the `FeatureStore` port (src/features/feature-store.ts): every adapter runs it with a
 * factory for an empty store. It checks the feature semantics through the port only: windows and totals, decay,
 * order-independence of late events, smoothed rates, last-N lists, top-K maps, co-visitation, sessions, authors,
 * trending, country/language trending, deletions, positions, and checkpoint + reopen.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredEvent } from '../../src/domain/schemas.js';
import { ITEM_SERVING_FEATURES } from '../../src/features/definitions.js';
import type { FeatureStore, UserSegment } from '../../src/features/feature-store.js';
import type { LogEntry } from '../../src/log/log-entry.js';
import { makeEvents, makeItems, T0 } from '../helpers/fixtures.js';

export interface FeatureStoreFactory {
  /** A new, empty store over 2 log partitions, with default feature config (lastN 50). */
  open(): Promise<FeatureStore>;
  /** The same storage after `checkpoint()` + `close()`, when the adapter persists. */
  reopen?(): Promise<FeatureStore>;
}

const HOUR = 3_600_000;
const LAST_N = 50;
let seq = 0;
const ev = (e: Partial<StoredEvent> & { type: StoredEvent['type'] }): LogEntry => ({
  kind: 'event',
  event: { id: `ev-${seq++}`, user_id: 'u1', item_id: 'i1', ts: T0, ...e } as StoredEvent,
});
const item = (id: string, extra: Partial<ReturnType<typeof makeItems>[number]> = {}): LogEntry => ({
  kind: 'item',
  item: { id, author_id: 'a1', created_at: T0 - HOUR, duration_ms: 10_000, category: 'music', ...extra },
  ts: T0,
});

const user = (id: string, country?: string, language?: string, ts = T0): LogEntry => ({ kind: 'user', user: { id, country, language }, ts });

/** Every country and language list of the store, as of `nowMs`. */
function segmentLists(s: FeatureStore, nowMs: number, countries: readonly string[], languages: readonly string[]) {
  const of = (kind: UserSegment, values: readonly string[]) => Object.fromEntries(values.map((v) => [v, s.trendingIn(kind, v, 1000, nowMs)]));
  return { country: of('country', countries), language: of('language', languages) };
}

/** A log with user profiles (some changing midway), 300 items and 6000 events, cut in two at `cut`. */
function segmentedLog(cut: number): [LogEntry[], LogEntry[]] {
  const countries = ['FR', 'DE', 'US', 'BR'];
  const languages = ['fr', 'de', 'en', 'pt'];
  const entries: LogEntry[] = makeItems(300).map((it) => ({ kind: 'item', item: it, ts: T0 }));
  for (let u = 0; u < 40; u++) entries.push(u % 9 === 8 ? user(`u${u}`) : user(`u${u}`, countries[u % 4], languages[(u >> 2) % 4]));
  makeEvents(6000, { users: 40, items: 300, seed: 7 }).forEach((e, i) => {
    if (i % 500 === 250) entries.push(user(`u${i % 40}`, countries[(i >> 3) % 4], i % 1000 === 250 ? undefined : languages[i % 4], e.ts));
    entries.push({ kind: 'event', event: { ...e, ts: e.ts! } });
  });
  return [entries.slice(0, cut), entries.slice(cut)];
}

export function featureStoreConformance(name: string, factory: FeatureStoreFactory): void {
  const store = () => factory.open();
  void describe(`FeatureStore conformance: ${name}`, () => {
    void it('counts per window and in total, and decays with time', async () => {
      const s = await store();
      s.apply([item('i1'), ev({ type: 'like' }), ev({ type: 'like', ts: T0 + HOUR })], [0, 2]);
      const now = T0 + HOUR;
      const f = s.describe('item', 'i1', now)!;
      assert.equal(f.values.likes_total, 2);
      // first like is one time constant (1h) old: e^-1 + 1
      assert.ok(Math.abs(f.values.likes_1h - (1 + Math.exp(-1))) < 1e-5, `likes_1h=${f.values.likes_1h}`);
      assert.ok(Math.abs(f.values.likes_7d - (1 + Math.exp(-1 / 168))) < 1e-5);
      const later = s.describe('item', 'i1', now + 2 * HOUR)!;
      assert.ok(Math.abs(later.values.likes_1h - (1 + Math.exp(-1)) * Math.exp(-2)) < 1e-5);
      assert.equal(later.values.likes_total, 2);
      assert.deepEqual(s.positions(), [0, 2]);
    });

    void it('adds late events already decayed, so arrival order does not matter', async () => {
      const a = await store();
      const b = await store();
      const e1 = ev({ type: 'view', watch_ms: 5000, ts: T0 });
      const e2 = ev({ type: 'view', watch_ms: 8000, ts: T0 + 2 * HOUR });
      a.apply([item('i1'), e1, e2], [3, 0]);
      b.apply([item('i1'), e2, e1], [3, 0]);
      const fa = a.describe('item', 'i1', T0 + 3 * HOUR)!.values;
      const fb = b.describe('item', 'i1', T0 + 3 * HOUR)!.values;
      for (const k of Object.keys(fa)) assert.ok(Math.abs(fa[k] - fb[k]) <= 1e-5 * Math.max(1, Math.abs(fa[k])), k);
      assert.equal(fa.watch_ms_total, 13_000);
    });

    void it('smooths rates towards the global rate', async () => {
      const s = await store();
      const entries: LogEntry[] = [item('i1'), item('i2')];
      for (let i = 0; i < 10; i++) entries.push(ev({ type: 'impression', item_id: 'i2', request_id: 'r', position: 0 }));
      entries.push(ev({ type: 'like', item_id: 'i2' }));
      entries.push(ev({ type: 'impression', item_id: 'i1', request_id: 'r', position: 0 }), ev({ type: 'like', item_id: 'i1' }));
      s.apply(entries, [0, 0]);
      const f1 = s.describe('item', 'i1', T0)!.values;
      const f2 = s.describe('item', 'i2', T0)!.values;
      const prior = 2 / 11;
      assert.ok(Math.abs(f1.like_rate - (1 + 20 * prior) / (1 + 20)) < 1e-5);
      assert.ok(f1.like_rate > f2.like_rate, 'one like in one impression beats one in ten');
      assert.ok(f1.like_rate < 0.5, 'but a single impression is pulled to the prior');
    });

    void it('keeps last-N lists bounded and newest first, and per-category/author maps', async () => {
      const s = await store();
      const entries: LogEntry[] = [item('i1'), item('i2', { category: 'sport', author_id: 'a2' })];
      for (let i = 0; i < LAST_N + 5; i++) entries.push(ev({ type: 'like', item_id: i % 2 ? 'i2' : 'i1', ts: T0 + i * 1000 }));
      s.apply(entries, [0, 0]);
      const u = s.describe('user', 'u1', T0 + 100_000)!;
      assert.equal(u.lists.liked.length, LAST_N);
      assert.equal(u.lists.liked[0].ts, T0 + (LAST_N + 4) * 1000);
      assert.deepEqual(new Set(u.maps.categories.map((c) => c.key)), new Set(['music', 'sport']));
      assert.deepEqual(new Set(u.maps.authors.map((c) => c.key)), new Set(['a1', 'a2']));
      assert.ok(u.maps.categories[0].values.positives > 20);
    });

    void it('counts co-visitation between consecutive positives, both ways', async () => {
      const s = await store();
      s.apply(
        [item('i1'), item('i2'), item('i3'), ev({ type: 'complete', item_id: 'i1', ts: T0 }), ev({ type: 'like', item_id: 'i2', ts: T0 + 1000 }),
          ev({ type: 'skip', item_id: 'i3', ts: T0 + 2000 })],
        [0, 0],
      );
      const i1 = s.describe('item', 'i1', T0 + 2000)!;
      const i2 = s.describe('item', 'i2', T0 + 2000)!;
      assert.deepEqual(i1.maps.covis.map((c) => c.key), ['i2']);
      assert.deepEqual(i2.maps.covis.map((c) => c.key), ['i1']);
      assert.deepEqual(s.describe('item', 'i3', T0)!.maps.covis, [], 'a skip is not a positive');
    });

    void it('tracks sessions, followers, uploads, trending and deletions', async () => {
      const s = await store();
      s.apply(
        [
          item('i1'),
          item('i2'),
          ev({ type: 'impression', item_id: 'i1', request_id: 'r', position: 0, session_id: 's1' }),
          ev({ type: 'view', item_id: 'i1', watch_ms: 5000, session_id: 's1', ts: T0 + 1 }),
          ev({ type: 'view', item_id: 'i2', watch_ms: 10_000, session_id: 's1', ts: T0 + 2 }),
          ev({ type: 'like', item_id: 'i2', ts: T0 + 3, session_id: 's1' }),
          { kind: 'event', event: { type: 'follow', id: 'f', user_id: 'u2', author_id: 'a1', ts: T0 } },
          { kind: 'item_delete', itemId: 'i1', ts: T0 },
        ],
        [0, 0],
      );
      const u = s.describe('user', 'u1', T0 + 10)!.values;
      assert.equal(u.session_items, 1);
      assert.equal(u.session_views, 2);
      assert.ok(Math.abs(u.session_mean_watch_ratio - 0.75) < 1e-9);
      const a = s.describe('author', 'a1', T0)!.values;
      assert.equal(a.followers_total, 1);
      assert.equal(a.uploads_total, 2);
      assert.deepEqual(s.trending(10, T0 + 10).map((t) => t.itemId), ['i2'], 'deleted i1 is not trending');
      // the candidate lists carry the store's handles
      const listed = [...s.trending(10, T0 + 10), ...s.fresh(10, T0 + 10, 86_400_000), ...s.authorUploads('a1', 10), ...s.trendingInCategory('music', 10, T0 + 10)];
      assert.ok(listed.length > 0);
      for (const x of listed) if (x.handle !== undefined) assert.equal(x.handle, s.itemHandle(x.itemId), x.itemId);
      listed[0].score = -1; // the caller owns what a list returns
      assert.notEqual(s.trending(10, T0 + 10)[0].score, -1);
      assert.equal(s.describe('item', 'i1', T0)!.attributes.deleted, true);
    });

    void it('reads candidate attributes and serving features, in two calls or in one with the same values', async () => {
      const s = await store();
      const entries: LogEntry[] = [item('i1'), item('i2', { category: 'sport', author_id: 'a2', duration_ms: 30_000 }), item('i3')];
      for (let i = 0; i < 6; i++) entries.push(ev({ type: 'impression', item_id: 'i2', request_id: 'r', position: 0, ts: T0 + i * 60_000 }));
      entries.push(ev({ type: 'like', item_id: 'i2', ts: T0 + HOUR }), ev({ type: 'view', item_id: 'i9', watch_ms: 1000, ts: T0 + HOUR }));
      entries.push({ kind: 'item_delete', itemId: 'i3', ts: T0 });
      s.apply(entries, [0, 0]);
      const ids = ['i2', 'nope', 'i1', 'i3', 'i9', 'i2'];
      const now = T0 + 2 * HOUR;
      const F = ITEM_SERVING_FEATURES.length;
      const attrs = s.itemBatch(ids);
      assert.deepEqual(Array.from(attrs.known), [1, 0, 1, 1, 0, 1], 'i9 has events but no catalog entry');
      assert.deepEqual(Array.from(attrs.deleted), [0, 0, 0, 1, 0, 0]);
      assert.deepEqual(attrs.authorIds, ['a2', undefined, 'a1', 'a1', undefined, 'a2']);
      assert.deepEqual(attrs.categories, ['sport', undefined, 'music', 'music', undefined, 'sport']);
      assert.equal(attrs.createdAtMs[0], T0 - HOUR);
      const values = new Float32Array(ids.length * F).fill(7);
      s.itemFeatures(ids, now, values);
      const at = (i: number, name: (typeof ITEM_SERVING_FEATURES)[number]) => values[i * F + ITEM_SERVING_FEATURES.indexOf(name)];
      const i2 = s.describe('item', 'i2', now)!.values;
      assert.ok(Math.abs(at(0, 'log_impressions_1d') - Math.log1p(i2.impressions_1d)) < 1e-5);
      assert.ok(Math.abs(at(0, 'log_likes_1d') - Math.log1p(i2.likes_1d)) < 1e-5);
      assert.ok(Math.abs(at(0, 'like_rate') - i2.like_rate) < 1e-5);
      assert.ok(Math.abs(at(0, 'age_hours') - 3) < 1e-5);
      assert.equal(at(0, 'duration_sec'), 30);
      assert.deepEqual(Array.from(values.subarray(F, 2 * F)), new Array<number>(F).fill(0), 'an unknown item reads as zeros');
      assert.deepEqual(Array.from(values.subarray(0, F)), Array.from(values.subarray(5 * F, 6 * F)), 'a repeated id reads the same');
      const fused = new Float32Array(ids.length * F + 3).fill(7);
      assert.deepEqual(s.candidateBatch(ids, now, fused), attrs);
      assert.deepEqual(fused.subarray(0, ids.length * F), values);
      assert.deepEqual(Array.from(fused.subarray(ids.length * F)), [7, 7, 7], 'nothing written past the ids');
      assert.throws(() => s.candidateBatch(ids, now, new Float32Array(F)), RangeError);
      assert.deepEqual(s.candidateBatch([], now, new Float32Array(0)).authorIds, []);

      // item handles: distinct per item, kept after a delete, −1 unknown; a wrong handle never reads another item
      const handles = ids.map((id) => s.itemHandle(id));
      assert.equal(handles[1], -1);
      assert.equal(handles[0], handles[5]);
      assert.equal(new Set([handles[0], handles[2], handles[3], handles[4]]).size, 4);
      assert.ok(handles[3] >= 0, 'a deleted item keeps its handle');
      assert.ok(s.isHandleOf(handles[0], 'i2') && s.isHandleOf(handles[3], 'i3'));
      assert.ok(!s.isHandleOf(handles[0], 'i1') && !s.isHandleOf(-1, 'nope') && !s.isHandleOf(1e9, 'i2') && !s.isHandleOf(0.5, 'i2'));
      const withHandles = new Float32Array(ids.length * F);
      assert.deepEqual(s.candidateBatch(ids, now, withHandles, Int32Array.from(handles)), attrs);
      assert.deepEqual(withHandles, values);
      for (const wrong of [[...handles].reverse(), handles.map((h) => h + 1), handles.map(() => 1e9), handles.map(() => -1)]) {
        const v = new Float32Array(ids.length * F);
        assert.deepEqual(s.candidateBatch(ids, now, v, Int32Array.from(wrong)), attrs, `handles ${wrong.join(',')}`);
        assert.deepEqual(v, values);
      }
      assert.throws(() => s.candidateBatch(ids, now, withHandles, new Int32Array(2)), RangeError);
    });

    void it('keeps trending lists per country and language from the acting users', async () => {
      const s = await store();
      s.apply(
        [
          item('i1'),
          item('i2'),
          item('i3'),
          item('i4'),
          user('fr1', 'FR', 'fr'),
          user('fr2', 'FR', 'fr'),
          user('be1', 'BE', 'fr'),
          user('de1', 'DE', 'de'),
          user('anon'),
          ev({ type: 'like', user_id: 'fr1', item_id: 'i1' }),
          ev({ type: 'like', user_id: 'fr2', item_id: 'i1', ts: T0 + 1000 }),
          ev({ type: 'complete', user_id: 'fr2', item_id: 'i2', ts: T0 + 2000 }),
          ev({ type: 'impression', user_id: 'fr1', item_id: 'i4', request_id: 'r', position: 0 }),
          ev({ type: 'share', user_id: 'be1', item_id: 'i3', ts: T0 + 3000 }),
          ev({ type: 'like', user_id: 'de1', item_id: 'i3', ts: T0 + 4000 }),
          ev({ type: 'like', user_id: 'anon', item_id: 'i4', ts: T0 + 5000 }),
          ev({ type: 'like', user_id: 'stranger', item_id: 'i4', ts: T0 + 5000 }),
        ],
        [0, 0],
      );
      const now = T0 + HOUR;
      const ids = (kind: UserSegment, v: string, limit = 10) => s.trendingIn(kind, v, limit, now).map((x) => x.itemId);
      assert.deepEqual(ids('country', 'FR'), ['i1', 'i2'], 'an impression is not engagement');
      assert.deepEqual(ids('country', 'DE'), ['i3']);
      assert.deepEqual(ids('country', 'BE'), ['i3']);
      assert.deepEqual(ids('language', 'fr'), ['i1', 'i3', 'i2'], 'two likes outweigh a share, which outweighs a complete');
      assert.deepEqual(ids('language', 'de'), ['i3']);
      assert.deepEqual(ids('country', 'FR', 1), ['i1']);
      assert.deepEqual(ids('country', 'FR', 0), []);
      // scores: the segment's share of the item's decayed engagement (here all of it), decayed to now
      const fr = s.trendingIn('country', 'FR', 10, now);
      for (const x of fr) {
        const whole = s.describe('item', x.itemId, now)!.values.engagement_1d;
        assert.ok(Math.abs(x.score - whole) <= 1e-5 * whole, `${x.itemId}: ${x.score} vs ${whole}`);
      }
      const de = s.trendingIn('language', 'de', 10, now)[0].score;
      const i3 = s.describe('item', 'i3', now)!.values.engagement_1d;
      assert.ok(de > 0 && de < i3, 'a segment counts only its own users');
      const later = s.trendingIn('country', 'FR', 10, now + 86_400_000)[0].score;
      assert.ok(Math.abs(later - fr[0].score * Math.exp(-1)) <= 1e-5 * later, 'decays with the trending window');
      assert.deepEqual(ids('country', 'XX'), [], 'unknown value');
      assert.deepEqual(ids('language', 'FR'), [], 'values are per kind');
      assert.deepEqual(s.trendingIn('region' as UserSegment, 'FR', 10, now), [], 'unknown segment kind');
      s.apply([{ kind: 'item_delete', itemId: 'i1', ts: T0 }], [0, 0]);
      assert.deepEqual(ids('country', 'FR'), ['i2'], 'deleted items are left out');
    });

    void it('counts an event for the segment the user had when it was applied', async () => {
      const s = await store();
      s.apply(
        [
          item('i1'),
          item('i2'),
          item('i3'),
          ev({ type: 'like', user_id: 'm', item_id: 'i3' }),
          user('m', 'FR', 'fr'),
          ev({ type: 'like', user_id: 'm', item_id: 'i1', ts: T0 + 1000 }),
          user('m', 'DE', 'fr'),
          ev({ type: 'like', user_id: 'm', item_id: 'i2', ts: T0 + 2000 }),
          user('m'),
          ev({ type: 'like', user_id: 'm', item_id: 'i3', ts: T0 + 3000 }),
        ],
        [0, 0],
      );
      const ids = (kind: UserSegment, v: string) => s.trendingIn(kind, v, 10, T0 + 3000).map((x) => x.itemId);
      assert.deepEqual(ids('country', 'FR'), ['i1']);
      assert.deepEqual(ids('country', 'DE'), ['i2']);
      assert.deepEqual(new Set(ids('language', 'fr')), new Set(['i1', 'i2']), 'neither before the profile nor after it was cleared');
    });

    void it('restores country/language trending exactly after checkpoint, reopen and replay', async (t) => {
      if (!factory.reopen) return t.skip('adapter does not persist');
      const [head, tail] = segmentedLog(3500);
      const now = T0 + 86_400_000;
      const countries = ['FR', 'DE', 'US', 'BR'];
      const languages = ['fr', 'de', 'en', 'pt'];
      const straight = await store();
      straight.apply([...head, ...tail], [2, 2]);
      const expected = segmentLists(straight, now, countries, languages);
      assert.ok(expected.country.FR.length > 50 && expected.language.en.length > 50, 'the lists are populated');
      await straight.close();

      const a = await store();
      a.apply(head, [1, 1]);
      await a.checkpoint();
      a.apply(tail, [2, 2]);
      assert.deepEqual(segmentLists(a, now, countries, languages), expected, 'applying in two batches changes nothing');
      await a.close();
      const b = await factory.reopen();
      assert.deepEqual(b.positions(), [1, 1]);
      b.apply(tail, [2, 2]);
      assert.deepEqual(segmentLists(b, now, countries, languages), expected);
      await b.close();
    });

    void it('restores state and positions after checkpoint and reopen', async (t) => {
      if (!factory.reopen) return t.skip('adapter does not persist');
      const a = await store();
      const entries: LogEntry[] = makeItems(50).map((it) => ({ kind: 'item', item: it, ts: T0 }));
      for (const e of makeEvents(3000)) entries.push({ kind: 'event', event: { ...e, ts: e.ts! } });
      a.apply(entries, [1234, 99]);
      const now = T0 + 3 * 86_400_000;
      const before = ['u0', 'u5', 'u19'].map((u) => a.describe('user', u, now));
      const items = ['i0', 'i7', 'i49'].map((i) => a.describe('item', i, now));
      await a.checkpoint();
      await a.close();
      const b = await factory.reopen();
      assert.deepEqual(b.positions(), [1234, 99]);
      assert.deepEqual(['u0', 'u5', 'u19'].map((u) => b.describe('user', u, now)), before);
      assert.deepEqual(['i0', 'i7', 'i49'].map((i) => b.describe('item', i, now)), items);
      await b.close();
    });
  });
}
