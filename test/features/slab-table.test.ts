import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddedFeatureStore } from '../../src/backends/embedded/embedded-feature-store.js';
import { PAGE_ROWS, SlabTable, type Column } from '../../src/backends/embedded/slab-table.js';
import { ITEM_SERVING_FEATURES } from '../../src/features/definitions.js';
import type { LogEntry } from '../../src/log/log-entry.js';
import { makeEvents, makeItems, T0, tempDir, testConfig } from '../helpers/fixtures.js';

/** A table with one column of each element type; `interleaved` puts them all in one row group. */
function table(interleaved: boolean) {
  const t = new SlabTable('t');
  const cols = {
    u8: t.uint8('u8', 3, 5),
    f64: t.float64('f64', 1, NaN),
    f32: t.float32('f32', 5),
    i32: t.int32('i32', 2, -1),
  };
  if (interleaved) t.interleave([cols.u8, cols.f64, cols.f32, cols.i32]);
  const own = t.float32('own', 2);
  return { t, cols: { ...cols, own } as Record<string, Column> };
}

/** Writes the same pseudo-random values through get/set and page/base, over more than one page of rows. */
function fill(t: SlabTable, cols: Record<string, Column>, rows: number) {
  for (let r = 0; r < rows; r++) t.upsert(`id${r}`);
  let x = 1;
  for (let r = 0; r < rows; r += 7) {
    for (const c of Object.values(cols)) {
      for (let k = 0; k < c.width; k++) {
        x = (x * 48271) % 2147483647;
        if (k % 2) c.set(r, x % 200, k);
        else c.page(r)[c.base(r) + k] = x % 100;
      }
    }
  }
}

void describe('slab table', () => {
  void it('keeps values apart and initialised whether columns are interleaved or not', () => {
    const rows = PAGE_ROWS + 100;
    const a = table(false);
    const b = table(true);
    fill(a.t, a.cols, rows);
    fill(b.t, b.cols, rows);
    for (const name of Object.keys(a.cols)) {
      assert.deepEqual(b.cols[name].copyRows(rows), a.cols[name].copyRows(rows), `column ${name}`);
    }
    // untouched rows keep each column's fill value
    assert.equal(b.cols.u8.get(1, 2), 5);
    assert.ok(Number.isNaN(b.cols.f64.get(PAGE_ROWS + 1)));
    assert.equal(b.cols.i32.get(PAGE_ROWS + 99, 1), -1);
    assert.equal(b.cols.f32.get(3, 4), 0);
    // one row's values share a buffer: 8 + 5·4 + 2·4 + 3 = 39 bytes, padded to 40
    assert.equal(b.cols.f32.stride * 4, 40);
    assert.equal(b.cols.f64.offset, 0);
    assert.equal(b.t.bytes(), 2 * PAGE_ROWS * (40 + 8));
    assert.equal(a.t.bytes(), 2 * PAGE_ROWS * (3 + 8 + 20 + 8 + 8));
  });

  void it('restores rows copied from either layout into either layout', () => {
    const rows = PAGE_ROWS + 3;
    const src = table(true);
    fill(src.t, src.cols, rows);
    const bytes = new Map(Object.values(src.cols).map((c) => [c.name, c.copyRows(rows)]));
    for (const interleaved of [false, true]) {
      const dst = table(interleaved);
      // unaligned copies, as a snapshot file's sections are
      const unaligned = new Map([...bytes].map(([k, v]) => [k, new Uint8Array(Buffer.concat([Buffer.alloc(1), v]).buffer, 1, v.byteLength)]));
      dst.t.restore(src.t.ids, unaligned);
      for (const c of Object.values(dst.cols)) assert.deepEqual(c.copyRows(rows), bytes.get(c.name), `${c.name}, interleaved ${interleaved}`);
      assert.equal(dst.t.rowOf(`id${rows - 1}`), rows - 1);
    }
  });

  void it('refuses to interleave once rows exist, or a column twice', () => {
    const t = new SlabTable('t');
    const a = t.float32('a');
    const b = t.float32('b');
    t.interleave([a]);
    assert.throws(() => t.interleave([a, b]), /cannot be interleaved/);
    t.upsert('x');
    assert.throws(() => t.interleave([b]), /before the first row/);
  });
});

void describe('embedded store item layout', () => {
  void it('serves the same reads and snapshots from the interleaved and the column layout, restoring across them', async () => {
    const features = testConfig('/nonexistent').features;
    const { dir, cleanup } = await tempDir();
    try {
      const entries: LogEntry[] = makeItems(60).map((it) => ({ kind: 'item', item: it, ts: T0 }));
      for (const e of makeEvents(4000, { items: 70 })) entries.push({ kind: 'event', event: { ...e, ts: e.ts! } });
      entries.push({ kind: 'item_delete', itemId: 'i5', ts: T0 });
      const open = (interleaveItems: boolean, name: string) =>
        EmbeddedFeatureStore.open({ features, partitionCount: 1, interleaveItems, snapshotPath: join(dir, `${name}.snap`) });
      const rows = await open(true, 'rows');
      const cols = await open(false, 'cols');
      rows.apply(entries, [entries.length]);
      cols.apply(entries, [entries.length]);
      const now = T0 + 2 * 86_400_000;
      const ids = Array.from({ length: 75 }, (_, i) => `i${i}`);
      const read = (s: EmbeddedFeatureStore) => {
        const values = new Float32Array(ids.length * ITEM_SERVING_FEATURES.length);
        const attrs = s.candidateBatch(ids, now, values);
        // totalBytes counts allocated pages: the interleaved rows' padding (6 bytes per item row) differs
        const { totalBytes: _bytes, ...stats } = s.stats();
        return { attrs, values, items: ids.map((id) => s.describe('item', id, now)), stats };
      };
      const expected = read(cols);
      assert.deepEqual(read(rows), expected);
      await rows.checkpoint();
      await cols.checkpoint();
      // each snapshot restored into the other layout
      await copyFile(join(dir, 'rows.snap'), join(dir, 'rows-as-cols.snap'));
      await copyFile(join(dir, 'cols.snap'), join(dir, 'cols-as-rows.snap'));
      assert.deepEqual(read(await open(false, 'rows-as-cols')), expected);
      assert.deepEqual(read(await open(true, 'cols-as-rows')), expected);
    } finally {
      await cleanup();
    }
  });
});
