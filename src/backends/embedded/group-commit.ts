/**
 * Group commit for the embedded segment log.
 *
 * `enqueue` encodes its records and takes their `seq` numbers synchronously (a log-wide counter, so seq order is
 * call order), then queues them per partition. One flush runs at a time: it takes everything queued, writes each
 * touched partition's bytes with one positional write per segment, fdatasyncs the touched files (partitions in
 * parallel), and then, in one synchronous step, advances every partition's readable end, resolves every append of
 * the flush and calls the `onCommitted` callback. Appends arriving meanwhile form the next flush. So the readable
 * records are always exactly those of the committed flushes, whose seqs form a prefix of the seq order (up to
 * gaps, below): a consumer merging partitions by seq replays the same order every time.
 *
 * Failure: if a write or fdatasync fails, every append of the flush rejects with BackendUnavailableError and each
 * touched partition is cut back to its committed size; their seqs are not reused, so seq may have gaps (strictly
 * increasing, not contiguous). If the cut itself fails, every later append rejects until the log is reopened
 * (reopening recovers the files). In interval durability a failed periodic fdatasync does the same, since
 * acknowledged data may then be lost (the kernel may drop the dirty pages).
 */
import type { AppendRecord, Durability, RecordPosition } from '../../log/event-log.js';
import { partitionFor } from '../../log/partitioner.js';
import { BackendUnavailableError } from '../../errors.js';
import type { FaultHooks, PartitionFlush, PartitionLog } from './partition-log.js';
import { encodeRecord } from './record-codec.js';

/** Settings of a GroupCommitter. */
export interface GroupCommitOptions {
  segmentMaxBytes: number;
  durability: Durability;
  /** Extra wait before a flush, counted from the first queued append; 0 = as soon as the previous flush ends. */
  maxBatchDelayMs: number;
  faults: FaultHooks;
  /** First seq to hand out. */
  nextSeq: number;
  /** Called synchronously right after a flush became readable. */
  onCommitted: () => void;
}

interface PendingAppend {
  partitions: Uint32Array;
  indexes: Uint32Array;
  resolve: (positions: RecordPosition[]) => void;
  reject: (err: Error) => void;
}

/** Everything queued for the next flush: encoded records per partition, and the appends waiting on them. */
class PendingBatch {
  readonly records: Buffer[][];
  readonly appends: PendingAppend[] = [];
  firstAppendAtMs = 0;
  constructor(partitionCount: number) {
    this.records = Array.from({ length: partitionCount }, () => []);
  }
}

export class GroupCommitter {
  private nextSeq: number;
  private pending: PendingBatch;
  private flushing = false;
  private closing = false;
  private cancelScheduledFlush: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  private failure: Error | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private readonly fsyncEachFlush: boolean;

  constructor(
    private readonly partitions: readonly PartitionLog[],
    private readonly opts: GroupCommitOptions,
  ) {
    this.nextSeq = opts.nextSeq;
    this.pending = new PendingBatch(partitions.length);
    this.fsyncEachFlush = opts.durability.mode === 'fsync';
    if (opts.durability.mode === 'interval') {
      this.syncTimer = setInterval(() => this.syncInBackground(), opts.durability.intervalMs);
      this.syncTimer.unref();
    }
  }

  /** Queues `records` for the next flush; resolves with their positions once it is committed. */
  enqueue(records: readonly AppendRecord[]): Promise<RecordPosition[]> {
    if (this.closing) return Promise.reject(new BackendUnavailableError('event log is closed'));
    if (this.failure) return Promise.reject(this.failedError());
    if (records.length === 0) return Promise.resolve([]);
    const appendTimeMs = Date.now();
    const encoded: Buffer[] = [];
    try {
      for (let i = 0; i < records.length; i++) {
        encoded.push(encodeRecord(this.nextSeq + i, appendTimeMs, records[i].key, records[i].value));
      }
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.nextSeq += records.length;
    const batch = this.pending;
    const partitions = new Uint32Array(records.length);
    const indexes = new Uint32Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const p = partitionFor(records[i].key, this.partitions.length);
      partitions[i] = p;
      indexes[i] = batch.records[p].length;
      batch.records[p].push(encoded[i]);
    }
    if (batch.appends.length === 0) batch.firstAppendAtMs = appendTimeMs;
    return new Promise((resolve, reject) => {
      batch.appends.push({ partitions, indexes, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Refuses new appends, commits the queued ones, and (interval durability) fdatasyncs what is unsynced. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.cancelScheduledFlush) {
      this.cancelScheduledFlush();
      void this.flush();
    }
    await new Promise<void>((resolve) => this.whenIdle(resolve));
    clearInterval(this.syncTimer);
    await this.syncing;
    if (!this.fsyncEachFlush && !this.failure) await this.syncAll();
  }

  private scheduleFlush(): void {
    if (this.flushing || this.cancelScheduledFlush) return;
    const waitMs = this.closing ? 0 : this.pending.firstAppendAtMs + this.opts.maxBatchDelayMs - Date.now();
    if (waitMs > 0) {
      const timer = setTimeout(() => void this.flush(), waitMs);
      this.cancelScheduledFlush = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => void this.flush());
      this.cancelScheduledFlush = () => clearImmediate(immediate);
    }
  }

  /** One group commit. Never rejects: a failure rejects the appends of the batch. */
  private async flush(): Promise<void> {
    this.cancelScheduledFlush = undefined;
    const batch = this.pending;
    if (batch.appends.length === 0) return this.notifyIdle();
    this.pending = new PendingBatch(this.partitions.length);
    this.flushing = true;
    try {
      if (this.failure) throw this.failedError();
      const flushes: PartitionFlush[] = [];
      batch.records.forEach((records, p) => {
        if (records.length > 0) flushes.push(this.partitions[p].prepare(records, this.opts.segmentMaxBytes));
      });
      const written = await Promise.allSettled(
        flushes.map((f) => f.partition.write(f, this.opts.faults, this.fsyncEachFlush)),
      );
      const failed = written.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        await this.rollBack(flushes);
        throw new BackendUnavailableError('event log write failed; nothing of this append was acknowledged', {
          cause: failed.reason,
        });
      }
      this.commit(batch, flushes);
    } catch (err) {
      const error =
        err instanceof BackendUnavailableError ? err : new BackendUnavailableError('flush failed', { cause: err });
      for (const a of batch.appends) a.reject(error);
    } finally {
      this.flushing = false;
      if (this.pending.appends.length > 0) this.scheduleFlush();
      else this.notifyIdle();
    }
  }

  /** The synchronous step that makes a written flush readable and acknowledges it. */
  private commit(batch: PendingBatch, flushes: readonly PartitionFlush[]): void {
    const baseOffsets = new Array<number>(this.partitions.length).fill(0);
    for (const f of flushes) {
      baseOffsets[f.partition.id] = f.baseOffset;
      f.partition.commit(f, this.fsyncEachFlush);
    }
    for (const a of batch.appends) {
      const positions = new Array<RecordPosition>(a.partitions.length);
      for (let i = 0; i < positions.length; i++) {
        const partition = a.partitions[i];
        positions[i] = { partition, offset: baseOffsets[partition] + a.indexes[i] };
      }
      a.resolve(positions);
    }
    this.opts.onCommitted();
  }

  /** Cuts every touched partition back to its committed size; if that fails, the log stops taking appends. */
  private async rollBack(flushes: readonly PartitionFlush[]): Promise<void> {
    const undone = await Promise.allSettled(flushes.map((f) => f.partition.rollback(f)));
    const failed = undone.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.failure = new BackendUnavailableError('event log could not undo a failed write; reopen it to recover', {
        cause: failed.reason,
      });
    }
  }

  private syncInBackground(): void {
    if (this.syncing || this.failure) return;
    this.syncing = this.syncAll()
      .catch((err: unknown) => {
        this.failure = new BackendUnavailableError('periodic fdatasync failed; reopen the event log to recover', {
          cause: err,
        });
      })
      .finally(() => (this.syncing = undefined));
  }

  private async syncAll(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.sync(this.opts.faults)));
  }

  private whenIdle(callback: () => void): void {
    if (!this.flushing && !this.cancelScheduledFlush && this.pending.appends.length === 0) callback();
    else this.idleWaiters.push(callback);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private failedError(): BackendUnavailableError {
    return new BackendUnavailableError('event log is in a failed state; reopen it to recover', { cause: this.failure });
  }
}
