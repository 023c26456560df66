/**
 * Input of prequential replay: a catalog (items and users, known from the start — like `featuresAsOf`, catalog
 * attributes are not time-travelled) and timestamped events in time order.
 *
 * Datasets are read with the same loaders and the same edge validation as `feedloop import`
 * (src/ingest/datasets/, src/ingest/validate.ts), so the replay sees exactly the records an import would write to the
 * log: for MovieLens 100K, ratings ≥ 4 become `like`, 3 `complete`, ≤ 2 `skip`, items carry their first genre as
 * category and all genres as tags. Only datasets with real timestamps can be replayed.
 */
import { ValidationError } from '../../errors.js';
import type { StoredEvent } from '../../domain/schemas.js';
import { createDatasetLoader } from '../../ingest/import-dataset.js';
import { validateEvent, validateItem, validateUser } from '../../ingest/validate.js';
import type { LogEntry } from '../../log/log-entry.js';

/** Datasets with real event times (the split datasets only have synthetic ones). */
export const REPLAY_DATASETS = ['movielens-100k'] as const;

export interface ReplayData {
  name: string;
  /** Item and user records, applied to every store before the first event. */
  catalog: LogEntry[];
  /** Events in non-decreasing `ts` (ties keep input order). */
  events: StoredEvent[];
  /** Records the validators rejected (should be 0 for a bundled dataset). */
  rejected: number;
}

/** Builds replay data from raw wire records (validated here; events sorted stably by time). */
export function replayDataFrom(name: string, items: readonly unknown[], users: readonly unknown[], events: readonly unknown[]): ReplayData {
  const catalog: LogEntry[] = [];
  const out: StoredEvent[] = [];
  let rejected = 0;
  for (const raw of items) {
    const v = validateItem(raw);
    if (v.ok) catalog.push({ kind: 'item', item: v.value, ts: 0 });
    else rejected++;
  }
  for (const raw of users) {
    const v = validateUser(raw);
    if (v.ok) catalog.push({ kind: 'user', user: v.value, ts: 0 });
    else rejected++;
  }
  for (const raw of events) {
    const v = validateEvent(raw);
    if (!v.ok || typeof v.value.ts !== 'number') {
      rejected++;
      continue;
    }
    out.push(v.value as StoredEvent);
  }
  out.sort((a, b) => a.ts - b.ts); // stable
  return { name, catalog, events: out, rejected };
}

/**
 * Loads a timestamped dataset from `datasetsDir`. Throws a `ValidationError` naming `dataset` for a dataset that
 * cannot be replayed, and (from the loader) one naming `datasetsDir` when its files are missing.
 */
export async function loadReplayData(dataset: string, datasetsDir: string): Promise<ReplayData> {
  if (!(REPLAY_DATASETS as readonly string[]).includes(dataset)) {
    throw new ValidationError(`dataset "${dataset}" cannot be replayed (no real timestamps); expected one of: ${REPLAY_DATASETS.join(', ')}`, 'dataset');
  }
  const loader = createDatasetLoader(dataset, { datasetsDir });
  const raw: Record<'items' | 'users' | 'events', unknown[]> = { items: [], users: [], events: [] };
  for await (const batch of loader.batches()) for (const r of batch.records) raw[batch.kind].push(r);
  return replayDataFrom(dataset, raw.items, raw.users, raw.events);
}
