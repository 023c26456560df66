/**
 * What feedloop writes to the event log: one JSON document per record, tagged by kind. The log itself is payload
 * agnostic; this codec is the only place that knows the format. Events are keyed by `user_id` (so one user's events
 * stay in order in one partition), catalog records by their own id.
 */
import type { Item, StoredEvent, User } from '../domain/schemas.js';

export type LogEntry =
  | { kind: 'event'; event: StoredEvent }
  | { kind: 'item'; item: Item; ts: number }
  | { kind: 'user'; user: User; ts: number }
  | { kind: 'item_delete'; itemId: string; ts: number };

const enc = new TextEncoder();
const dec = new TextDecoder();

export function entryKey(e: LogEntry): string {
  switch (e.kind) {
    case 'event':
      return e.event.user_id;
    case 'item':
      return `item:${e.item.id}`;
    case 'user':
      return e.user.id;
    case 'item_delete':
      return `item:${e.itemId}`;
  }
}

export function encodeEntry(e: LogEntry): Uint8Array {
  switch (e.kind) {
    case 'event':
      return enc.encode(`{"e":${JSON.stringify(e.event)}}`);
    case 'item':
      return enc.encode(JSON.stringify({ i: e.item, ts: e.ts }));
    case 'user':
      return enc.encode(JSON.stringify({ u: e.user, ts: e.ts }));
    case 'item_delete':
      return enc.encode(JSON.stringify({ d: e.itemId, ts: e.ts }));
  }
}

export function decodeEntry(bytes: Uint8Array): LogEntry {
  const o = JSON.parse(dec.decode(bytes));
  if (o.e) return { kind: 'event', event: o.e };
  if (o.i) return { kind: 'item', item: o.i, ts: o.ts };
  if (o.u) return { kind: 'user', user: o.u, ts: o.ts };
  if (typeof o.d === 'string') return { kind: 'item_delete', itemId: o.d, ts: o.ts };
  throw new Error('unknown log entry');
}
