import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ItemBatch } from '../../src/features/feature-store.js';
import { applyFilters, pickRows } from '../../src/filtering/apply-filters.js';
import type { Filter } from '../../src/filtering/filter.js';
import type { Candidate, FeedContext } from '../../src/pipeline/feed-context.js';

const ctx = {} as FeedContext; // these filters read only the candidates and their attributes

function batch(n: number): { candidates: Candidate[]; attrs: ItemBatch } {
  return {
    candidates: Array.from({ length: n }, (_, i) => ({ itemId: `i${i}`, sources: [] })),
    attrs: {
      known: Uint8Array.from({ length: n }, () => 1),
      deleted: Uint8Array.from({ length: n }, (_, i) => (i % 4 === 1 ? 1 : 0)),
      authorIds: Array.from({ length: n }, (_, i) => `a${i}`),
      categories: Array.from({ length: n }, (_, i) => (i % 2 ? 'odd' : undefined)),
      createdAtMs: Float64Array.from({ length: n }, (_, i) => 1000 + i),
    },
  };
}

const deleted: Filter = { name: 'deleted', apply: (_c, cands, a) => cands.map((_, i) => (a.deleted[i] ? 'deleted' : undefined)) };
const everyThird: Filter = { name: 'third', apply: (_c, cands) => cands.map((_, i) => (i % 3 === 0 ? 'third' : undefined)) };
const none: Filter = { name: 'none', apply: (_c, cands) => cands.map(() => undefined) };

void describe('applyFilters', () => {
  void it('keeps candidates and attributes aligned and says which input indexes survived', () => {
    const { candidates, attrs } = batch(12);
    const removed: string[] = [];
    const out = applyFilters([none, deleted, everyThird, none], ctx, candidates, attrs, (f, id, reason) => removed.push(`${f}:${id}:${reason}`));
    // deleted removes 1, 5, 9; of the rest [0,2,3,4,6,7,8,10,11] positions 0, 3, 6 go: 0, 4, 8
    assert.deepEqual(out.kept, [2, 3, 6, 7, 10, 11]);
    assert.deepEqual(out.candidates.map((c) => c.itemId), ['i2', 'i3', 'i6', 'i7', 'i10', 'i11']);
    assert.deepEqual(out.attrs.authorIds, ['a2', 'a3', 'a6', 'a7', 'a10', 'a11']);
    assert.deepEqual(out.attrs.categories, [undefined, 'odd', undefined, 'odd', undefined, 'odd']);
    assert.deepEqual(Array.from(out.attrs.createdAtMs), [1002, 1003, 1006, 1007, 1010, 1011]);
    assert.deepEqual(removed, ['deleted:i1:deleted', 'deleted:i5:deleted', 'deleted:i9:deleted', 'third:i0:third', 'third:i4:third', 'third:i8:third']);
  });

  void it('returns the same arrays and every index when nothing is removed', () => {
    const { candidates, attrs } = batch(5);
    const out = applyFilters([none], ctx, candidates, attrs);
    assert.equal(out.candidates, candidates);
    assert.equal(out.attrs, attrs);
    assert.deepEqual(out.kept, [0, 1, 2, 3, 4]);
    assert.deepEqual(applyFilters([everyThird], ctx, [], batch(0).attrs).kept, []);
  });

  void it('picks rows of a row-major matrix', () => {
    const m = Float32Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(Array.from(pickRows(m, [2, 0], 3)), [6, 7, 8, 0, 1, 2]);
    assert.equal(pickRows(m, [], 3).length, 0);
  });
});
