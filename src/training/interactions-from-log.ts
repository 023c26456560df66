/**
 * Turns the event log into `InteractionData` for retrieval training: each user's positive interactions (complete,
 * like, share, comment, or a view with watch ratio ≥ `positiveWatchRatio`) in time order, de-duplicated per item.
 * Split by time within each user: the last `validFraction` of a user's positives (users with ≥ 3) are validation,
 * the rest training; there is no test split (offline benchmarks use the published splits instead).
 */
import type { EventLog } from '../log/event-log.js';
import { decodeEntry } from '../log/log-entry.js';
import { logRecordsInOrder } from '../log/read-in-order.js';
import type { Csr, InteractionData } from '../evaluation/recommender.js';

export interface LogInteractions {
  data: InteractionData;
  /** Side features of each item (aligned with `data.itemIds`), from the catalog records in the log. */
  itemSides: ({ authorId?: string; category?: string; tags?: string[] } | undefined)[];
  /** Event time range of the positives used, ms. */
  fromMs: number;
  toMs: number;
  positives: number;
}

export async function interactionsFromLog(log: EventLog, opts: { positiveWatchRatio: number; validFraction?: number }): Promise<LogInteractions> {
  const validFraction = opts.validFraction ?? 0.1;
  const duration = new Map<string, number>();
  const sides = new Map<string, { authorId?: string; category?: string; tags?: string[] }>();
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const userIds: string[] = [];
  const itemIds: string[] = [];
  const seq: { item: number; ts: number }[][] = [];
  const seen: Set<number>[] = [];
  let fromMs = Infinity;
  let toMs = -Infinity;
  let positives = 0;
  const index = (m: Map<string, number>, ids: string[], id: string) => {
    let i = m.get(id);
    if (i === undefined) {
      i = ids.length;
      m.set(id, i);
      ids.push(id);
    }
    return i;
  };
  for await (const rec of logRecordsInOrder(log)) {
    const e = decodeEntry(rec.value);
    if (e.kind === 'item') {
      index(items, itemIds, e.item.id);
      if (e.item.duration_ms) duration.set(e.item.id, e.item.duration_ms);
      sides.set(e.item.id, { authorId: e.item.author_id, category: e.item.category, tags: e.item.tags });
      continue;
    }
    if (e.kind !== 'event' || !('item_id' in e.event)) continue;
    const ev = e.event;
    const itemId = ev.item_id;
    if (itemId === undefined) continue;
    let positive = ev.type === 'complete' || ev.type === 'like' || ev.type === 'share' || ev.type === 'comment';
    if (ev.type === 'view') {
      const d = duration.get(itemId);
      positive = d !== undefined && d > 0 && ev.watch_ms / d >= opts.positiveWatchRatio;
    }
    if (!positive) continue;
    const u = index(users, userIds, ev.user_id);
    const i = index(items, itemIds, itemId);
    seq[u] ??= [];
    seen[u] ??= new Set();
    if (seen[u].has(i)) continue;
    seen[u].add(i);
    seq[u].push({ item: i, ts: ev.ts });
    fromMs = Math.min(fromMs, ev.ts);
    toMs = Math.max(toMs, ev.ts);
    positives++;
  }
  const train: number[][] = [];
  const valid: number[][] = [];
  for (let u = 0; u < userIds.length; u++) {
    const s = (seq[u] ?? []).sort((a, b) => a.ts - b.ts).map((x) => x.item);
    const nValid = s.length >= 3 ? Math.max(1, Math.floor(s.length * validFraction)) : 0;
    train.push(s.slice(0, s.length - nValid));
    valid.push(s.slice(s.length - nValid));
  }
  const data: InteractionData = {
    name: 'event-log',
    numUsers: userIds.length,
    numItems: itemIds.length,
    train: toCsr(train),
    valid: toCsr(valid),
    test: toCsr(userIds.map(() => [])),
    userIds,
    itemIds,
  };
  return { data, itemSides: itemIds.map((id) => sides.get(id)), fromMs, toMs, positives };
}

function toCsr(rows: number[][]): Csr {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, u) => (offsets[u + 1] = offsets[u] + r.length));
  const items = new Int32Array(offsets[rows.length]);
  rows.forEach((r, u) => items.set(r, offsets[u]));
  return { offsets, items };
}
