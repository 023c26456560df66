/**
 * The `EventLog` port: a durable, partitioned, append-only log of opaque records, in the shape of a Kafka topic.
 *
 * Contract (every adapter passes test/conformance/event-log.conformance.ts):
 * - Records are routed to a partition by `partitionFor(key)`, a stable hash of the key (feedloop uses `user_id` for
 *   events), so one key's records keep their append order.
 * - Offsets are per partition, start at 0 and are contiguous: the n-th record appended to a partition has offset n.
 * - `append` resolves only once every record of the call is durable (by default: written and fsynced); the returned
 *   positions are in input order. If any record cannot be made durable it rejects with `BackendUnavailableError`
 *   and acknowledges nothing; the adapter rolls back what it wrote when it can. Callers retry with the same
 *   idempotency keys, so a record that survived a failed append is de-duplicated downstream.
 * - A record becomes readable (`read`, `endOffsets`) no earlier than it is durable, and never disappears afterwards
 *   (retention aside).
 * - `seq` is a log-wide sequence number when the adapter has a total order across partitions (the embedded log
 *   does); a consumer that merges partitions by `seq` replays exactly the same order every time. Adapters without a
 *   total order (Kafka, NATS) leave it `undefined`.
 * - Consumer groups keep committed offsets (`commit`/`committed`), which survive a restart.
 */
export interface EventLog {
  /** Stable adapter name for config, metrics and logs (e.g. `embedded`). */
  readonly name: string;
  readonly partitionCount: number;
  /** Partition of a key: deterministic across processes and restarts. */
  partitionFor(key: string): number;
  append(records: readonly AppendRecord[]): Promise<RecordPosition[]>;
  /**
   * End offset (offset of the next record to be appended, i.e. count of readable records) of every partition,
   * taken at one instant: with a total-order adapter the union of the prefixes is a prefix of `seq`.
   */
  endOffsets(): Promise<number[]>;
  /** Up to `maxRecords` readable records of `partition` from `fromOffset` on, in offset order; `[]` at the end. */
  read(partition: number, fromOffset: number, maxRecords: number): Promise<LogRecord[]>;
  /**
   * Calls `listener` (synchronously, after the records became readable) whenever records are appended. Returns an
   * unsubscribe function. Listeners must not throw.
   */
  onAppend(listener: () => void): () => void;
  /** Persists a consumer group's next offsets to read, one per partition. */
  commit(group: string, offsets: readonly number[]): Promise<void>;
  /** The group's committed offsets (all 0 for a new group). */
  committed(group: string): Promise<number[]>;
  /** Flushes what is pending and releases files/connections. Idempotent. */
  close(): Promise<void>;
}

export interface AppendRecord {
  /** Routing key (partition = hash of key). */
  key: string;
  /** Payload; the log never looks inside. */
  value: Uint8Array;
}

export interface RecordPosition {
  partition: number;
  offset: number;
}

export interface LogRecord extends RecordPosition {
  /** Log-wide sequence number when the adapter has a total order, else undefined. */
  seq: number | undefined;
  /** Server time the record was appended, in ms since the epoch. */
  appendTimeMs: number;
  key: string;
  value: Uint8Array;
}

/** How durable an acknowledged append is. */
export type Durability =
  /** fsync (fdatasync) before `append` resolves: an acknowledged record survives power loss. The default. */
  | { mode: 'fsync' }
  /** `append` resolves after write(2); fsync runs every `intervalMs`: a crash of the OS may lose that window. */
  | { mode: 'interval'; intervalMs: number };
