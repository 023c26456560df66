import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecayClock, TopKMap } from '../../src/backends/embedded/primitives.js';
import { SlabTable } from '../../src/backends/embedded/slab-table.js';
import { TrendingList } from '../../src/backends/embedded/trending-list.js';
import { mulberry32 } from '../../src/util/prng.js';

const HOUR = 3_600_000;

/** The order `top` must give: slots by key descending, ties in slot order. */
function expectedTop(list: TrendingList, limit: number, nowMs: number) {
  const slots = Array.from({ length: list.size }, (_, i) => i).sort((a, b) => list.keys[b] - list.keys[a]);
  return slots.slice(0, limit).map((i) => ({ row: list.rows[i], score: Math.exp(list.keys[i] - nowMs / list.tauMs) }));
}

void describe('trending list top', () => {
  void it('stays in key order across updates, additions, evictions and restores (the sorted order is reused until a change)', () => {
    const r = mulberry32(3);
    const list = new TrendingList(20, 24 * HOUR);
    const other = new TrendingList(20, 24 * HOUR);
    for (let step = 0; step < 400; step++) {
      const row = Math.floor(r() * 60);
      if (step % 3 === 0) list.add(row, 1 + Math.floor(r() * 3), step * 60_000);
      else list.update(row, r() < 0.1 ? 0 : r() * 10, step * 60_000);
      const now = step * 60_000 + HOUR;
      if (step % 7 === 0) {
        assert.deepEqual(list.top(list.size, now), expectedTop(list, list.size, now), `step ${step}`);
        assert.deepEqual(list.top(5, now + HOUR), expectedTop(list, 5, now + HOUR), 'a second read at another time');
      }
    }
    other.restore(list.snapshot());
    assert.deepEqual(other.top(50, 0), list.top(50, 0));
    other.update(999, 1e9, 400 * 60_000);
    assert.equal(other.top(1, 0)[0].row, 999, 'an update after a read is seen');
    other.restore({ rows: [1, 2], keys: [5, 7] });
    assert.deepEqual(other.top(10, 0).map((x) => x.row), [2, 1]);
  });
});

void describe('top-K map', () => {
  void it('reads the first field of its entries in the order of entries(), without objects per entry', () => {
    const t = new SlabTable('t');
    const clock = new DecayClock(t, [HOUR, 24 * HOUR]);
    const map = new TopKMap(t, clock, 'm', 6, ['a', 'b'], 1);
    const r = mulberry32(5);
    for (let row = 0; row < 30; row++) t.upsert(`r${row}`);
    for (let step = 0; step < 600; step++) {
      const row = Math.floor(r() * 30);
      clock.advance(row, step * 10_000);
      // few distinct amounts: equal values (ties) happen
      map.add(row, Math.floor(r() * 12), Math.floor(r() * 2), Math.floor(r() * 3));
    }
    for (let row = 0; row < 30; row++) {
      for (const limit of [0, 3, 100]) {
        const got: [number, number][] = [];
        map.topByFirst(row, limit, 600 * 10_000 + HOUR, (key, value) => got.push([key, value]));
        const want = map.entries(row, 600 * 10_000 + HOUR).slice(0, limit).map((e) => [e.key, e.values[0]]);
        assert.deepEqual(got, want, `row ${row} limit ${limit}`);
      }
    }
  });
});
