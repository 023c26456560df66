import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EmbeddedFeatureStore } from '../../src/backends/embedded/embedded-feature-store.js';
import { EventIdIndex } from '../../src/ingest/event-id-index.js';
import type { LogEntry } from '../../src/log/log-entry.js';
import { featureStoreConformance } from '../conformance/feature-store.conformance.js';
import { makeEvents, makeItems, T0, tempDir, testConfig } from '../helpers/fixtures.js';

const cfg = testConfig('/nonexistent').features;

async function store(snapshotPath?: string, sidecars = [] as { name: string; serialize(): Uint8Array; restore(b: Uint8Array): void }[]) {
  return EmbeddedFeatureStore.open({ features: cfg, partitionCount: 2, snapshotPath, sidecars });
}

const persisted = await tempDir();
let n = 0;
let current = '';
after(() => persisted.cleanup());
featureStoreConformance('embedded', {
  open: () => store((current = join(persisted.dir, `s${n++}.snap`))),
  reopen: () => store(current),
});

void describe('embedded feature store', () => {
  void it('restores a snapshot exactly, with its sidecars', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'state', 'f.snap');
      const ids = new EventIdIndex(5000);
      const side = [{ name: 'ids', serialize: () => ids.serialize(), restore: (b: Uint8Array) => ids.restore(b) }];
      const a = await store(path, side);
      const entries: LogEntry[] = makeItems(50).map((it) => ({ kind: 'item', item: it, ts: T0 }));
      for (const e of makeEvents(3000)) entries.push({ kind: 'event', event: { ...e, ts: e.ts! } });
      for (const e of entries) if (e.kind === 'event') ids.add(e.event.id);
      a.apply(entries, [1234, 99]);
      await a.checkpoint();
      const ids2 = new EventIdIndex(5000);
      const b = await store(path, [{ name: 'ids', serialize: () => ids2.serialize(), restore: (x: Uint8Array) => ids2.restore(x) }]);
      assert.deepEqual(b.positions(), [1234, 99]);
      const now = T0 + 3 * 86_400_000;
      for (const u of ['u0', 'u5', 'u19']) assert.deepEqual(b.describe('user', u, now), a.describe('user', u, now));
      for (const i of ['i0', 'i7', 'i49']) assert.deepEqual(b.describe('item', i, now), a.describe('item', i, now));
      assert.deepEqual(b.describe('author', 'a3', now), a.describe('author', 'a3', now));
      assert.deepEqual(b.trending(20, now), a.trending(20, now));
      assert.deepEqual(b.stats(), a.stats());
      assert.ok(ids2.has('e0') && ids2.has('e2999') && !ids2.has('nope'));
    } finally {
      await cleanup();
    }
  });

  void it('stays within the memory budget per item and user', async () => {
    const s = await store();
    const st = s.stats();
    assert.ok(st.bytesPerRow.item <= 1024, `item row ${st.bytesPerRow.item} B`);
    assert.ok(st.bytesPerRow.user <= 1024, `user row ${st.bytesPerRow.user} B`);
  });
});

void describe('event id index', () => {
  void it('remembers at least `capacity` recent ids and survives serialisation', () => {
    const idx = new EventIdIndex(1000);
    for (let i = 0; i < 2500; i++) idx.add(`id-${i}`);
    for (let i = 1500; i < 2500; i++) assert.ok(idx.has(`id-${i}`));
    assert.ok(!idx.has('id-0'), 'the oldest generation is dropped');
    assert.ok(!idx.has('never'));
    const copy = new EventIdIndex(1000);
    copy.restore(idx.serialize());
    for (let i = 1500; i < 2500; i++) assert.ok(copy.has(`id-${i}`));
    assert.equal(copy.size, idx.size);
  });
});
