/**
 * Offline features "as of" a time: replays a log into a fresh in-memory feature store with the same feature code
 * the server runs, applying only events (and deletions) whose time is ≤ `asOfMs`, in log order; catalog attributes
 * always apply. Events after the cut-off never touch the result, so training examples built from it cannot peek
 * into the future.
 */
import type { FeedloopConfig } from '../config/config.js';
import { EmbeddedFeatureStore } from '../backends/embedded/embedded-feature-store.js';
import type { EventLog } from '../log/event-log.js';
import { StreamProcessor } from '../features/stream-processor.js';

export async function featuresAsOf(log: EventLog, features: FeedloopConfig['features'], asOfMs: number): Promise<EmbeddedFeatureStore> {
  const store = await EmbeddedFeatureStore.open({ features, partitionCount: log.partitionCount });
  const processor = new StreamProcessor(log, store, undefined, {
    group: `as-of-${asOfMs}`,
    snapshotEveryRecords: Number.MAX_SAFE_INTEGER,
    snapshotIntervalMs: Number.MAX_SAFE_INTEGER,
    asOfMs,
  });
  await processor.catchUp();
  return store;
}
