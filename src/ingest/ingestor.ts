/**
 * The write path's entry point, used by the HTTP API, the dataset importers and the benchmarks alike: validate at the
 * edge, de-duplicate by event id, append to the durable log, acknowledge. Features are applied later by the stream
 * processor reading the log.
 */
export interface Ingestor {
  /**
   * Validates each raw event on its own: valid ones are appended (and durable when this resolves), invalid ones are
   * reported in `rejected` with the field at fault. Events whose `id` was already accepted count as `duplicates`.
   * `ts` defaults to `nowMs` (server time). Rejects with `BackendUnavailableError` when the log cannot make the
   * batch durable: then nothing of the batch is acknowledged and a retry with the same ids is safe.
   */
  ingestEvents(raw: readonly unknown[], nowMs?: number): Promise<IngestResult>;
  /** Creates or replaces items (same result shape; `duplicates` is always 0). */
  upsertItems(raw: readonly unknown[]): Promise<IngestResult>;
  /** Creates or replaces users. */
  upsertUsers(raw: readonly unknown[]): Promise<IngestResult>;
  /** Marks an item deleted: it stays in history but is hidden from feeds. */
  deleteItem(itemId: string): Promise<void>;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

export interface Rejection {
  /** Index in the submitted array. */
  index: number;
  code: string;
  /** Path of the offending field inside the element, e.g. `watch_ms`; `''` for the element itself. */
  field: string;
  message: string;
}
