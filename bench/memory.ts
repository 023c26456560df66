/**
 * Feature-store memory: applies a synthetic stream touching 200k items and 200k users to the embedded store and
 * reports slab bytes per row and the process heap growth per entity (last-N lists reported separately).
 */
import { EmbeddedFeatureStore } from '../src/backends/embedded/embedded-feature-store.js';
import { loadConfig } from '../src/config/config.js';
import type { StoredEvent } from '../src/domain/schemas.js';
import type { LogEntry } from '../src/log/log-entry.js';
import { round } from './util.js';

export async function benchFeatureMemory(n = 200_000): Promise<Record<string, number>> {
  const cfg = loadConfig({ env: {}, path: null });
  global.gc?.();
  const before = process.memoryUsage();
  const store = await EmbeddedFeatureStore.open({ features: cfg.features, partitionCount: 8 });
  const now = Date.now();
  const t0 = performance.now();
  let applied = 0;
  for (let start = 0; start < n; start += 1000) {
    const batch: LogEntry[] = [];
    for (let i = start; i < start + 1000; i++) {
      batch.push({ kind: 'item', item: { id: `item-${i}`, author_id: `a${i % 5000}`, created_at: now, duration_ms: 15_000, category: `c${i % 50}` }, ts: now });
      const base = { user_id: `user-${i}`, item_id: `item-${(i * 7) % n}`, ts: now + i };
      batch.push({ kind: 'event', event: { ...base, type: 'view', id: `v${i}`, watch_ms: 9000 } as StoredEvent });
      batch.push({ kind: 'event', event: { ...base, type: 'like', id: `l${i}` } as StoredEvent });
    }
    store.apply(batch, new Array(8).fill(0));
    applied += batch.length;
  }
  const applySeconds = (performance.now() - t0) / 1000;
  global.gc?.();
  const after = process.memoryUsage();
  const st = store.stats();
  return {
    items: st.items,
    users: st.users,
    item_slab_bytes_per_row: st.bytesPerRow.item,
    user_slab_bytes_per_row_excl_last_n: st.bytesPerRow.user,
    user_last_n_arena_bytes_per_user: round(st.lastNBytes / st.users, 0),
    process_bytes_per_entity: round((after.rss + after.external - before.rss - before.external) / (st.items + st.users), 0),
    apply_records_per_s: Math.round(applied / applySeconds),
  };
}
