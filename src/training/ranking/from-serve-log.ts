/**
 * Ranking examples from what was actually served: every `impression` in the event log joined, by `request_id`, to
 * the serve-log record of that request, with labels from the same user's reactions to the item within a label window.
 *
 * - Features: the impressed item's row of the record's `features` block, copied bit for bit (the ranker's input as
 *   served); `featureNames` = the records' `feature_names`. The first joined record fixes the schema; records with
 *   another schema are skipped and counted (`schemaMismatchRecords`, `schemaMismatchImpressions`).
 * - Time: `ts` = the record's `ts` (serve time); `fromMs`/`toMs` select examples by it (`fromMs <= ts < toMs`).
 * - Labels, from the impressed user's events on the item with time in [impression ts, impression ts + labelWindowMs]
 *   (both ends included; reactions before the impression or after the window never count):
 *   complete = a `complete`, or a `view` with watch_ms ≥ the item's duration; like / share / hide = such an event;
 *   follow = a `follow` whose item_id is the item or whose author_id is the item's author;
 *   watch = NaN when the item has no duration (a watch ratio needs one), else 1 if complete, else
 *   min(1, max watch_ms / duration), 0 without any view. Weight 1.
 * - The item's author, category and duration are the catalog's as of the impression (log order, point in time).
 * - Dropped and counted in `stats`: impressions whose request has no serve record (`noServeRecord`), whose item is not
 *   among the record's candidates (`notInCandidates`), repeats of a (request, item) already joined
 *   (`duplicateImpressions`), impressions by another user than the record's (`userMismatch`), and records outside
 *   [fromMs, toMs) (`outsideRange`).
 *
 * Memory: one pass over the event log keeps impressions and reactions in growable typed columns (ids interned to
 * ints, ~21 bytes per reaction); the serve log is then streamed record by record, so only the output is held.
 */
import { NotFoundError, ValidationError } from '../../errors.js';
import type { EventLog } from '../../log/event-log.js';
import { decodeEntry } from '../../log/log-entry.js';
import { logRecordsInOrder } from '../../log/read-in-order.js';
import { readServeLog } from '../../serve-log/read-serve-log.js';
import { ExampleBuffer, TASK_INDEX, unknownLabels } from './example-buffer.js';
import type { RankingExamples } from './examples.js';

export interface ServeLogExampleOptions {
  /** Reactions up to this long after the impression count as its labels, ms. */
  labelWindowMs: number;
  /** Only examples served at `ts >= fromMs`. */
  fromMs?: number;
  /** Only examples served at `ts < toMs`. */
  toMs?: number;
}

const R_VIEW = 0;
const R_COMPLETE = 1;
const R_LIKE = 2;
const R_SHARE = 3;
const R_FOLLOW = 4;
const R_HIDE = 5;
const REACTION_CODE: Partial<Record<string, number>> = { view: R_VIEW, complete: R_COMPLETE, like: R_LIKE, share: R_SHARE, hide: R_HIDE };

export async function examplesFromServeLog(log: EventLog, serveLogDir: string, opts: ServeLogExampleOptions): Promise<RankingExamples> {
  if (!(Number.isFinite(opts.labelWindowMs) && opts.labelWindowMs >= 0)) {
    throw new ValidationError(`labelWindowMs must be a finite number ≥ 0, got ${opts.labelWindowMs}`, 'labelWindowMs');
  }
  const fromMs = opts.fromMs ?? -Infinity;
  const toMs = opts.toMs ?? Infinity;
  const h = await readHistory(log);
  const stats: Record<string, number> = {
    impressions: h.imp.n,
    reactions: h.react.n,
    serveRecordsRead: 0,
    examples: 0,
    noServeRecord: 0,
    notInCandidates: 0,
    duplicateImpressions: 0,
    userMismatch: 0,
    outsideRange: 0,
    schemaMismatchRecords: 0,
    schemaMismatchImpressions: 0,
  };
  const reactions = indexReactions(h);
  const out = new ExampleBuffer(undefined);
  let schema: string[] | undefined;
  try {
    for await (const record of readServeLog(serveLogDir)) {
      stats.serveRecordsRead++;
      const group = h.byRequest.get(record.request_id);
      if (!group) continue; // no impression (or a repeated record of an already joined request)
      h.byRequest.delete(record.request_id);
      if (!(record.ts >= fromMs && record.ts < toMs)) {
        stats.outsideRange += group.length;
        continue;
      }
      if (!schema) out.featureNames = schema = [...record.feature_names];
      else if (!sameNames(schema, record.feature_names)) {
        stats.schemaMismatchRecords++;
        stats.schemaMismatchImpressions += group.length;
        continue;
      }
      const F = schema.length;
      const candidateIndex = new Map<string, number>();
      record.candidates.forEach((c, i) => {
        if (!candidateIndex.has(c.item_id)) candidateIndex.set(c.item_id, i);
      });
      const joined = new Set<number>();
      for (const k of group) {
        const item = h.imp.cols.item[k];
        if (joined.has(item)) {
          stats.duplicateImpressions++;
          continue;
        }
        if (h.users.ids[h.imp.cols.user[k]] !== record.user_id) {
          stats.userMismatch++;
          continue;
        }
        const c = candidateIndex.get(h.items.ids[item]);
        if (c === undefined) {
          stats.notInCandidates++;
          continue;
        }
        joined.add(item);
        const author = h.imp.cols.author[k];
        const category = h.imp.cols.category[k];
        out.push(
          record.features.subarray(c * F, c * F + F),
          record.ts,
          record.user_id,
          h.items.ids[item],
          author >= 0 ? h.authors.ids[author] : undefined,
          category >= 0 ? h.categories.ids[category] : undefined,
          reactions.labels(k, opts.labelWindowMs),
          1,
          record.request_id,
        );
      }
    }
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    // no serve log directory: nothing was served through the pipeline, every impression is unjoined
  }
  for (const group of h.byRequest.values()) stats.noServeRecord += group.length;
  stats.examples = out.n;
  return out.finish('serve-log', stats, { withRequestIds: true });
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Strings interned to dense ints. */
class Interner {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  id(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** Typed columns that double when full. */
class Columns<K extends string> {
  n = 0;
  private cap = 1024;
  readonly cols: Record<K, Float64Array | Int32Array>;
  constructor(spec: Record<K, 'f64' | 'i32'>) {
    this.cols = {} as Record<K, Float64Array | Int32Array>;
    for (const k of Object.keys(spec) as K[]) this.cols[k] = spec[k] === 'f64' ? new Float64Array(this.cap) : new Int32Array(this.cap);
  }
  /** Index of a new row (its values are set by the caller). */
  add(): number {
    if (this.n === this.cap) {
      this.cap *= 2;
      for (const k of Object.keys(this.cols) as K[]) {
        const old = this.cols[k];
        const next = old instanceof Float64Array ? new Float64Array(this.cap) : new Int32Array(this.cap);
        next.set(old);
        this.cols[k] = next;
      }
    }
    return this.n++;
  }
}

interface History {
  users: Interner;
  items: Interner;
  authors: Interner;
  categories: Interner;
  /** Impressions in log order, with the item's catalog attributes as of the impression (−1 / NaN = none). */
  imp: Columns<'user' | 'item' | 'ts' | 'author' | 'category' | 'durationMs'>;
  /** Reactions to items (follows with an item_id included); watchMs is set for views. */
  react: Columns<'user' | 'item' | 'type' | 'ts' | 'watchMs'>;
  /** Author follows: (user, author) → times. */
  follows: Map<string, number[]>;
  /** Impression indices by request id, in log order. */
  byRequest: Map<string, number[]>;
}

async function readHistory(log: EventLog): Promise<History> {
  const users = new Interner();
  const items = new Interner();
  const authors = new Interner();
  const categories = new Interner();
  // current catalog, by item int
  const catAuthor: number[] = [];
  const catCategory: number[] = [];
  const catDuration: number[] = [];
  const imp = new Columns({ user: 'i32', item: 'i32', ts: 'f64', author: 'i32', category: 'i32', durationMs: 'f64' });
  const react = new Columns({ user: 'i32', item: 'i32', type: 'i32', ts: 'f64', watchMs: 'f64' });
  const follows = new Map<string, number[]>();
  const byRequest = new Map<string, number[]>();
  const addReaction = (user: number, item: number, type: number, ts: number, watchMs: number) => {
    const r = react.add();
    react.cols.user[r] = user;
    react.cols.item[r] = item;
    react.cols.type[r] = type;
    react.cols.ts[r] = ts;
    react.cols.watchMs[r] = watchMs;
  };
  for await (const rec of logRecordsInOrder(log)) {
    const e = decodeEntry(rec.value);
    if (e.kind === 'item') {
      const i = items.id(e.item.id);
      catAuthor[i] = authors.id(e.item.author_id);
      catCategory[i] = e.item.category === undefined ? -1 : categories.id(e.item.category);
      catDuration[i] = e.item.duration_ms !== undefined && e.item.duration_ms > 0 ? e.item.duration_ms : NaN;
      continue;
    }
    if (e.kind !== 'event') continue;
    const ev = e.event;
    if (ev.type === 'impression') {
      const i = items.id(ev.item_id);
      const k = imp.add();
      imp.cols.user[k] = users.id(ev.user_id);
      imp.cols.item[k] = i;
      imp.cols.ts[k] = ev.ts;
      imp.cols.author[k] = catAuthor[i] ?? -1;
      imp.cols.category[k] = catCategory[i] ?? -1;
      imp.cols.durationMs[k] = catDuration[i] ?? NaN;
      const group = byRequest.get(ev.request_id);
      if (group) group.push(k);
      else byRequest.set(ev.request_id, [k]);
    } else if (ev.type === 'follow') {
      const u = users.id(ev.user_id);
      if (ev.item_id !== undefined) addReaction(u, items.id(ev.item_id), R_FOLLOW, ev.ts, NaN);
      const key = `${u}\u0000${authors.id(ev.author_id)}`;
      const list = follows.get(key);
      if (list) list.push(ev.ts);
      else follows.set(key, [ev.ts]);
    } else {
      const code = REACTION_CODE[ev.type];
      if (code === undefined || !('item_id' in ev)) continue; // skips and comments are no label
      addReaction(users.id(ev.user_id), items.id(ev.item_id), code, ev.ts, ev.type === 'view' ? ev.watch_ms : NaN);
    }
  }
  return {
    users,
    items,
    authors,
    categories,
    imp,
    react,
    follows,
    byRequest,
  };
}

/** Reactions grouped by the impressed (user, item) pairs (CSR), and the label computation over them. */
function indexReactions(h: History) {
  const nItems = Math.max(1, h.items.ids.length);
  const pairOf = new Map<number, number>();
  const impPair = new Int32Array(h.imp.n);
  for (let k = 0; k < h.imp.n; k++) {
    const key = h.imp.cols.user[k] * nItems + h.imp.cols.item[k];
    let p = pairOf.get(key);
    if (p === undefined) pairOf.set(key, (p = pairOf.size));
    impPair[k] = p;
  }
  const reactPair = new Int32Array(h.react.n);
  const offsets = new Int32Array(pairOf.size + 1);
  for (let r = 0; r < h.react.n; r++) {
    const p = pairOf.get(h.react.cols.user[r] * nItems + h.react.cols.item[r]) ?? -1;
    reactPair[r] = p;
    if (p >= 0) offsets[p + 1]++;
  }
  for (let p = 0; p < pairOf.size; p++) offsets[p + 1] += offsets[p];
  const fill = offsets.slice(0, pairOf.size);
  const members = new Int32Array(offsets[pairOf.size]);
  for (let r = 0; r < h.react.n; r++) if (reactPair[r] >= 0) members[fill[reactPair[r]]++] = r;

  return {
    /** Labels of impression `k` from reactions in [ts, ts + windowMs]. */
    labels(k: number, windowMs: number): Float32Array {
      const t0 = h.imp.cols.ts[k];
      const t1 = t0 + windowMs;
      const dur = h.imp.cols.durationMs[k];
      let complete = 0;
      let like = 0;
      let share = 0;
      let follow = 0;
      let hide = 0;
      let maxWatch = -1;
      const p = impPair[k];
      for (let j = offsets[p]; j < offsets[p + 1]; j++) {
        const r = members[j];
        const ts = h.react.cols.ts[r];
        if (ts < t0 || ts > t1) continue;
        switch (h.react.cols.type[r]) {
          case R_VIEW:
            maxWatch = Math.max(maxWatch, h.react.cols.watchMs[r]);
            if (dur > 0 && h.react.cols.watchMs[r] >= dur) complete = 1;
            break;
          case R_COMPLETE:
            complete = 1;
            break;
          case R_LIKE:
            like = 1;
            break;
          case R_SHARE:
            share = 1;
            break;
          case R_FOLLOW:
            follow = 1;
            break;
          case R_HIDE:
            hide = 1;
            break;
        }
      }
      const author = h.imp.cols.author[k];
      if (!follow && author >= 0) {
        for (const ts of h.follows.get(`${h.imp.cols.user[k]}\u0000${author}`) ?? []) if (ts >= t0 && ts <= t1) follow = 1;
      }
      const l = unknownLabels();
      l[TASK_INDEX.complete] = complete;
      l[TASK_INDEX.like] = like;
      l[TASK_INDEX.share] = share;
      l[TASK_INDEX.follow] = follow;
      l[TASK_INDEX.hide] = hide;
      l[TASK_INDEX.watch] = !(dur > 0) ? NaN : complete ? 1 : maxWatch < 0 ? 0 : Math.min(1, maxWatch / dur);
      return l;
    },
  };
}
