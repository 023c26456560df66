import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { missingServeFlags, SERVE_NODE_FLAGS } from '../../src/server/node-flags.js';

void describe('serving node flags', () => {
  void it('finds the recommended flags on the command line or in NODE_OPTIONS, whatever the value or spelling', () => {
    assert.deepEqual(missingServeFlags([], ''), [...SERVE_NODE_FLAGS]);
    assert.deepEqual(missingServeFlags(['--max-semi-space-size=128'], ''), []);
    assert.deepEqual(missingServeFlags([], '--max-old-space-size=4096 --max_semi_space_size=32'), []);
    assert.deepEqual(missingServeFlags(['--max-old-space-size=4096'], '--inspect'), [...SERVE_NODE_FLAGS]);
  });
});
