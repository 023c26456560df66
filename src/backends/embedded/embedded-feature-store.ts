/**
 * The embedded `FeatureStore` adapter: columnar slabs in process memory (see feature-tables.ts), persisted as a
 * snapshot file plus log replay. Applying an entry is synchronous and allocation-light; reads decay values to the
 * caller's `nowMs`.
 */
import type { FeedloopConfig } from '../../config/config.js';
import type { Item, StoredEvent, User } from '../../domain/schemas.js';
import { ENGAGEMENT_COUNTERS, ITEM_ENGAGEMENT, TRENDING_WINDOW, type EventFacts } from '../../features/definitions.js';
import type { Entity, EntityFeatures, FeatureStore, ItemBatch, ScoredItem, StoreStats, UserSegment } from '../../features/feature-store.js';
import type { LogEntry } from '../../log/log-entry.js';
import { Dictionary } from './dictionary.js';
import { FeatureTables, TYPE_CODE } from './feature-tables.js';
import { describeEntity } from './describe.js';
import * as reads from './serving-reads.js';
import { readSnapshot, writeSnapshot, type SnapshotSidecar } from './snapshot-file.js';
import { FreshList } from './fresh-list.js';
import { TrendingList } from './trending-list.js';
import { SegmentTrending } from './segment-trending.js';

export interface EmbeddedStoreOptions {
  features: FeedloopConfig['features'];
  partitionCount: number;
  /** Snapshot file; in-memory only (no checkpoints) when undefined. */
  snapshotPath?: string;
  /** Extra state saved in the same snapshot, atomically with the features (e.g. the event-id index). */
  sidecars?: SnapshotSidecar[];
  /** @internal false: the item serving columns column by column instead of interleaved (A/B benchmarks only). */
  interleaveItems?: boolean;
}

export class EmbeddedFeatureStore implements FeatureStore {
  readonly name = 'embedded';
  readonly t: FeatureTables;
  readonly dict = { category: new Dictionary(), country: new Dictionary(), language: new Dictionary(), ageBucket: new Dictionary() };
  /** Catalog text and tags by item row (metadata, not features). */
  readonly itemText: (string | undefined)[] = [];
  readonly itemTags: (string[] | undefined)[] = [];
  /** Global exact totals of the engagement counters: the priors of smoothed rates. */
  readonly globalTotals = new Float64Array(ENGAGEMENT_COUNTERS.length);
  readonly trendingList: TrendingList;
  /** Trending list per category code. */
  readonly categoryTrending = new Map<number, TrendingList>();
  /** Trending lists per user country / language code, fed with the acting user's segment at apply time. */
  readonly segmentTrending: SegmentTrending;
  /** Recent uploads, for the fresh source. */
  readonly freshList: FreshList;
  private readonly trendingWindow: number;
  private pos: number[];
  private readonly f: EventFacts = { durationMs: 0, watchRatio: NaN, positive: false };
  private readonly engagementIdx: number;
  private readonly positivesList: number;

  private constructor(readonly opts: EmbeddedStoreOptions) {
    this.t = new FeatureTables(opts.features, opts.interleaveItems ?? true);
    this.pos = new Array<number>(opts.partitionCount).fill(0);
    this.trendingWindow = Math.min(TRENDING_WINDOW, this.t.tausMs.length - 1);
    this.trendingList = new TrendingList(opts.features.trendingTopK, this.t.tausMs[this.trendingWindow]);
    this.freshList = new FreshList(opts.features.freshN);
    this.segmentTrending = new SegmentTrending(opts.features.categoryTrendingK, this.trendingList.tauMs);
    this.engagementIdx = this.t.itemCounters.index(ITEM_ENGAGEMENT.name);
    this.positivesList = this.t.lastN.findIndex((l) => l.def.name === 'positives');
  }

  /** Opens the store, restoring the snapshot at `snapshotPath` when there is one. */
  static async open(opts: EmbeddedStoreOptions): Promise<EmbeddedFeatureStore> {
    const s = new EmbeddedFeatureStore(opts);
    if (opts.snapshotPath) await readSnapshot(opts.snapshotPath, s, s.sidecars());
    return s;
  }

  positions(): number[] {
    return [...this.pos];
  }
  /** @internal snapshot restore */
  setPositions(p: readonly number[]): void {
    if (p.length !== this.pos.length) throw new Error(`snapshot has ${p.length} partitions, log has ${this.pos.length}`);
    this.pos = [...p];
  }

  apply(entries: readonly LogEntry[], positionsAfter: readonly number[]): void {
    for (const e of entries) {
      switch (e.kind) {
        case 'event':
          this.applyEvent(e.event);
          break;
        case 'item':
          this.applyItem(e.item);
          break;
        case 'user':
          this.applyUser(e.user);
          break;
        case 'item_delete':
          this.t.itemDeleted.set(this.t.item.upsert(e.itemId), 1);
          break;
      }
    }
    this.pos = [...positionsAfter];
  }

  async checkpoint(): Promise<void> {
    if (this.opts.snapshotPath) await writeSnapshot(this.opts.snapshotPath, this, this.sidecars());
  }

  describe(entity: Entity, id: string, nowMs: number): EntityFeatures | undefined {
    return describeEntity(this, entity, id, nowMs);
  }

  trending(limit: number, nowMs: number): ScoredItem[] {
    return reads.liveTop(this, this.trendingList, limit, nowMs);
  }

  trendingInCategory(category: string, limit: number, nowMs: number): ScoredItem[] {
    return reads.trendingInCategory(this, category, limit, nowMs);
  }
  trendingIn(segment: UserSegment, value: string, limit: number, nowMs: number): ScoredItem[] {
    return reads.trendingIn(this, segment, value, limit, nowMs);
  }
  fresh(limit: number, nowMs: number, maxAgeMs: number): ScoredItem[] {
    return reads.fresh(this, limit, nowMs, maxAgeMs);
  }
  covisited(itemId: string, limit: number, nowMs: number): ScoredItem[] {
    return reads.covisited(this, itemId, limit, nowMs);
  }
  authorUploads(authorId: string, limit: number): ScoredItem[] {
    return reads.authorUploads(this, authorId, limit);
  }
  itemIds(): readonly string[] {
    return this.t.item.ids;
  }
  itemBatch(ids: readonly string[]): ItemBatch {
    return reads.itemBatch(this, ids);
  }
  itemFeatures(ids: readonly string[], nowMs: number, out: Float32Array): void {
    reads.itemFeatures(this, ids, nowMs, out);
  }
  candidateBatch(ids: readonly string[], nowMs: number, out: Float32Array, handles?: ArrayLike<number>): ItemBatch {
    return reads.candidateBatch(this, ids, nowMs, out, handles);
  }
  /** The item's row in the item slabs: rows are appended and never reused, and snapshots keep them. */
  itemHandle(id: string): number {
    return this.t.item.rowOf(id);
  }
  isHandleOf(handle: number, id: string): boolean {
    return handle >= 0 && handle < this.t.item.ids.length && this.t.item.ids[handle] === id;
  }

  stats(): StoreStats {
    const t = this.t;
    return {
      items: t.item.size,
      users: t.user.size,
      authors: t.author.size,
      bytesPerRow: t.bytesPerRow(),
      lastNBytes: t.lastN.reduce((sum, l) => sum + l.list.bytes(), 0),
      totalBytes: t.item.bytes() + t.user.bytes() + t.author.bytes(),
    };
  }

  async close(): Promise<void> {}

  /** State outside the slab tables that snapshots carry: last-N arenas and the caller's sidecars. */
  private sidecars(): SnapshotSidecar[] {
    const lists = [...this.t.lastN.map((l) => l.list), this.t.authorUploads];
    const arenas = lists.map((list) => ({ name: `last-n:${list.name}`, serialize: () => list.serialize(), restore: (b: Uint8Array) => list.restore(b) }));
    return [...arenas, ...(this.opts.sidecars ?? [])];
  }

  private applyItem(item: Item): void {
    const t = this.t;
    const row = t.item.upsert(item.id);
    const isNew = !t.itemKnown.get(row);
    t.itemKnown.set(row, 1);
    t.itemDeleted.set(row, 0);
    t.itemCreatedAt.set(row, item.created_at);
    t.itemDuration.set(row, item.duration_ms ?? 0);
    const authorRow = t.author.upsert(item.author_id);
    t.itemAuthor.set(row, authorRow);
    t.itemCategory.set(row, item.category === undefined ? -1 : this.dict.category.code(item.category));
    this.itemText[row] = item.text;
    this.itemTags[row] = item.tags;
    if (isNew) {
      t.authorCounters.clock.advance(authorRow, item.created_at);
      t.authorCounters.addTo(authorRow, t.authorCounters.index('uploads'), 1);
      t.authorUploads.push(authorRow, row, item.created_at);
      this.freshList.push(row, item.created_at);
    }
  }

  private applyUser(user: User): void {
    const t = this.t;
    const row = t.user.upsert(user.id);
    t.userCountry.set(row, user.country === undefined ? -1 : this.dict.country.code(user.country));
    t.userLanguage.set(row, user.language === undefined ? -1 : this.dict.language.code(user.language));
    t.userAgeBucket.set(row, user.age_bucket === undefined ? -1 : this.dict.ageBucket.code(user.age_bucket));
    t.userCreatedAt.set(row, user.created_at ?? NaN);
  }

  private applyEvent(e: StoredEvent): void {
    const t = this.t;
    const code = TYPE_CODE[e.type];
    const itemId = 'item_id' in e ? e.item_id : undefined;
    const itemRow = itemId === undefined ? -1 : t.item.upsert(itemId);
    const f = this.facts(e, itemRow);
    const authorRow = e.type === 'follow' ? t.author.upsert(e.author_id) : itemRow >= 0 ? t.itemAuthor.get(itemRow) : -1;

    const userRow = t.user.upsert(e.user_id);
    t.userCounters.clock.advance(userRow, e.ts);
    t.userCounters.apply(userRow, code, e, f);
    this.updateSession(userRow, e, f);
    for (const { def, list } of t.lastNByType[code]) {
      if (def.positiveOnly && !f.positive) continue;
      if (def.hideScope && (e.type !== 'hide' || (e.scope ?? 'item') !== def.hideScope)) continue;
      const target = def.of === 'item' ? itemRow : authorRow;
      if (target >= 0) list.push(userRow, target, e.ts);
    }

    if (itemRow >= 0) {
      t.itemCounters.clock.advance(itemRow, e.ts);
      t.itemCounters.apply(itemRow, code, e, f);
      if (ITEM_ENGAGEMENT.on.includes(e.type)) {
        this.updateTrending(itemRow);
        this.updateSegmentTrending(userRow, itemRow, e, f);
      }
      const category = t.itemCategory.get(itemRow);
      const field = f.positive ? 0 : e.type === 'impression' ? 1 : e.type === 'skip' ? 2 : -1;
      if (field >= 0) {
        if (category >= 0) t.userCategories.add(userRow, category, field, 1);
        if (authorRow >= 0) t.userAuthors.add(userRow, authorRow, field, 1);
      }
    }
    if (authorRow >= 0) {
      t.authorCounters.clock.advance(authorRow, e.ts);
      t.authorCounters.apply(authorRow, code, e, f);
    }
    for (let i = 0; i < ENGAGEMENT_COUNTERS.length; i++) {
      const d = ENGAGEMENT_COUNTERS[i];
      if (d.on.includes(e.type) && (!d.when || d.when(e, f))) this.globalTotals[i] += d.amount ? d.amount(e, f) : 1;
    }
    if (f.positive && itemRow >= 0) this.updateCovisitation(userRow, itemRow, e.ts);
  }

  /** Duration, watch ratio and positivity of an event, computed once. */
  private facts(e: StoredEvent, itemRow: number): EventFacts {
    const f = this.f;
    f.durationMs = itemRow >= 0 ? this.t.itemDuration.get(itemRow) : 0;
    const watch = 'watch_ms' in e && typeof e.watch_ms === 'number' ? e.watch_ms : undefined;
    f.watchRatio = watch !== undefined && f.durationMs > 0 ? Math.min(2, watch / f.durationMs) : NaN;
    switch (e.type) {
      case 'complete':
      case 'like':
      case 'share':
      case 'comment':
        f.positive = true;
        break;
      case 'view':
        f.positive = f.watchRatio >= this.opts.features.positiveWatchRatio;
        break;
      default:
        f.positive = false;
    }
    return f;
  }

  private updateSession(row: number, e: StoredEvent, f: EventFacts): void {
    const s = this.t.userSession.page(row);
    const b = this.t.userSession.base(row);
    const sid = e.session_id === undefined ? NaN : hashString(e.session_id);
    const sameSession =
      s[b + 2] > 0 &&
      (Number.isNaN(sid) ? Number.isNaN(s[b]) && e.ts - s[b + 2] <= this.opts.features.sessionGapMs : s[b] === sid);
    if (!sameSession) {
      s.fill(0, b, b + 7);
      s[b] = sid;
      s[b + 1] = e.ts;
    }
    s[b + 2] = Math.max(s[b + 2], e.ts);
    if (e.type === 'impression') s[b + 3]++;
    if (e.type === 'view') s[b + 4]++;
    if (!Number.isNaN(f.watchRatio)) {
      s[b + 5] += f.watchRatio;
      s[b + 6]++;
    }
  }

  private updateTrending(itemRow: number): void {
    const c = this.t.itemCounters;
    const value = c.decayed.raw(itemRow, this.engagementIdx, this.trendingWindow);
    const ref = c.clock.ref.get(itemRow);
    this.trendingList.update(itemRow, value, ref);
    const category = this.t.itemCategory.get(itemRow);
    if (category < 0) return;
    let list = this.categoryTrending.get(category);
    if (!list) this.categoryTrending.set(category, (list = new TrendingList(this.opts.features.categoryTrendingK, this.trendingList.tauMs)));
    list.update(itemRow, value, ref);
  }

  /** Adds the event's engagement to the trending lists of the user's current country and language. */
  private updateSegmentTrending(userRow: number, itemRow: number, e: StoredEvent, f: EventFacts): void {
    if (ITEM_ENGAGEMENT.when && !ITEM_ENGAGEMENT.when(e, f)) return;
    const amount = ITEM_ENGAGEMENT.amount ? ITEM_ENGAGEMENT.amount(e, f) : 1;
    this.segmentTrending.add('country', this.t.userCountry.get(userRow), itemRow, amount, e.ts);
    this.segmentTrending.add('language', this.t.userLanguage.get(userRow), itemRow, amount, e.ts);
  }

  /** Pairs the item with the user's previous positives (bounded count and gap), both directions. */
  private updateCovisitation(userRow: number, itemRow: number, ts: number): void {
    const { covisPairs, covisMaxGapMs } = this.opts.features;
    const t = this.t;
    const list = t.lastN[this.positivesList].list;
    let seen = 0;
    list.forEachNewest(userRow, (other, otherTs) => {
      if (seen === 0 && other === itemRow && otherTs === ts) return true; // the entry just pushed for this event
      if (seen >= covisPairs || ts - otherTs > covisMaxGapMs) return false;
      seen++;
      if (other === itemRow) return true;
      t.itemCounters.clock.advance(other, ts);
      t.covis.add(other, itemRow, 0, 1);
      t.covis.add(itemRow, other, 0, 1);
      return true;
    });
  }
}

/** 52-bit FNV-style hash of a string, exact in a float64. */
export function hashString(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff);
}

