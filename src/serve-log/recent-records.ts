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
 * disk). The float blocks (features, scores, source scores) are copied into one arena of `maxBytes` allocated on
 * first use and reused as a ring, so keeping records allocates no new external memory per request; `recent` and
 * `find` hand out copies.
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

/** A kept record: its columnar form (float blocks in the arena at [start, end)) and its estimated bytes. */
interface Kept {
  record: ColumnarRecord;
  bytes: number;
  start: number;
  end: number;
}

const align8 = (n: number) => (n + 7) & ~7;

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
  private readonly byId = new Map<string, Kept>();
  /**
   * The kept records' float blocks, copied into one buffer allocated once and used as a ring (`place`): a new
   * ArrayBuffer per kept record (~160 KB at 1000 candidates) outlived the young generation, and V8 answers that much
   * external memory with a full mark-compact every ~3 s at 120 requests/s (each with ~300 ms of incremental marking).
   */
  private arena: ArrayBuffer | undefined;
  /** Next free byte of the arena (8-aligned). */
  private head = 0;
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
    this.bytes += bytes;
    while (this.byId.size > 0 && (this.bytes > this.maxBytes || this.byId.size >= this.maxRecords)) this.evictOldest();
    const kept = this.place(columnarOf(record));
    if (!kept) {
      this.bytes -= bytes;
      return;
    }
    this.byId.set(record.request_id, { ...kept, bytes });
  }

  /** The record in memory (rebuilt from its columnar form, float blocks copied out of the arena), without touching the disk. */
  recent(requestId: string): ServeRecord | undefined {
    const kept = this.byId.get(requestId);
    if (!kept) return undefined;
    const c = kept.record;
    const scores: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(c.scores)) scores[k] = v.slice();
    return fromColumnar({ ...c, features: c.features.slice(), scores, sourceScores: c.sourceScores.map((v) => v.slice()) });
  }

  /**
   * Copies the record's float blocks into the arena at the head (wrapping to 0 when they do not fit before its end),
   * evicting the oldest records whose blocks are in the way: records are kept in arrival order, so the ones in the
   * way are always the oldest. Undefined when the blocks alone are larger than the arena.
   */
  private place(c: ColumnarRecord): Omit<Kept, 'bytes'> | undefined {
    const n = c.itemIds.length;
    const f32 = c.features.length + Object.values(c.scores).reduce((t, v) => t + v.length, 0);
    const need = 8 * n * c.sourceScores.length + align8(4 * f32);
    if (need > this.maxBytes) return undefined;
    this.arena ??= new ArrayBuffer(this.maxBytes);
    if (this.head + need > this.maxBytes) {
      // the previous lap's records beyond the head are the oldest of all: they go first, then the ring restarts at 0
      this.evictWhile((k) => k.start >= this.head);
      this.head = 0;
    }
    const start = this.head;
    const end = start + need;
    this.evictWhile((k) => k.start < end && k.end > start);
    this.head = end;
    let at = start;
    const f64 = (v: Float64Array) => {
      const out = new Float64Array(this.arena!, at, v.length);
      out.set(v);
      at += 8 * v.length;
      return out;
    };
    const f32Copy = (v: Float32Array) => {
      const out = new Float32Array(this.arena!, at, v.length);
      out.set(v);
      at += 4 * v.length;
      return out;
    };
    const sourceScores = c.sourceScores.map(f64);
    const scores: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(c.scores)) scores[k] = f32Copy(v);
    return { record: { ...c, sourceScores, scores, features: f32Copy(c.features) }, start, end };
  }

  private evictWhile(inTheWay: (k: Kept) => boolean): void {
    for (let first = this.byId.values().next(); !first.done && inTheWay(first.value); first = this.byId.values().next()) this.evictOldest();
  }

  private evictOldest(): void {
    const first = this.byId.entries().next();
    if (first.done) return;
    const [id, oldest] = first.value;
    this.byId.delete(id);
    this.bytes -= oldest.bytes;
    this.evicted++;
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
