import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeCandidates } from '../../src/pipeline/merge-candidates.js';
import type { Candidate, ScoredItem } from '../../src/pipeline/feed-context.js';
import { mulberry32 } from '../../src/util/prng.js';

const none = () => false;
const src = (name: string, ids: string[]) => ({ src: { name }, items: ids.map((itemId, k) => ({ itemId, score: k + 0.5 })) });

void describe('mergeCandidates', () => {
  void it('keeps first-appearance order and every proposing source in source order, without excluded items', () => {
    const merged = mergeCandidates([src('a', ['x', 'y']), src('b', []), src('c', ['z', 'x', 'q']), src('d', ['y', 'x'])], none, new Set(['q']));
    assert.deepEqual(merged, [
      { itemId: 'x', sources: [{ name: 'a', score: 0.5 }, { name: 'c', score: 1.5 }, { name: 'd', score: 1.5 }], handle: -1 },
      { itemId: 'y', sources: [{ name: 'a', score: 1.5 }, { name: 'd', score: 0.5 }], handle: -1 },
      { itemId: 'z', sources: [{ name: 'c', score: 0.5 }], handle: -1 },
    ]);
    assert.deepEqual(mergeCandidates([], none), []);
  });

  void it('treats equal ids from different string objects as one item', () => {
    const a = ['i', '1'].join('');
    const b = `i${1}`;
    const merged = mergeCandidates([src('s', [a]), src('t', [b])], none);
    assert.equal(merged.length, 1);
    assert.deepEqual(merged[0].sources.map((s) => s.name), ['s', 't']);
  });

  void it('merges by id, confirming no handle, when the store cannot confirm handles (it throws)', () => {
    const items = (name: string, ids: string[]) => ({ src: { name }, items: ids.map((itemId, k) => ({ itemId, score: k, handle: k })) });
    const failing = () => {
      throw new Error('store down');
    };
    const merged = mergeCandidates([items('a', ['x', 'y']), items('b', ['y', 'x', 'z'])], failing);
    assert.deepEqual(merged.map((c) => [c.itemId, c.handle, c.sources.map((s) => s.name).join()]), [['x', -1, 'a,b'], ['y', -1, 'a,b'], ['z', -1, 'b']]);
  });

  void it('keeps the first store handle a proposing source gave', () => {
    const withHandles = (name: string, items: [string, number?][]) => ({ src: { name }, items: items.map(([itemId, handle]) => ({ itemId, score: 1, handle })) });
    const merged = mergeCandidates([withHandles('a', [['x'], ['y', 4]]), withHandles('b', [['x', 7], ['y', 9], ['z']])], () => true);
    assert.deepEqual(merged.map((c) => [c.itemId, c.handle]), [['x', 7], ['y', 4], ['z', -1]]);
  });

  void it('equals a merge by id on random sources mixing handles, missing handles, colliding and out-of-range handles', () => {
    const rand = mulberry32(11);
    // the store's rule in this test: item iN has handle N, or 2^30 + N (too large to mark) for N ≥ 50
    const handleOf = (n: number) => (n < 50 ? n : 2 ** 30 + n);
    const named = (h: number, id: string) => id === `i${h >= 2 ** 30 ? h - 2 ** 30 : h}` && handleOf(Number(id.slice(1))) === h;
    const reference = (results: { src: { name: string }; items: ScoredItem[] }[], exclude: Set<string>) => {
      const out: Candidate[] = [];
      const at = new Map<string, number>();
      for (const { src, items } of results) {
        for (const it of items) {
          if (exclude.has(it.itemId)) continue;
          const i = at.get(it.itemId);
          if (i === undefined) {
            at.set(it.itemId, out.length);
            out.push({ itemId: it.itemId, sources: [{ name: src.name, score: it.score }], handle: it.handle !== undefined && named(it.handle, it.itemId) ? it.handle : -1 });
          } else {
            out[i].sources.push({ name: src.name, score: it.score });
            if (out[i].handle! < 0 && it.handle !== undefined && named(it.handle, it.itemId)) out[i].handle = it.handle;
          }
        }
      }
      return out;
    };
    for (let round = 0; round < 200; round++) {
      const results = Array.from({ length: 1 + Math.floor(rand() * 5) }, (_, s) => ({
        src: { name: `s${s}` },
        items: Array.from({ length: Math.floor(rand() * 40) }, () => {
          const n = Math.floor(rand() * 60);
          const r = rand();
          // mostly the item's own handle; sometimes none, another item's, −1, or a wrong one
          const handle = r < 0.6 ? handleOf(n) : r < 0.75 ? undefined : r < 0.85 ? handleOf(Math.floor(rand() * 60)) : r < 0.9 ? -1 : n;
          return { itemId: `i${n}`, score: Math.round(rand() * 100) / 10, handle };
        }),
      }));
      const exclude = new Set(Array.from({ length: Math.floor(rand() * 3) }, () => `i${Math.floor(rand() * 60)}`));
      assert.deepEqual(mergeCandidates(results, named, exclude), reference(results, exclude), `round ${round}`);
    }
  });
});
