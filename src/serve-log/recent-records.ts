/**
 * The serve records of recent requests by request id, for explanations (`GET /v1/feed/explain`), with the serve log
 * on disk as the fallback for older ones.
 *
 * Memory: records are kept in arrival order and the oldest are evicted first once the kept records pass `maxBytes`
 * (default 64 MiB: a budget of long-lived objects churned at the request rate costs old-generation GC time) or
 * `maxRecords` (default 100 000). Bytes are an estimate (`estimateServeRecordBytes`): the
 * feature and score blocks exactly, plus a fixed allowance per candidate, source, removed candidate and slate slot
 * for the JS objects. A request of 1000 candidates × 25 features with 2 sources each is ~370 KB (~100 KB of features,
 * the rest the candidate list), so the default keeps roughly the last 170 such requests, or thousands of
 * small ones. `maxBytes: 0` keeps nothing (every lookup reads the disk). The records are the very objects the serve
 * log queues (never copied; the ServeLog contract already forbids mutating them), so records still waiting to be
 * written cost nothing extra.
 *
 * Lookup (`find`): memory; else flush the serve log (the record may still be queued), look in memory again (the
 * request's side effects may have been running), then scan the log files (`serveRecordsByRequestId`: streaming,
 * stops at the first match). Scans run one at a time; an unknown id reads every file, so its cost grows with the
 * size of the serve log directory.
 */
import type { ServeRecord } from '../domain/feed.js';
import { ConfigError, NotFoundError } from '../errors.js';
import { serveRecordsByRequestId } from './read-serve-log.js';
import type { ServeLog } from './serve-log.js';

export interface RecentServeRecordsOptions {
  /** Budget of the in-memory records, estimated bytes; 0 keeps none. */
  maxBytes?: number;
  /** At most this many records in memory. */
  maxRecords?: number;
}

export const DEFAULT_RECENT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_RECENT_MAX_RECORDS = 100_000;

/** Estimated heap + buffer bytes per part of a record (measured on Node 20: within ~5% of heap + buffer growth). */
const RECORD_BASE_BYTES = 2048;
const CANDIDATE_BYTES = 120;
const SOURCE_BYTES = 56;
const REMOVED_BYTES = 120;
const SLATE_BYTES = 96;

/** Estimated memory held by a record: float blocks exactly, objects by allowance (see the file comment). */
export function estimateServeRecordBytes(r: ServeRecord): number {
  let bytes = RECORD_BASE_BYTES + r.features.byteLength;
  for (const s of Object.values(r.scores)) bytes += s.byteLength;
  for (const c of r.candidates) bytes += CANDIDATE_BYTES + 2 * c.item_id.length + SOURCE_BYTES * c.sources.length;
  return bytes + REMOVED_BYTES * r.removed.length + SLATE_BYTES * r.slate.length;
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
  private readonly byId = new Map<string, { record: ServeRecord; bytes: number }>();
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

  /** The side effect: keeps `record`, evicting the oldest ones over budget. O(1) amortised plus one pass over the candidates. */
  remember(record: ServeRecord): void {
    const bytes = estimateServeRecordBytes(record);
    if (bytes > this.maxBytes || this.maxRecords === 0) return;
    const old = this.byId.get(record.request_id);
    if (old) {
      this.byId.delete(record.request_id);
      this.bytes -= old.bytes;
    }
    this.byId.set(record.request_id, { record, bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes || this.byId.size > this.maxRecords) {
      const [id, oldest] = this.byId.entries().next().value!;
      this.byId.delete(id);
      this.bytes -= oldest.bytes;
      this.evicted++;
    }
  }

  /** The record in memory, without touching the disk. */
  recent(requestId: string): ServeRecord | undefined {
    return this.byId.get(requestId)?.record;
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
