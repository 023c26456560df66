/**
 * The `Ingestor` over an `EventLog`: validates each element, fills server time, drops duplicate event ids,
 * appends the rest in one durable group-committed batch, and only then remembers their ids.
 */
import type { FeedloopConfig } from '../config/config.js';
import type { StoredEvent } from '../domain/schemas.js';
import { ValidationError } from '../errors.js';
import type { EventLog } from '../log/event-log.js';
import { encodeEntry, entryKey, type LogEntry } from '../log/log-entry.js';
import type { EventIdIndex } from './event-id-index.js';
import type { IngestResult, Ingestor, Rejection } from './ingestor.js';
import { validateEvent, validateItem, validateUser, type Checked } from './validate.js';

export interface IngestObserver {
  /** Called after a batch is durable, with counts per event type. */
  accepted?(countsByType: Map<string, number>, appendMs: number): void;
  rejected?(rejections: readonly Rejection[], raw: readonly unknown[]): void;
}

export class LogIngestor implements Ingestor {
  /** Ids being appended right now (not yet durable): a concurrent duplicate must wait for the verdict. */
  private readonly inflight = new Set<string>();

  constructor(
    private readonly log: EventLog,
    private readonly ids: EventIdIndex,
    private readonly cfg: FeedloopConfig['ingest'],
    private readonly observer: IngestObserver = {},
  ) {}

  async ingestEvents(raw: readonly unknown[], nowMs = Date.now()): Promise<IngestResult> {
    if (raw.length > this.cfg.maxEventsPerRequest) {
      throw new ValidationError(`at most ${this.cfg.maxEventsPerRequest} events per request, got ${raw.length}`, 'events', 'too_many_events');
    }
    const rejected: Rejection[] = [];
    const entries: LogEntry[] = [];
    const batchIds: string[] = [];
    const counts = new Map<string, number>();
    let duplicates = 0;
    const maxTs = nowMs + this.cfg.maxFutureSkewMs;
    for (let index = 0; index < raw.length; index++) {
      const v = validateEvent(raw[index]);
      if (!v.ok) {
        rejected.push({ index, ...v.error });
        continue;
      }
      const ev = v.value as StoredEvent;
      if (ev.ts === undefined) ev.ts = nowMs;
      else if (ev.ts > maxTs) {
        rejected.push({ index, code: 'ts_in_future', field: 'ts', message: `ts is more than ${this.cfg.maxFutureSkewMs} ms ahead of server time` });
        continue;
      }
      if (this.ids.has(ev.id) || this.inflight.has(ev.id)) {
        duplicates++;
        continue;
      }
      this.inflight.add(ev.id);
      batchIds.push(ev.id);
      entries.push({ kind: 'event', event: ev });
      counts.set(ev.type, (counts.get(ev.type) ?? 0) + 1);
    }
    if (rejected.length) this.observer.rejected?.(rejected, raw);
    try {
      const t0 = performance.now();
      if (entries.length) await this.append(entries);
      for (const id of batchIds) this.ids.add(id);
      this.observer.accepted?.(counts, performance.now() - t0);
    } finally {
      for (const id of batchIds) this.inflight.delete(id);
    }
    return { accepted: entries.length, duplicates, rejected };
  }

  async upsertItems(raw: readonly unknown[]): Promise<IngestResult> {
    return this.upsertCatalog(raw, validateItem, (item, ts) => ({ kind: 'item', item, ts }));
  }

  async upsertUsers(raw: readonly unknown[]): Promise<IngestResult> {
    return this.upsertCatalog(raw, validateUser, (user, ts) => ({ kind: 'user', user, ts }));
  }

  async deleteItem(itemId: string): Promise<void> {
    if (itemId.length === 0 || itemId.length > 128) throw new ValidationError('item id must be 1–128 characters', 'id');
    await this.append([{ kind: 'item_delete', itemId, ts: Date.now() }]);
  }

  private async upsertCatalog<T extends object>(
    raw: readonly unknown[],
    validate: (x: unknown) => Checked<T>,
    entry: (x: T, ts: number) => LogEntry,
  ): Promise<IngestResult> {
    if (raw.length > 1000) throw new ValidationError(`at most 1000 records per request, got ${raw.length}`, '', 'too_many_records');
    const rejected: Rejection[] = [];
    const entries: LogEntry[] = [];
    const now = Date.now();
    raw.forEach((r, index) => {
      const v = validate(r);
      if (v.ok) entries.push(entry(v.value, now));
      else rejected.push({ index, ...v.error });
    });
    if (entries.length) await this.append(entries);
    return { accepted: entries.length, duplicates: 0, rejected };
  }

  private async append(entries: readonly LogEntry[]): Promise<void> {
    await this.log.append(entries.map((e) => ({ key: entryKey(e), value: encodeEntry(e) })));
  }
}
