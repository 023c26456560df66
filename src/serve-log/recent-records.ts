/**
 * The serve records of recent requests by request id, for explanations (`GET /v1/feed/explain`), with the serve log
 * on disk as the fallback for older ones.
 *
 * Memory: records are kept in columnar form (`columnarOf`, the very object the serve log queues: a few arrays per
 * record, not objects per candidate — thousands of long-lived objects per request made every scavenge copy and
 * promote megabytes, 5–6 ms per scavenge at 1M items), in arrival order, the oldest evicted first once the kept
 * records pass `maxBytes` (default 64 MiB) or `maxRecords` (default 100 000). Bytes are an estimate
 * (`estimateServeRecordBytes`): the typed arrays exactly, plus a fixed allowance per candidate id, removed candidate
 * and slate slot. A request of 1000 candidates × 25 features with 2 sources each is ~130 KB, so the default keeps
 * roughly the last 500 such requests, or thousands of small ones. `maxBytes: 0` keeps nothing (every lookup reads the
 * disk). Arrays are shared with the serve log's queue, never copied (the ServeLog contract already forbids mutating
 * a record), so records still waiting to be written cost nothing extra.
 * Lookup (`find`): memory; else flush the serve log (the record may still be queued), look in memory again (the
 * request's side effects may have been running), then scan the log files (`serveRecordsByRequestId`: streaming,
 * stops at the first match). Scans run one at a time; an unknown id reads every file, so its cost grows with the
 * size of the serve log directory.
 */
import type { ServeRecord } from '../domain/feed.js';
import { ConfigError, NotFoundError } from '../errors.js';
import { serveRecordsByRequestId } from './read-serve-log.js';
import { columnarOf, fromColumnar, type ColumnarRecord } from './record-codec.js';
import type { ServeLog } from './serve-log.js';

export interface RecentServeRecordsOptions {
  /** Budget of the in-memory records, estimated bytes; 0 keeps none. */
  maxBytes?: number;
  /** At most this many records in memory. */
  maxRecords?: number;
}

export const DEFAULT_RECENT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_RECENT_MAX_RECORDS = 100_000;

/** Estimated heap bytes per part of a columnar record (the typed arrays are counted exactly). */
const RECORD_BASE_BYTES = 2048;
const CANDIDATE_BYTES = 8;
const REMOVED_BYTES = 24;
const SLATE_BYTES = 96;

/** Estimated memory held by a record in columnar form: typed arrays exactly, the rest by allowance (see above). */
export function estimateServeRecordBytes(r: ServeRecord): number {
  const c = columnarOf(r);
  let bytes = RECORD_BASE_BYTES + c.features.byteLength + CANDIDATE_BYTES * c.itemIds.length;
  for (const s of Object.values(c.scores)) bytes += s.byteLength;
  for (const s of c.sourceScores) bytes += s.byteLength;
  return bytes + REMOVED_BYTES * c.removed.item_ids.length + SLATE_BYTES * r.slate.length;
}

export interface FoundServeRecord {
  record: ServeRecord;
  /** Where it was found: the in-memory ring or the serve log files. */
  from: 'memory' | 'serve_log';
}

export interface RecentServeRecordsStats {
  records: number;
  bytes: number;
  evicted: number;
  diskLookups: number;
}

export class RecentServeRecords {
  private readonly byId = new Map<string, { record: ColumnarRecord; bytes: number }>();
  private bytes = 0;
  private evicted = 0;
  private diskLookups = 0;
  private readonly maxBytes: number;
  private readonly maxRecords: number;
  /** The disk scan in progress (scans run one at a time). */
  private scan: Promise<unknown> = Promise.resolve();

  /**
   * @param serveLog flushed before a disk lookup
   * @param dir the serve log's directory (JSON Lines files of `JsonlServeLog`)
   */
  constructor(
    private readonly serveLog: Pick<ServeLog, 'flush'>,
    private readonly dir: string,
    opts: RecentServeRecordsOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_RECENT_MAX_BYTES;
    this.maxRecords = opts.maxRecords ?? DEFAULT_RECENT_MAX_RECORDS;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 0) throw new ConfigError(`maxBytes must be an integer ≥ 0, got ${this.maxBytes}`, 'maxBytes');
    if (!Number.isInteger(this.maxRecords) || this.maxRecords < 0) throw new ConfigError(`maxRecords must be an integer ≥ 0, got ${this.maxRecords}`, 'maxRecords');
  }

  /** The side effect: keeps `record`, evicting the oldest ones over budget. O(1) amortised plus one pass over the candidates (shared with the serve log). */
  remember(record: ServeRecord): void {
    const bytes = estimateServeRecordBytes(record);
    if (bytes > this.maxBytes || this.maxRecords === 0) return;
    const old = this.byId.get(record.request_id);
    if (old) {
      this.byId.delete(record.request_id);
      this.bytes -= old.bytes;
    }
    this.byId.set(record.request_id, { record: columnarOf(record), bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes || this.byId.size > this.maxRecords) {
      const [id, oldest] = this.byId.entries().next().value!;
      this.byId.delete(id);
      this.bytes -= oldest.bytes;
      this.evicted++;
    }
  }

  /** The record in memory (rebuilt from its columnar form), without touching the disk. */
  recent(requestId: string): ServeRecord | undefined {
    const kept = this.byId.get(requestId);
    return kept && fromColumnar(kept.record);
  }

  /**
   * The record of `requestId` from memory or, failing that, from the serve log files; undefined when neither has
   * it. Rejects with CorruptDataError when a log file has a bad line before the record.
   */
  async find(requestId: string): Promise<FoundServeRecord | undefined> {
    const inMemory = this.recent(requestId);
    if (inMemory) return { record: inMemory, from: 'memory' };
    await this.serveLog.flush();
    const afterFlush = this.recent(requestId);
    if (afterFlush) return { record: afterFlush, from: 'memory' };
    const result = this.scan.then(() => this.readDisk(requestId));
    this.scan = result.catch(() => undefined);
    const record = await result;
    return record ? { record, from: 'serve_log' } : undefined;
  }

  stats(): RecentServeRecordsStats {
    return { records: this.byId.size, bytes: this.bytes, evicted: this.evicted, diskLookups: this.diskLookups };
  }

  private async readDisk(requestId: string): Promise<ServeRecord | undefined> {
    this.diskLookups++;
    try {
      return (await serveRecordsByRequestId(this.dir, new Set([requestId]))).get(requestId);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined; // no serve log directory (yet)
      throw err;
    }
  }
}
