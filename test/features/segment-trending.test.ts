/** Embedded adapter specifics of the country/language trending lists: memory bounds and the snapshot format. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddedFeatureStore } from '../../src/backends/embedded/embedded-feature-store.js';
import { SegmentTrending } from '../../src/backends/embedded/segment-trending.js';
import type { LogEntry } from '../../src/log/log-entry.js';
import { T0, tempDir, testConfig } from '../helpers/fixtures.js';

const cfg = testConfig('/nonexistent').features;
const open = (snapshotPath?: string, k = cfg.categoryTrendingK) =>
  EmbeddedFeatureStore.open({ features: { ...cfg, categoryTrendingK: k }, partitionCount: 1, snapshotPath });

let seq = 0;
const like = (user_id: string, item_id: string, ts: number): LogEntry => ({ kind: 'event', event: { type: 'like', id: `e${seq++}`, user_id, item_id, ts } });

void describe('embedded country/language trending', () => {
  void it('keeps K items per segment and never misses a heavy item among a long tail', async () => {
    const s = await open(undefined, 5);
    const entries: LogEntry[] = [{ kind: 'user', user: { id: 'u', country: 'FR' }, ts: T0 }];
    for (let i = 0; i < 400; i++) {
      entries.push(like('u', `tail${i}`, T0 + i));
      if (i % 3 === 0) entries.push(like('u', 'hot', T0 + i)); // 134 of 534 likes: more than 1/K of them
    }
    s.apply(entries, [0]);
    const list = s.trendingIn('country', 'FR', 100, T0 + 400);
    assert.equal(list.length, 5);
    assert.equal(list[0].itemId, 'hot');
    assert.ok(list[0].score >= 268 * Math.exp(-400 / 86_400_000) - 1e-6, 'Space-Saving estimates never fall below the true value');
  });

  void it('caps the number of segments per kind, first come first kept', () => {
    const st = new SegmentTrending(4, 86_400_000, 2);
    for (const code of [0, 1, 2, 1]) st.add('country', code, 7, 1, T0);
    st.add('language', 5, 7, 1, T0);
    assert.equal(st.count('country'), 2);
    assert.equal(st.list('country', 2), undefined);
    assert.equal(st.list('country', 1)?.size, 1);
    assert.equal(st.count('language'), 1);
    assert.equal(st.list('region', 0), undefined);
  });

  void it('still reads a version-2 snapshot, with empty segment lists', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'f.snap');
      const a = await open(path);
      a.apply([{ kind: 'user', user: { id: 'u', country: 'FR', language: 'fr' }, ts: T0 }, like('u', 'i1', T0), like('u', 'i2', T0 + 1)], [3]);
      await a.checkpoint();
      const buf = await readFile(path);
      const len = buf.readUInt32LE(8);
      const header = JSON.parse(buf.toString('utf8', 12, 12 + len));
      assert.equal(header.version, 3);
      header.version = 2;
      delete header.segmentTrending;
      const h = Buffer.from(JSON.stringify(header));
      const prefix = Buffer.from(buf.subarray(0, 12));
      prefix.writeUInt32LE(h.byteLength, 8);
      await writeFile(path, Buffer.concat([prefix, h, buf.subarray(12 + len)]));

      const warn = console.warn;
      console.warn = () => {};
      const b = await open(path).finally(() => (console.warn = warn));
      assert.deepEqual(b.positions(), [3]);
      assert.deepEqual(b.trending(10, T0), a.trending(10, T0));
      assert.deepEqual(b.describe('user', 'u', T0), a.describe('user', 'u', T0));
      assert.deepEqual(b.trendingIn('country', 'FR', 10, T0), []);
      b.apply([like('u', 'i3', T0 + 2)], [4]);
      assert.deepEqual(b.trendingIn('country', 'FR', 10, T0 + 2).map((x) => x.itemId), ['i3'], 'fills from later events');
    } finally {
      await cleanup();
    }
  });
});
