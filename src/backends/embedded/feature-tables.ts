/**
 * Compiles FEATURE_DEFINITIONS into slab tables and primitives (the "compile" step of the feature definitions):
 * one SlabTable per entity, one DecayClock, DecayedCounters and Totals per table, last-N lists, top-K maps and
 * scalar columns, plus a per-event-type list of counter updates so applying an event is a few array writes.
 */
import type { FeedloopConfig } from '../../config/config.js';
import { EVENT_TYPES, type EventType, type StoredEvent } from '../../domain/schemas.js';
import { FEATURE_DEFINITIONS, TOPK_WINDOW, type CounterDef, type EventFacts, type LastNDef } from '../../features/definitions.js';
import { LastN } from './last-n.js';
import { DecayClock, DecayedCounters, TopKMap, Totals } from './primitives.js';
import { SlabTable, type Column } from './slab-table.js';

/** One counter update compiled for an event type. */
interface CounterOp {
  index: number;
  amount: CounterDef['amount'];
  when: CounterDef['when'];
}

/** A table's counters with their per-event-type update lists. */
export class CounterSet {
  readonly decayed: DecayedCounters;
  readonly totals: Totals;
  private readonly ops: CounterOp[][];
  constructor(
    table: SlabTable,
    readonly clock: DecayClock,
    readonly defs: readonly CounterDef[],
  ) {
    const names = defs.map((d) => d.name);
    this.decayed = new DecayedCounters(table, clock, names);
    this.totals = new Totals(table, names);
    this.ops = EVENT_TYPES.map((t) =>
      defs.flatMap((d, index) => (d.on.includes(t) ? [{ index, amount: d.amount, when: d.when }] : [])),
    );
  }
  index(name: string): number {
    const i = this.defs.findIndex((d) => d.name === name);
    if (i < 0) throw new Error(`no counter ${name}`);
    return i;
  }
  /** Applies every counter declared for the event's type; the clock must be advanced to the event first. */
  apply(row: number, typeCode: number, e: StoredEvent, f: EventFacts): void {
    for (const op of this.ops[typeCode]) {
      if (op.when && !op.when(e, f)) continue;
      const amount = op.amount ? op.amount(e, f) : 1;
      if (amount === 0) continue;
      this.decayed.add(row, op.index, amount);
      this.totals.add(row, op.index, amount);
    }
  }
  /** Adds to one counter directly (for updates not driven by an event type, e.g. uploads). */
  addTo(row: number, index: number, amount: number): void {
    this.decayed.add(row, index, amount);
    this.totals.add(row, index, amount);
  }
}

export const TYPE_CODE: Record<EventType, number> = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<EventType, number>;

export class FeatureTables {
  readonly tausMs: number[];
  readonly item: SlabTable;
  readonly user: SlabTable;
  readonly author: SlabTable;
  readonly itemCounters: CounterSet;
  readonly userCounters: CounterSet;
  readonly authorCounters: CounterSet;
  readonly covis: TopKMap;
  readonly userCategories: TopKMap;
  readonly userAuthors: TopKMap;
  readonly lastN: { def: LastNDef; list: LastN }[];
  /** The user last-N lists each event type feeds, by type code. */
  readonly lastNByType: { def: LastNDef; list: LastN }[][];
  /** Per author: recent uploads (item rows). */
  readonly authorUploads: LastN;
  // item scalars
  readonly itemCreatedAt: Column<Float64Array>;
  readonly itemDuration: Column<Float32Array>;
  readonly itemAuthor: Column<Int32Array>;
  readonly itemCategory: Column<Int32Array>;
  readonly itemDeleted: Column<Uint8Array>;
  readonly itemKnown: Column<Uint8Array>;
  // user scalars
  readonly userCountry: Column<Int32Array>;
  readonly userLanguage: Column<Int32Array>;
  readonly userAgeBucket: Column<Int32Array>;
  readonly userCreatedAt: Column<Float64Array>;
  /** Session: [hash of session id or NaN, start ts, last ts, impressions, views, watch-ratio sum, watch-ratio n]. */
  readonly userSession: Column<Float64Array>;

  /**
   * `interleaveItems` (default true) lays out the item columns every feed candidate reads (decay reference time,
   * decayed counters, created_at, duration, author, category, deleted, known) row-major in one slab; false keeps
   * them column by column (for A/B benchmarks). Values, snapshots and reads are the same either way.
   */
  constructor(cfg: FeedloopConfig['features'], interleaveItems = true) {
    this.tausMs = cfg.windowsSec.map((s) => s * 1000);
    const defs = FEATURE_DEFINITIONS;
    this.item = new SlabTable('item');
    this.user = new SlabTable('user');
    this.author = new SlabTable('author');
    const topKWindow = Math.min(TOPK_WINDOW, this.tausMs.length - 1);

    const itemClock = new DecayClock(this.item, this.tausMs);
    this.itemCounters = new CounterSet(this.item, itemClock, defs.item.counters);
    this.covis = new TopKMap(this.item, itemClock, 'covis', cfg.covisTopK, ['count'], topKWindow);
    this.itemCreatedAt = this.item.float64('created_at', 1, NaN);
    this.itemDuration = this.item.float32('duration_ms');
    this.itemAuthor = this.item.int32('author', 1, -1);
    this.itemCategory = this.item.int32('category', 1, -1);
    this.itemDeleted = this.item.uint8('deleted');
    this.itemKnown = this.item.uint8('known');
    if (interleaveItems) {
      const c = this.itemCounters;
      this.item.interleave([c.clock.ref, c.decayed.col, this.itemCreatedAt, this.itemDuration, this.itemAuthor, this.itemCategory, this.itemDeleted, this.itemKnown]);
    }

    const userClock = new DecayClock(this.user, this.tausMs);
    this.userCounters = new CounterSet(this.user, userClock, defs.user.counters);
    const fields = defs.user.topKFields;
    this.userCategories = new TopKMap(this.user, userClock, 'categories', cfg.userTopK, fields, topKWindow);
    this.userAuthors = new TopKMap(this.user, userClock, 'authors', cfg.userTopK, fields, topKWindow);
    this.lastN = defs.user.lastN.map((def) => ({ def, list: new LastN(this.user, def.name, cfg[def.size]) }));
    this.lastNByType = EVENT_TYPES.map((type) => this.lastN.filter((l) => l.def.on.includes(type)));
    this.userCountry = this.user.int32('country', 1, -1);
    this.userLanguage = this.user.int32('language', 1, -1);
    this.userAgeBucket = this.user.int32('age_bucket', 1, -1);
    this.userCreatedAt = this.user.float64('created_at', 1, NaN);
    this.userSession = this.user.float64('session', 7, 0);

    const authorClock = new DecayClock(this.author, this.tausMs);
    this.authorCounters = new CounterSet(this.author, authorClock, defs.author.counters);
    this.authorUploads = new LastN(this.author, 'uploads', cfg[defs.author.uploadsListSize]);
  }

  /** Slab bytes per row of each table, excluding last-N lists (they are bounded separately by `features.lastN`). */
  bytesPerRow(): Record<string, number> {
    const perRow = (t: SlabTable, skip: (name: string) => boolean) =>
      t.allColumns().reduce((s, c) => (skip(c.name) ? s : s + c.bytesPerRow), 0);
    return {
      item: perRow(this.item, () => false),
      user: perRow(this.user, (n) => n.startsWith('last_')),
      author: perRow(this.author, () => false),
    };
  }
}
