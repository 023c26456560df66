import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openSegmentLog } from '../../src/backends/embedded/segment-log.js';
import { encodeEntry, entryKey, type LogEntry } from '../../src/log/log-entry.js';
import type { StoredEvent } from '../../src/domain/schemas.js';
import { interactionsFromLog } from '../../src/training/interactions-from-log.js';
import { T0, tempDir } from '../helpers/fixtures.js';

void describe('interactions from the event log', () => {
  void it('keeps positives in time order per user, de-duplicated, and holds out each user\'s latest for validation', async () => {
    const { dir, cleanup } = await tempDir();
    const log = await openSegmentLog({ dir, partitionCount: 3 });
    try {
      const ev = (e: Partial<StoredEvent> & { type: StoredEvent['type'] }, k: number): LogEntry => ({
        kind: 'event',
        event: { id: `e${k}`, user_id: 'u1', item_id: 'i1', ts: T0 + k * 1000, ...e } as StoredEvent,
      });
      const entries: LogEntry[] = [
        { kind: 'item', item: { id: 'i1', author_id: 'a', created_at: T0, duration_ms: 10_000 }, ts: T0 },
        { kind: 'item', item: { id: 'i2', author_id: 'a', created_at: T0, duration_ms: 10_000 }, ts: T0 },
        ev({ type: 'view', item_id: 'i1', watch_ms: 9000 }, 1), // positive view
        ev({ type: 'view', item_id: 'i2', watch_ms: 1000 }, 2), // short view: not positive
        ev({ type: 'like', item_id: 'i3' }, 3),
        ev({ type: 'like', item_id: 'i1' }, 4), // duplicate item for u1
        ev({ type: 'skip', item_id: 'i4' }, 5),
        ev({ type: 'complete', item_id: 'i5' }, 6),
        ev({ type: 'share', item_id: 'i2', user_id: 'u2' }, 7),
      ];
      await log.append(entries.map((e) => ({ key: entryKey(e), value: encodeEntry(e) })));
      const { data, positives, fromMs, toMs } = await interactionsFromLog(log, { positiveWatchRatio: 0.5 });
      assert.equal(positives, 4);
      assert.equal(fromMs, T0 + 1000);
      assert.equal(toMs, T0 + 7000);
      const rows = (csr: typeof data.train, u: number) => Array.from(csr.items.subarray(csr.offsets[u], csr.offsets[u + 1]), (i) => data.itemIds[i]);
      const u1 = data.userIds.indexOf('u1');
      const u2 = data.userIds.indexOf('u2');
      assert.deepEqual(rows(data.train, u1), ['i1', 'i3']);
      assert.deepEqual(rows(data.valid, u1), ['i5'], 'the latest positive is held out');
      assert.deepEqual(rows(data.train, u2), ['i2'], 'too few positives to hold any out');
      assert.deepEqual(rows(data.valid, u2), []);
    } finally {
      await log.close();
      await cleanup();
    }
  });
});
