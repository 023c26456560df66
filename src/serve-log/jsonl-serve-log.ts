/**
 * The embedded `ServeLog` adapter: append-only JSON Lines files in one directory, read back by `readServeLog`.
 *
 * Format: `<dir>/serve-<UTC yyyyMMdd-HHmmss>-<seq>.jsonl`, `seq` a 6-digit counter that grows across the whole
 * directory, so file names sort in creation order (the timestamp is clamped to never go below the newest existing
 * file's, should the clock step back). Each line is `encodeServeRecord(record)` + `\n`: JSON with the feature and
 * score blocks as base64 float32 (record-codec.ts), so non-finite features survive exactly.
 * One process writes a directory at a time. Every open starts a new file and never appends to an existing one (an
 * earlier process may have died mid-line); a file is closed and a new one started before it would pass
 * `maxFileBytes` (so a file is bigger only when a single record is), and after any write error (so a torn line can
 * only ever be the last line of a file, which the loader skips).
 *
 * Off the request path: `write` prepares the record (`columnarOf`: its line's JSON text, cut where the float blocks
 * go, and the blocks as typed arrays; ~0.2 ms for 1,000 candidates, and a queued record is a few objects rather than
 * thousands for the garbage collector to copy) and pushes it onto a fixed-size ring. A drain runs `flushIntervalMs`
 * after the first queued record (at once when the ring is half full or on `flush`): it encodes records in batches
 * and appends up to `maxBatchBytes` with one writev(2) (+ fdatasync when `fsync`). The lines (base64 of the blocks
 * between the text's parts) are built in a worker thread (record-encoder.ts; `encodeInWorker: false` keeps it on the
 * event loop), so the event loop only prepares records, posts them (a few strings and transferred buffers) and
 * awaits I/O.
 */
import { inThreadEncoder, workerEncoder, type RecordEncoder } from './record-encoder.js';
import { columnarOf, preparedBytes, type ColumnarRecord } from './record-codec.js';
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServeRecord } from '../domain/feed.js';
import { BackendUnavailableError, ConfigError } from '../errors.js';
import { fsyncDir, writeFully } from '../util/file-io.js';
import type { ServeLog, ServeLogStats } from './serve-log.js';

/** Matches serve-log file names; group 1 is the UTC stamp, group 2 the sequence number. */
export const SERVE_FILE_PATTERN = /^serve-(\d{8}-\d{6})-(\d+)\.jsonl$/;

export interface JsonlServeLogOptions {
  /** Directory of the log files; created if missing. */
  dir: string;
  /** Capacity of the in-memory queue, records. */
  maxQueueRecords?: number;
  /**
   * Capacity of the in-memory queue, bytes of prepared records (text and float blocks; `preparedBytes`): at 1,000
   * candidates a record is ~250 KB, so a record count alone let a stalled disk hold gigabytes. A record that alone is
   * larger is still accepted into an empty queue.
   */
  maxQueueBytes?: number;
  /** A new file is started before the current one would pass this size. */
  maxFileBytes?: number;
  /** fdatasync every batch (and the directory on every new file) before counting it as written. */
  fsync?: boolean;
  /** Longest a record waits in the queue before a drain starts, ms. */
  flushIntervalMs?: number;
  /**
   * Bytes of lines per write, one writev(2) (a longer line goes alone). Encoding is batched on its own (16 records
   * per batch, in the worker), so this no longer bounds how long a drain step holds the event loop. At 1,000
   * candidates a line is ~300 KB: with 64 KiB every line was a write of its own, the drain fell behind, and the lines
   * and queued records it held outlived two scavenges; promoted, their buffers were freed only by mark-compacts,
   * which V8 then ran every ~350 requests for that external memory (1M items, 10,000 requests: 9 mark-compacts,
   * one-client p99 12.7 ms). With 1 MiB, 8,000 requests: none, p99 8.6–8.9 ms.
   */
  maxBatchBytes?: number;
  /** Encode records (base64, JSON) in a worker thread instead of on the event loop (record-encoder.ts). */
  encodeInWorker?: boolean;
}

/**
 * Opens (creating `dir` if needed) a log that will write to a new file. Rejects with ConfigError on bad options and
 * BackendUnavailableError when the directory cannot be created or listed.
 */
export async function openJsonlServeLog(options: JsonlServeLogOptions): Promise<JsonlServeLog> {
  const {
    dir,
    maxQueueRecords = 10_000,
    maxQueueBytes = 128 * 1024 * 1024,
    maxFileBytes = 256 * 1024 * 1024,
    fsync = false,
    flushIntervalMs = 50,
    maxBatchBytes = 1024 * 1024,
    encodeInWorker = true,
  } = options;
  for (const [key, v] of Object.entries({ maxQueueRecords, maxQueueBytes, maxFileBytes, maxBatchBytes })) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${key} must be a positive integer, got ${v}`, key);
  }
  if (!(flushIntervalMs >= 0)) throw new ConfigError(`flushIntervalMs must be ≥ 0, got ${flushIntervalMs}`, 'flushIntervalMs');
  let names: string[];
  try {
    await mkdir(dir, { recursive: true });
    names = (await readdir(dir)).filter((n) => SERVE_FILE_PATTERN.test(n));
  } catch (err) {
    throw new BackendUnavailableError(`serve log: cannot open directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  let lastStamp = '';
  let nextSeq = 0;
  for (const n of names) {
    const [, stamp, seq] = SERVE_FILE_PATTERN.exec(n)!;
    if (stamp > lastStamp) lastStamp = stamp;
    nextSeq = Math.max(nextSeq, Number(seq) + 1);
  }
  return new JsonlServeLog(dir, { maxQueueRecords, maxQueueBytes, maxFileBytes, fsync, flushIntervalMs, maxBatchBytes, encodeInWorker }, lastStamp, nextSeq);
}

/** UTC `yyyyMMdd-HHmmss` of a time in ms. */
function utcStamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-01T12:34:56.789Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

interface Waiter {
  /** Resolve once this many accepted records are settled (written or dropped). */
  target: number;
  resolve: () => void;
}

/** Records handed to the encoder at once (a few MB of lines at most). */
const ENCODE_BATCH = 16;

export class JsonlServeLog implements ServeLog {
  readonly name = 'jsonl';
  /** Queued records in columnar form; null: a record that could not be converted (counted when its turn comes). */
  private readonly ring: (ColumnarRecord | null | undefined)[];
  private head = 0;
  private size = 0;
  /** Bytes of each queued record (`preparedBytes`), by ring slot, and their sum. */
  private readonly ringBytes: Float64Array;
  private queuedBytes = 0;
  /** Encoded lines (null: a record that could not be serialised) not yet written, in record order. */
  private carry: (Buffer | null)[] = [];
  private readonly encoder: RecordEncoder;
  private accepted = 0;
  private settled = 0;
  private counters = { written: 0, dropped: 0, bytes: 0, errors: 0 };
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private draining = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private handle: FileHandle | null = null;
  private fileBytes = 0;
  private readonly batchCapBytes: number;

  /** Use `openJsonlServeLog`. */
  constructor(
    readonly dir: string,
    private readonly opts: Required<Omit<JsonlServeLogOptions, 'dir'>>,
    private lastStamp: string,
    private nextSeq: number,
  ) {
    this.ring = new Array<ColumnarRecord | null | undefined>(opts.maxQueueRecords);
    this.ringBytes = new Float64Array(opts.maxQueueRecords);
    this.batchCapBytes = Math.min(opts.maxBatchBytes, opts.maxFileBytes);
    this.encoder = opts.encodeInWorker ? workerEncoder() : inThreadEncoder();
  }

  write(record: ServeRecord): boolean {
    const capacity = this.ring.length;
    if (this.closed || this.size === capacity) {
      this.counters.dropped++;
      return false;
    }
    let columnar: ColumnarRecord | null;
    try {
      columnar = columnarOf(record);
    } catch {
      columnar = null; // e.g. a throwing getter: dropped and counted as an error when its turn comes
    }
    const bytes = columnar ? preparedBytes(columnar) : 0;
    if (this.size > 0 && this.queuedBytes + bytes > this.opts.maxQueueBytes) {
      this.counters.dropped++;
      return false;
    }
    const slot = (this.head + this.size) % capacity;
    this.ring[slot] = columnar;
    this.ringBytes[slot] = bytes;
    this.queuedBytes += bytes;
    this.size++;
    this.accepted++;
    if (!this.draining) this.schedule(this.size * 2 >= capacity);
    return true;
  }

  flush(): Promise<void> {
    if (this.settled >= this.accepted) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ target: this.accepted, resolve }));
    if (!this.draining) this.schedule(true);
    return done;
  }

  stats(): ServeLogStats {
    return { ...this.counters, queued: this.accepted - this.settled, queuedBytes: this.queuedBytes };
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await this.flush();
      if (this.timer) clearTimeout(this.timer);
      if (this.immediate) clearImmediate(this.immediate);
      this.timer = this.immediate = null;
      await this.closeFile().catch(() => {
        this.counters.errors++;
      });
      await this.encoder.close();
    })();
    return this.closing;
  }

  /** Arms the drain: now-ish (setImmediate) when `soon`, else after `flushIntervalMs`. */
  private schedule(soon: boolean): void {
    if (this.immediate) return;
    if (soon) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.immediate = setImmediate(() => this.startDrain());
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.startDrain(), this.opts.flushIntervalMs);
    }
  }

  private startDrain(): void {
    this.timer = this.immediate = null;
    if (this.draining) return;
    this.draining = true;
    void this.drain().finally(() => {
      this.draining = false;
      // records that arrived while the last batch was settling (the loop re-checks, but be defensive)
      if (this.settled < this.accepted) this.schedule(this.waiters.length > 0);
    });
  }

  private async drain(): Promise<void> {
    while (this.size > 0 || this.carry.length > 0) {
      if (this.carry.length === 0) {
        const records: (ColumnarRecord | null)[] = [];
        while (this.size > 0 && records.length < ENCODE_BATCH) records.push(this.take());
        this.carry = await this.encoder.encode(records);
      }
      // one write of whole lines up to the batch cap (a longer line goes alone); unserialisable records are
      // counted as dropped in their place, so settling stays in record order
      const lines: Buffer[] = [];
      let batchBytes = 0;
      let failed = 0;
      let k = 0;
      for (; k < this.carry.length; k++) {
        const line = this.carry[k];
        if (line === null) {
          failed++;
          continue;
        }
        if (lines.length > 0 && batchBytes + line.length > this.batchCapBytes) break;
        lines.push(line);
        batchBytes += line.length;
      }
      this.carry = this.carry.slice(k);
      this.counters.dropped += failed;
      this.counters.errors += failed;
      if (lines.length) {
        try {
          await this.append(lines, batchBytes);
          this.counters.written += lines.length;
        } catch {
          this.counters.dropped += lines.length;
          this.counters.errors++;
        }
      }
      this.settle(lines.length + failed);
    }
  }

  private take(): ColumnarRecord | null {
    const record = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.queuedBytes -= this.ringBytes[this.head];
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    return record;
  }

  private settle(records: number): void {
    this.settled += records;
    if (!this.waiters.length) return;
    const due = this.waiters.filter((w) => w.target <= this.settled);
    if (!due.length) return;
    this.waiters = this.waiters.filter((w) => w.target > this.settled);
    for (const w of due) w.resolve();
  }

  /** Appends one batch with one writev(2), rolling to a new file first when needed. A failure abandons the file. */
  private async append(lines: Buffer[], batchBytes: number): Promise<void> {
    try {
      if (this.handle && this.fileBytes > 0 && this.fileBytes + batchBytes > this.opts.maxFileBytes) await this.closeFile();
      this.handle ??= await this.createFile();
      const { bytesWritten } = await this.handle.writev(lines, this.fileBytes);
      if (bytesWritten < batchBytes) {
        await writeFully(this.handle, Buffer.concat(lines).subarray(bytesWritten), this.fileBytes + bytesWritten);
      }
      this.fileBytes += batchBytes;
      if (this.opts.fsync) await this.handle.datasync();
      this.counters.bytes += batchBytes;
    } catch (err) {
      await this.closeFile().catch(() => {});
      throw err;
    }
  }

  private async createFile(): Promise<FileHandle> {
    const nowStamp = utcStamp(Date.now());
    const stamp = nowStamp > this.lastStamp ? nowStamp : this.lastStamp;
    for (;;) {
      let handle: FileHandle;
      const path = join(this.dir, `serve-${stamp}-${String(this.nextSeq++).padStart(6, '0')}.jsonl`);
      try {
        handle = await open(path, 'wx'); // never reuse a name, even one another process just took
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      this.lastStamp = stamp;
      this.fileBytes = 0;
      if (this.opts.fsync) await fsyncDir(this.dir).catch(async (err) => {
        await handle.close();
        throw err;
      });
      return handle;
    }
  }

  private async closeFile(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    this.fileBytes = 0;
    if (handle) await handle.close();
  }
}
