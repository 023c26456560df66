/**
 * The `ServeLog` port: the serve pipeline's side effect that keeps one `ServeRecord` per served request (user,
 * context, candidates with sources, features as the ranker saw them, scores, removed candidates with reasons, the
 * slate with propensities, config and model versions, stage timings). Training sets and off-policy evaluation read
 * it back (for the embedded adapter: `readServeLog` in read-serve-log.ts).
 *
 * Contract:
 * - `write` is called on the request path (after the response), so it only enqueues: it does no I/O and no
 *   serialisation, never throws and never waits. It may convert the record to a compact in-memory form in one pass
 *   over its candidates (the embedded adapter keeps typed arrays and flat lists, not thousands of objects, for the
 *   garbage collector's sake). The log keeps a reference to the record's arrays until it is written, so the caller
 *   must not mutate the record (or arrays inside it) after `write`; copy features out of reused buffers first.
 * - The queue is bounded. A record that does not fit (queue full) or that arrives after `close()` is dropped:
 *   `write` returns false and `stats().dropped` counts it. Dropping is never silent.
 * - Records reach storage in `write` order (dropped ones are simply missing).
 * - Storage failures never reach the caller: a failed write (or fsync) increments `stats().errors` and every record
 *   of that batch is counted as dropped; a record that cannot be serialised is dropped and counted the same way.
 *   A batch counted as dropped may still partly appear in storage (a torn last line, or whole lines when only the
 *   fsync failed). The adapter keeps going with the next batch.
 * - Every record accepted by `write` ends up counted exactly once, as written or as dropped:
 *   `accepted = written + dropped(after accept) + queued`.
 */
import type { ServeRecord } from '../domain/feed.js';

export interface ServeLogStats {
  /** Records durably handed to storage (written; fsynced too when the adapter is configured to). */
  written: number;
  /** Records lost: rejected by `write` (queue full, closed) or lost in a failed batch. */
  dropped: number;
  /** Records accepted and not yet written or dropped. */
  queued: number;
  /** Memory the queued records hold (adapter's estimate), bytes; 0 when the adapter keeps no queue in memory. */
  queuedBytes: number;
  /** Bytes written to storage. */
  bytes: number;
  /** Failed storage operations (open, write, fsync) and records that could not be serialised. */
  errors: number;
}

export interface ServeLog {
  /** Stable adapter name for config, metrics and logs (e.g. `jsonl`). */
  readonly name: string;
  /**
   * Enqueues a record; never throws, never blocks on I/O. Returns false when the record was dropped (queue full or
   * log closed) — drops are counted in stats().
   */
  write(record: ServeRecord): boolean;
  /**
   * Resolves once every record enqueued before the call is written (and fsynced if configured) or counted as
   * dropped. Never rejects: failures show in `stats().errors` / `stats().dropped`.
   */
  flush(): Promise<void>;
  /** Counters since open; cheap enough to export as metrics on every scrape. */
  stats(): ServeLogStats;
  /** Stops accepting records, flushes what was accepted, releases files. Idempotent; never rejects. */
  close(): Promise<void>;
}
