import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { missingServeFlags, SERVE_NODE_FLAGS } from '../../src/server/node-flags.js';

void describe('serving node flags', () => {
  void it('finds the recommended flags on the command line or in NODE_OPTIONS, whatever the value or spelling', () => {
    assert.deepEqual(missingServeFlags([], ''), [...SERVE_NODE_FLAGS]);
    assert.deepEqual(missingServeFlags(['--max-semi-space-size=128'], ''), []);
    assert.deepEqual(missingServeFlags([], '--max-old-space-size=4096 --max_semi_space_size=32'), []);
    assert.deepEqual(missingServeFlags(['--max-old-space-size=4096'], '--inspect'), [...SERVE_NODE_FLAGS]);
  });

  void it('npm start and npm run serve pass the same flags (package.json repeats them: npm scripts cannot import them)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    for (const script of ['start', 'serve']) {
      const args = pkg.scripts[script].split(/\s+/);
      assert.deepEqual(missingServeFlags(args, ''), [], `${script}: ${pkg.scripts[script]}`);
    }
  });
});
