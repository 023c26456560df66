/**
 * The embedded `EventLog`: partitioned segment files in one directory, group commit (group-commit.ts), fsync
 * before ack by default. Needs nothing but Node.
 *
 *   dir/meta.json                          { version, partitionCount }
 *   dir/p-000/00000000000000000000.seg     segments named by base offset (record format: record-codec.ts)
 *   dir/offsets/<group>.json               consumer offsets (consumer-offsets.ts)
 *
 * `seq` is a log-wide total order: strictly increasing in append call order, restored on reopen (max seq + 1), with
 * gaps where an append failed. One process per directory: nothing locks it.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendRecord, Durability, EventLog, LogRecord, RecordPosition } from '../../log/event-log.js';
import { partitionFor } from '../../log/partitioner.js';
import {
  BackendUnavailableError,
  ConfigError,
  CorruptDataError,
  FeedloopError,
  NotFoundError,
  ValidationError,
} from '../../errors.js';
import { ConsumerOffsetStore } from './consumer-offsets.js';
import { isErrnoCode, writeFileAtomic } from '../../util/file-io.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import { PartitionLog, type FaultHooks } from './partition-log.js';

/** Options of `openSegmentLog`. */
export interface SegmentLogOptions {
  /** Directory of the log (created if missing). */
  dir: string;
  /** Number of partitions; fixed when the directory is created. */
  partitionCount: number;
  /** A segment is rolled when the next record would take it past this size. Default 128 MiB. */
  segmentMaxBytes?: number;
  /** Default `{ mode: 'fsync' }`. */
  durability?: Durability;
  /** Extra wait before a flush, counted from the first queued append. Default 0: as soon as the last flush ends. */
  maxBatchDelayMs?: number;
  /** Test hooks: throw to simulate EIO/ENOSPC on a partition's write or fdatasync. */
  faults?: FaultHooks;
  /**
   * Open for reading only, e.g. for a training job while the server writes: nothing is created, cut or written;
   * records appended after the open are not seen; `append` and `commit` reject.
   */
  readOnly?: boolean;
}

/** A partition whose last segment had a torn or corrupt tail cut off when the log was opened. */
export interface RecoveryReportEntry {
  partition: number;
  truncatedBytes: number;
}

const META_VERSION = 1;
const DEFAULT_SEGMENT_MAX_BYTES = 128 << 20;

export class SegmentEventLog implements EventLog {
  readonly name = 'embedded';
  private readonly listeners = new Set<() => void>();
  private readonly reads = new Set<Promise<unknown>>();
  private readonly committer: GroupCommitter;
  private closing: Promise<void> | undefined;

  /** Use `openSegmentLog`. */
  constructor(
    readonly partitionCount: number,
    private readonly partitions: readonly PartitionLog[],
    private readonly offsets: ConsumerOffsetStore,
    /** Torn tails cut off at open, one entry per affected partition (empty after a clean shutdown). */
    readonly recovery: readonly RecoveryReportEntry[],
    opts: Omit<GroupCommitOptions, 'onCommitted'>,
    private readonly readOnly = false,
  ) {
    this.committer = new GroupCommitter(partitions, { ...opts, onCommitted: () => this.notifyListeners() });
  }

  partitionFor(key: string): number {
    return partitionFor(key, this.partitionCount);
  }

  append(records: readonly AppendRecord[]): Promise<RecordPosition[]> {
    if (this.closing) return Promise.reject(new BackendUnavailableError('event log is closed'));
    if (this.readOnly) return Promise.reject(new BackendUnavailableError('event log is open read-only'));
    return this.committer.enqueue(records);
  }

  async endOffsets(): Promise<number[]> {
    this.assertOpen();
    return this.partitions.map((p) => p.endOffset);
  }

  async read(partition: number, fromOffset: number, maxRecords: number): Promise<LogRecord[]> {
    this.assertOpen();
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitionCount) {
      throw new ValidationError(`partition must be an integer in [0, ${this.partitionCount})`, 'partition');
    }
    if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
      throw new ValidationError('fromOffset must be a non-negative integer', 'fromOffset');
    }
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 0) {
      throw new ValidationError('maxRecords must be a non-negative integer', 'maxRecords');
    }
    const reading = this.partitions[partition].read(fromOffset, maxRecords);
    this.reads.add(reading);
    try {
      return await reading;
    } catch (err) {
      if (err instanceof FeedloopError) throw err;
      throw new BackendUnavailableError(`reading partition ${partition} failed`, { cause: err });
    } finally {
      this.reads.delete(reading);
    }
  }

  onAppend(listener: () => void): () => void {
    const entry = () => listener(); // a fresh function, so subscribing one listener twice gives two subscriptions
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  async commit(group: string, offsets: readonly number[]): Promise<void> {
    this.assertOpen();
    await this.offsets.commit(group, offsets);
  }

  async committed(group: string): Promise<number[]> {
    this.assertOpen();
    return this.offsets.committed(group);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const flushed = await this.committer.close().then(
      () => undefined,
      (err: unknown) => ({ err }),
    );
    await Promise.allSettled(this.reads);
    await this.offsets.drain();
    const closed = await Promise.allSettled(this.partitions.map((p) => p.close()));
    const closeFailure = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const cause: unknown = flushed ? flushed.err : closeFailure?.reason;
    if (flushed || closeFailure) throw new BackendUnavailableError('closing the event log failed', { cause });
  }

  private notifyListeners(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        process.emitWarning(`event log onAppend listener threw: ${String(err)}`);
      }
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new BackendUnavailableError('event log is closed');
  }
}

/** Opens (creating if needed) the segment log in `opts.dir`, recovering torn tails left by a crash. */
export async function openSegmentLog(opts: SegmentLogOptions): Promise<SegmentEventLog> {
  const { dir, partitionCount } = opts;
  const segmentMaxBytes = opts.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES;
  const durability = opts.durability ?? { mode: 'fsync' };
  const maxBatchDelayMs = opts.maxBatchDelayMs ?? 0;
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > 100_000) {
    throw new ConfigError(`partitionCount must be an integer in [1, 100000], got ${partitionCount}`, 'partitionCount');
  }
  if (!Number.isSafeInteger(segmentMaxBytes) || segmentMaxBytes < 1) {
    throw new ConfigError(`segmentMaxBytes must be a positive integer, got ${segmentMaxBytes}`, 'segmentMaxBytes');
  }
  if (durability.mode === 'interval' && !(durability.intervalMs > 0)) {
    throw new ConfigError(`durability.intervalMs must be > 0, got ${durability.intervalMs}`, 'durability.intervalMs');
  }
  if (!(maxBatchDelayMs >= 0)) throw new ConfigError('maxBatchDelayMs must be >= 0', 'maxBatchDelayMs');

  const readOnly = opts.readOnly === true;
  if (!readOnly) await mkdir(dir, { recursive: true });
  await checkOrWriteMeta(dir, partitionCount, readOnly);
  const opened = await Promise.allSettled(
    Array.from({ length: partitionCount }, (_, p) => PartitionLog.open(p, join(dir, partitionDirName(p)), readOnly)),
  );
  const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const ok = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failed) {
    await Promise.allSettled(ok.map((r) => r.log.close()));
    throw failed.reason;
  }
  let offsets: ConsumerOffsetStore;
  try {
    offsets = await ConsumerOffsetStore.open(join(dir, 'offsets'), partitionCount, readOnly);
  } catch (err) {
    await Promise.allSettled(ok.map((r) => r.log.close()));
    throw err;
  }
  const nextSeq = ok.reduce((max, r) => Math.max(max, r.maxSeq), -1) + 1;
  const recovery = ok.flatMap((r, partition) =>
    r.truncatedBytes > 0 ? [{ partition, truncatedBytes: r.truncatedBytes }] : [],
  );
  return new SegmentEventLog(
    partitionCount,
    ok.map((r) => r.log),
    offsets,
    recovery,
    { nextSeq, segmentMaxBytes, durability, maxBatchDelayMs, faults: opts.faults ?? {} },
    readOnly,
  );
}

/** `p-000`, `p-001`, …: the directory of a partition. */
function partitionDirName(partition: number): string {
  return `p-${String(partition).padStart(3, '0')}`;
}

async function checkOrWriteMeta(dir: string, partitionCount: number, readOnly: boolean): Promise<void> {
  const path = join(dir, 'meta.json');
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!isErrnoCode(err, 'ENOENT')) throw err;
  }
  if (text === undefined && readOnly) throw new NotFoundError(`no event log in ${dir}`, 'dir');
  if (text === undefined) {
    await writeFileAtomic(path, JSON.stringify({ version: META_VERSION, partitionCount }) + '\n');
    return;
  }
  let meta: { partitionCount?: unknown };
  try {
    meta = JSON.parse(text) as { partitionCount?: unknown };
  } catch (err) {
    throw new CorruptDataError(`${path} is not valid JSON`, { cause: err });
  }
  if (meta.partitionCount !== partitionCount) {
    throw new ConfigError(
      `event log ${dir} has ${String(meta.partitionCount)} partitions but was opened with partitionCount ` +
        `${partitionCount}; the partition count of an existing log cannot change`,
      'partitionCount',
    );
  }
}
