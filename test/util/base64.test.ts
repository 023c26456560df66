import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { base64Length, writeBase64 } from '../../src/util/base64.js';
import { mulberry32 } from '../../src/util/prng.js';

void describe('writeBase64', () => {
  void it('writes what Buffer writes, padding included, for every length mod 3, at an offset', () => {
    const rand = mulberry32(3);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 63, 64, 65, 1000, 100_001]) {
      const src = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      const out = new Uint8Array(base64Length(n) + 5).fill(35);
      const end = writeBase64(src, out, 3);
      assert.equal(end, 3 + base64Length(n));
      assert.equal(Buffer.from(out.subarray(3, end)).toString('latin1'), Buffer.from(src).toString('base64'), `n = ${n}`);
      assert.deepEqual([...out.subarray(0, 3), ...out.subarray(end)], [35, 35, 35, 35, 35], 'nothing written outside');
    }
  });
});
