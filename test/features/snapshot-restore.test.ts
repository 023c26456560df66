import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { replaceContents } from '../../src/backends/embedded/snapshot-file.js';

void describe('snapshot restore of per-item lists', () => {
  void it('replaces a list of a million entries (a spread into splice overflowed the stack there), null → undefined', () => {
    const target: (string | undefined)[] = ['old', 'older', 'oldest'];
    const source = Array.from({ length: 1_000_000 }, (_, i) => (i % 3 === 0 ? null : `t${i}`));
    replaceContents(target, source);
    assert.equal(target.length, 1_000_000);
    assert.equal(target[0], undefined);
    assert.equal(target[1], 't1');
    assert.equal(target[999_998], 't999998');
    assert.equal(target[999_999], undefined);
    replaceContents(target, ['a']);
    assert.deepEqual(target, ['a']);
  });
});
