import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { argsortDesc } from '../../src/util/argsort.js';
import { mulberry32 } from '../../src/util/prng.js';

void describe('argsortDesc', () => {
  void it('orders like a stable comparator sort, best first, over negatives, zeros, infinities and ties', () => {
    const rand = mulberry32(3);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rand() * 300);
      const s = Float32Array.from({ length: n }, () => (rand() < 0.2 ? Math.round(rand() * 4) - 2 : (rand() - 0.5) * 1e3));
      if (n > 3) {
        s[1] = Number.POSITIVE_INFINITY;
        s[2] = Number.NEGATIVE_INFINITY;
      }
      const expected = Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b);
      assert.deepEqual(Array.from(argsortDesc(s)), expected);
    }
  });

  void it('puts NaN last, keeping input order among NaN and −Infinity', () => {
    const s = Float32Array.from([Number.NaN, 1, Number.NEGATIVE_INFINITY, -5, Number.NaN, 3]);
    assert.deepEqual(Array.from(argsortDesc(s)), [5, 1, 3, 0, 2, 4]);
    assert.deepEqual(Array.from(argsortDesc(new Float32Array(0))), []);
  });
});
