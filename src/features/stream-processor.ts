/**
 * The stream processor: reads the event log from the feature store's positions, applies every entry to the store
 * in log order (partitions merged by `seq` when the log has a total order, so every replay applies the same order
 * and yields bit-identical features), and checkpoints the store periodically, then commits the consumer offsets.
 */
import type { EventLog, LogRecord } from '../log/event-log.js';
import { decodeEntry, type LogEntry } from '../log/log-entry.js';
import { earliestHead } from '../log/read-in-order.js';
import type { EventIdIndex } from '../ingest/event-id-index.js';
import type { FeatureStore } from './feature-store.js';

export interface ProcessorOptions {
  /** Consumer group name under which offsets are committed. */
  group: string;
  snapshotEveryRecords: number;
  snapshotIntervalMs: number;
  /** Records read per partition per read call. */
  readChunk?: number;
  /** Skip events (and deletions) timed after this (offline "features as of" replays); default none skipped. */
  asOfMs?: number;
}

export interface ProcessorObserver {
  /** After each applied batch: count and the append time of its newest record. */
  applied?(count: number, newestAppendTimeMs: number): void;
  /** After each applied batch, with its entries (e.g. to insert new items into an ANN index). Must not throw. */
  appliedEntries?(entries: readonly LogEntry[]): void;
  checkpointed?(ms: number): void;
  error?(err: unknown): void;
}

export class StreamProcessor {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private sinceCheckpoint = 0;
  private lastCheckpointMs = Date.now();
  private checkpointing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastAppliedAppendMs = 0;
  private readonly readChunk: number;

  constructor(
    private readonly log: EventLog,
    private readonly store: FeatureStore,
    private readonly ids: EventIdIndex | undefined,
    private readonly opts: ProcessorOptions,
    private readonly observer: ProcessorObserver = {},
  ) {
    this.readChunk = opts.readChunk ?? 4096;
  }

  /** Replays everything already in the log, then follows new appends. */
  async start(): Promise<void> {
    await this.catchUp();
    this.unsubscribe = this.log.onAppend(() => this.kick());
    this.timer = setInterval(() => this.maybeCheckpoint(true), Math.max(1000, Math.min(this.opts.snapshotIntervalMs, 10_000)));
    this.timer.unref();
    this.kick();
  }

  /** Applies everything readable at the moment of the call. */
  async catchUp(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  /** Stops following, finishes the current batch and writes a final checkpoint. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    while (this.running) await this.running;
    await this.checkpointing;
    if (this.sinceCheckpoint > 0) await this.checkpoint();
  }

  /** Records not yet applied, and the age of the newest applied record when behind (ms). */
  async lag(): Promise<{ events: number; ms: number }> {
    const ends = await this.log.endOffsets();
    const pos = this.store.positions();
    const events = ends.reduce((s, e, p) => s + Math.max(0, e - pos[p]), 0);
    return { events, ms: events > 0 && this.lastAppliedAppendMs > 0 ? Math.max(0, Date.now() - this.lastAppliedAppendMs) : 0 };
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainLoop().finally(() => {
      this.running = undefined;
    });
  }

  private async drainLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.drain();
      } catch (err) {
        this.observer.error?.(err);
        return;
      }
    } while (this.again && !this.stopped);
    this.maybeCheckpoint(false);
  }

  /** Applies all records below the end offsets read at one instant, merged across partitions. */
  private async drain(): Promise<void> {
    const ends = await this.log.endOffsets();
    const pos = this.store.positions();
    const n = ends.length;
    const bufs: LogRecord[][] = Array.from({ length: n }, () => []);
    const at = new Array<number>(n).fill(0);
    const batch: LogEntry[] = [];
    let newestAppend = 0;
    const flush = () => {
      if (!batch.length) return;
      this.store.apply(batch, pos);
      this.sinceCheckpoint += batch.length;
      this.lastAppliedAppendMs = newestAppend;
      this.observer.applied?.(batch.length, newestAppend);
      this.observer.appliedEntries?.(batch);
      batch.length = 0;
    };
    for (;;) {
      for (let p = 0; p < n; p++) {
        if (at[p] >= bufs[p].length && pos[p] < ends[p]) {
          bufs[p] = await this.log.read(p, pos[p], Math.min(this.readChunk, ends[p] - pos[p]));
          at[p] = 0;
        }
      }
      const best = earliestHead(bufs, at);
      if (best === -1) break;
      // take every record of `best` that precedes the other partitions' heads, without re-reading
      const limit = nextHeadSeq(bufs, at, best);
      while (at[best] < bufs[best].length) {
        const rec = bufs[best][at[best]];
        if (rec.seq !== undefined && rec.seq > limit) break;
        const entry = decodeEntry(rec.value);
        if (this.opts.asOfMs === undefined || !isAfter(entry, this.opts.asOfMs)) {
          if (entry.kind === 'event') this.ids?.add(entry.event.id);
          batch.push(entry);
        }
        newestAppend = rec.appendTimeMs;
        at[best]++;
        pos[best] = rec.offset + 1;
        if (batch.length >= 1024) flush();
      }
    }
    flush();
  }

  private maybeCheckpoint(byTimer: boolean): void {
    if (this.checkpointing || this.sinceCheckpoint === 0) return;
    const due =
      this.sinceCheckpoint >= this.opts.snapshotEveryRecords || (byTimer && Date.now() - this.lastCheckpointMs >= this.opts.snapshotIntervalMs);
    if (!due) return;
    this.checkpointing = this.checkpoint()
      .catch((err) => this.observer.error?.(err))
      .finally(() => {
        this.checkpointing = undefined;
      });
  }

  private async checkpoint(): Promise<void> {
    const t0 = performance.now();
    const positions = this.store.positions();
    this.sinceCheckpoint = 0;
    this.lastCheckpointMs = Date.now();
    await this.store.checkpoint();
    await this.log.commit(this.opts.group, positions);
    this.observer.checkpointed?.(performance.now() - t0);
  }
}

/** Smallest head seq among partitions other than `except` (Infinity if none or no total order). */
function nextHeadSeq(bufs: LogRecord[][], at: number[], except: number): number {
  let m = Infinity;
  for (let p = 0; p < bufs.length; p++) {
    if (p === except || at[p] >= bufs[p].length) continue;
    const s = bufs[p][at[p]].seq;
    if (s !== undefined && s < m) m = s;
  }
  return m;
}

/**
 * Whether an entry lies after an as-of cut: events and deletions by their time. Catalog upserts (item and user
 * attributes) are static metadata and always apply: imported history writes them after the events they describe.
 */
function isAfter(e: LogEntry, asOfMs: number): boolean {
  if (e.kind === 'event') return e.event.ts > asOfMs;
  return e.kind === 'item_delete' && e.ts > asOfMs;
}
