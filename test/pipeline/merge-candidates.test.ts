import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeCandidates } from '../../src/pipeline/run-pipeline.js';

const src = (name: string, ids: string[]) => ({ src: { name }, items: ids.map((itemId, k) => ({ itemId, score: k + 0.5 })) });

void describe('mergeCandidates', () => {
  void it('keeps first-appearance order and every proposing source in source order, without excluded items', () => {
    const merged = mergeCandidates([src('a', ['x', 'y']), src('b', []), src('c', ['z', 'x', 'q']), src('d', ['y', 'x'])], new Set(['q']));
    assert.deepEqual(merged, [
      { itemId: 'x', sources: [{ name: 'a', score: 0.5 }, { name: 'c', score: 1.5 }, { name: 'd', score: 1.5 }], handle: -1 },
      { itemId: 'y', sources: [{ name: 'a', score: 1.5 }, { name: 'd', score: 0.5 }], handle: -1 },
      { itemId: 'z', sources: [{ name: 'c', score: 0.5 }], handle: -1 },
    ]);
    assert.deepEqual(mergeCandidates([]), []);
  });

  void it('treats equal ids from different string objects as one item', () => {
    const a = ['i', '1'].join('');
    const b = `i${1}`;
    const merged = mergeCandidates([src('s', [a]), src('t', [b])]);
    assert.equal(merged.length, 1);
    assert.deepEqual(merged[0].sources.map((s) => s.name), ['s', 't']);
  });

  void it('keeps the first store handle a proposing source gave', () => {
    const withHandles = (name: string, items: [string, number?][]) => ({ src: { name }, items: items.map(([itemId, handle]) => ({ itemId, score: 1, handle })) });
    const merged = mergeCandidates([withHandles('a', [['x'], ['y', 4]]), withHandles('b', [['x', 7], ['y', 9], ['z']])]);
    assert.deepEqual(merged.map((c) => [c.itemId, c.handle]), [['x', 7], ['y', 4], ['z', -1]]);
  });
});
