import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { missingServeFlags, SERVE_NODE_FLAGS, SERVE_RUNTIME_V8_FLAGS } from '../../src/server/node-flags.js';

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
      for (const flag of SERVE_RUNTIME_V8_FLAGS) assert.ok(args.includes(flag), `${script} passes ${flag}: ${pkg.scripts[script]}`);
    }
  });

  void it('applyServeRuntimeFlags stops V8 from pretenuring an allocation site whose objects survive scavenges', () => {
    // a child process (V8 flags are process-wide): objects of one site kept alive across scavenges, then is a new
    // object from that site born in the young generation? Without the flags V8 pretenures the site (the control).
    const flagsModule = new URL('../../src/server/node-flags.js', import.meta.url).href;
    const script = `
      const { applyServeRuntimeFlags } = await import(${JSON.stringify(flagsModule)});
      if (process.argv[1] === 'apply') applyServeRuntimeFlags();
      const inYoung = new Function('o', 'return %InYoungGeneration(o)');
      const make = (i) => ({ a: i, b: [i] });
      const keep = [];
      for (let r = 0; r < 30; r++) {
        for (let i = 0; i < 20000; i++) keep.push(make(i));
        globalThis.gc({ type: 'minor' });
      }
      let young = 0;
      for (let i = 0; i < 100; i++) if (inYoung(make(i))) young++;
      console.log(young);`;
    const youngOf100 = (mode: string) => Number(execFileSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', script, mode], { encoding: 'utf8' }).trim());
    assert.equal(youngOf100('control'), 0, 'V8 pretenured the site without the flags');
    assert.equal(youngOf100('apply'), 100);
  });
});

