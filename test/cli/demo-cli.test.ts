import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/child-server.js';
import { tempDir } from '../helpers/fixtures.js';

void describe('feedloop demo', () => {
  void it('runs the engine, the world and simulated users on both arms, and ends with a JSON summary', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const r = spawnSync(process.execPath, [CLI, 'demo', '--data', dir, '--port', '0', '--items', '3000', '--users', '600', '--seconds', '4'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, FEEDLOOP_CONFIG: '/nonexistent.json' },
      });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.ok(lines.some((l) => /^t=\d+s \| .*req\/s.*watch ratio home .* vs trending/.test(l)), 'a live line was printed');
      const summary = JSON.parse(lines[lines.length - 1]);
      for (const arm of ['home', 'trending']) {
        assert.ok(summary.arms[arm].requests > 0, `${arm} served`);
        assert.equal(summary.arms[arm].errors, 0);
        assert.ok(summary.arms[arm].mean_watch_ratio > 0 && summary.arms[arm].mean_watch_ratio < 1);
      }
    } finally {
      await cleanup();
    }
  });
});
