/**
 * The serve records of recent requests by request id, for explanations (`GET /v1/feed/explain`), with the serve log
 * on disk as the fallback for older ones.
 *
 * Memory: a kept record's bytes live in one arena of `maxBytes`, allocated up front and reused as a ring: its
 * float blocks (source columns, features, scores) and its line's JSON text as UTF-8 (`columnarOf`, the form the serve
 * log queues). On the heap a record is a few small objects, nothing per candidate: thousands of long-lived objects
 * per request made every scavenge copy and promote them (5–6 ms per scavenge at 1M items), and even the text as one
 * string per record (~30 KB at 1,000 candidates) made scavenges ~40 % longer than keeping nothing (`npm run bench --
 * feed`, README "GC"). Records are kept in arrival order, the oldest evicted first once the kept records pass
 * `maxBytes` (default 64 MiB) or `maxRecords` (default 100 000); a record counts its arena bytes plus a fixed
 * allowance (`estimateServeRecordBytes`). A request of 1000 candidates × 25 features with 2 sources each is ~150 KB,
 * so the default keeps roughly the last 430 such requests, or thousands of small ones. `maxBytes: 0` keeps nothing
 * (every lookup reads the disk). `recent` and `find` rebuild the record (its text parsed, its blocks copied out).
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

/** Estimated heap bytes of a kept record besides its bytes in the arena. */
const RECORD_BASE_BYTES = 512;

const align8 = (n: number) => (n + 7) & ~7;

/** Arena bytes of a prepared record: its float blocks, then its text as UTF-8 (8-aligned). */
function arenaBytes(c: ColumnarRecord): number {
  let f64 = 0;
  let f32 = c.features.length;
  for (const v of c.sourceScores) f64 += v.length;
  for (const v of Object.values(c.scores)) f32 += v.length;
  return 8 * f64 + align8(4 * f32) + align8(c.textBytes);
}

/** Estimated memory held by a kept record: its arena bytes (float blocks and UTF-8 text) plus a fixed allowance. */
export function estimateServeRecordBytes(r: ServeRecord): number {
  return RECORD_BASE_BYTES + arenaBytes(columnarOf(r));
}

/**
 * A kept record: where its bytes are in the arena ([start, end): source columns, features, scores, text parts) and
 * what it takes to read them back; a few small objects per record, nothing per candidate.
 */
interface Kept {
  start: number;
  end: number;
  bytes: number;
  /** Elements per float block (source columns, features, scores), then UTF-8 bytes per text part. */
  lengths: number[];
  inline: boolean;
  /** Shared among records with the same lists (`shared`). */
  sourceNames: readonly string[];
  scoreNames: readonly string[];
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
  private readonly byId = new Map<string, Kept>();
  /**
   * The kept records' bytes (float blocks and UTF-8 text), copied into one buffer allocated once and used as a ring
   * (`place`): a new ArrayBuffer per kept record (~160 KB at 1000 candidates) outlived the young generation, and V8
   * answers that much external memory with a full mark-compact every ~3 s at 120 requests/s (each with ~300 ms of
   * incremental marking).
   * Allocated in the constructor, i.e. when the engine opens, not on the first kept record: 64 MiB of external memory
   * appearing while serving costs that request a mark-compact, and (before V8's allocation-site pretenuring was
   * switched off, src/server/node-flags.ts) it reliably tipped the server into a state where every scavenge promoted
   * ~5 MB (1M items: HTTP p99 38–52 ms instead of 8–9; README "GC", pretenuring).
   */
  private readonly arena: ArrayBuffer | undefined;
  /** The arena as a Buffer, for the records' text. */
  private readonly textView: Buffer | undefined;
  private readonly names = new Map<string, readonly string[]>();
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
    if (this.maxBytes > 0 && this.maxRecords > 0) {
      this.arena = new ArrayBuffer(this.maxBytes);
      this.textView = Buffer.from(this.arena);
    }
  }

  /** The side effect: keeps `record`, evicting the oldest ones over budget. O(1) amortised plus a copy of its bytes into the arena. */
  remember(record: ServeRecord): void {
    if (this.maxBytes === 0 || this.maxRecords === 0) return;
    let c: ColumnarRecord;
    try {
      c = columnarOf(record);
    } catch {
      return; // not serialisable (the serve log counts it as an error): nothing to explain it from
    }
    const need = arenaBytes(c);
    const bytes = RECORD_BASE_BYTES + need;
    if (bytes > this.maxBytes) return;
    const old = this.byId.get(record.request_id);
    if (old) {
      this.byId.delete(record.request_id);
      this.bytes -= old.bytes;
    }
    this.bytes += bytes;
    while (this.byId.size > 0 && (this.bytes > this.maxBytes || this.byId.size >= this.maxRecords)) this.evictOldest();
    this.byId.set(record.request_id, this.place(c, need, bytes));
  }

  /** The record in memory (rebuilt from its bytes in the arena, float blocks copied out), without touching the disk. */
  recent(requestId: string): ServeRecord | undefined {
    const kept = this.byId.get(requestId);
    if (!kept) return undefined;
    const arena = this.arena!;
    const { lengths, sourceNames, scoreNames } = kept;
    let at = kept.start;
    let k = 0;
    /** The next block, copied out of the arena. */
    const block = <T extends Float32Array | Float64Array>(make: new (b: ArrayBuffer, at: number, n: number) => T): T => {
      const v = new make(arena, at, lengths[k++]).slice() as T;
      at += v.byteLength;
      return v;
    };
    const sourceScores = sourceNames.map(() => block(Float64Array));
    const features = block(Float32Array);
    const scores: Record<string, Float32Array> = {};
    for (const name of scoreNames) scores[name] = block(Float32Array);
    at = align8(at);
    const parts: string[] = [];
    let textBytes = 0;
    for (; k < lengths.length; k++) {
      parts.push(this.textView!.toString('utf8', at, at + lengths[k]));
      at += lengths[k];
      textBytes += lengths[k];
    }
    return fromColumnar({ parts, inline: kept.inline, textBytes, sourceNames: [...sourceNames], sourceScores, features, scores });
  }

  /**
   * Copies the record's bytes (`need` of them: float blocks, then the text as UTF-8) into the arena at the head
   * (wrapping to 0 when they do not fit before its end), evicting the oldest records whose bytes are in the way:
   * records are kept in arrival order, so the ones in the way are always the oldest. `need` ≤ the arena's size.
   */
  private place(c: ColumnarRecord, need: number, bytes: number): Kept {
    if (this.head + need > this.maxBytes) {
      // the previous lap's records beyond the head are the oldest of all: they go first, then the ring restarts at 0
      this.evictWhile((k) => k.start >= this.head);
      this.head = 0;
    }
    const start = this.head;
    const end = start + need;
    this.evictWhile((k) => k.start < end && k.end > start);
    this.head = end;
    const lengths: number[] = [];
    let at = start;
    const copy = (v: Float32Array | Float64Array) => {
      new Uint8Array(this.arena!, at, v.byteLength).set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      lengths.push(v.length);
      at += v.byteLength;
    };
    c.sourceScores.forEach(copy);
    copy(c.features);
    const scoreNames = Object.keys(c.scores);
    for (const name of scoreNames) copy(c.scores[name]);
    at = align8(at);
    for (const part of c.parts) {
      const n = this.textView!.write(part, at, 'utf8');
      lengths.push(n);
      at += n;
    }
    return { start, end, bytes, lengths, inline: c.inline, sourceNames: this.shared(c.sourceNames), scoreNames: this.shared(scoreNames) };
  }

  /** One array per distinct list of names (records repeat the same few), so a kept record holds no list of its own. */
  private shared(names: string[]): readonly string[] {
    const key = names.join('\u0000');
    let list = this.names.get(key);
    if (!list) {
      if (this.names.size >= 256) this.names.clear();
      list = names;
      this.names.set(key, list);
    }
    return list;
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
