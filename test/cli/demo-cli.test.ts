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

  void it('--compare-rankers collects on the heuristic ranker, trains, compares both arms and ends with one JSON object', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const args = ['demo', '--compare-rankers', '--data', dir, '--port', '0', '--items', '3000', '--users', '600', '--collect-seconds', '4', '--seconds', '3', '--epochs', '2'];
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, FEEDLOOP_CONFIG: '/nonexistent.json' } });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.ok(lines.some((l) => /^demo: collect: simulating .*"home-heuristic":1\}/.test(l)), 'collect phase ran on the heuristic arm only');
      assert.ok(lines.some((l) => /^\s+head\s+model\s+AUC/.test(l)), 'the per-head test table was printed');
      assert.ok(lines.some((l) => /^demo: train: trained in [\d.]+ s/.test(l)), 'the training time was printed');
      assert.ok(lines.some((l) => /^\s+mean watch ratio\s+[\d.]+ .*\s+[\d.]+ /.test(l)), 'watch ratios side by side');
      assert.ok(lines.some((l) => /watch ratio home vs home-heuristic: [+-][\d.]+%/.test(l)), 'the lift was printed');
      const summary = JSON.parse(lines[lines.length - 1]);
      assert.equal(summary.phase, 'compare');
      for (const arm of ['home', 'home-heuristic']) {
        const a = summary.arms[arm];
        assert.ok(a.requests > 0, `${arm} served`);
        assert.equal(a.errors, 0);
        assert.ok(a.mean_watch_ratio > 0 && a.mean_watch_ratio < 1);
        for (const k of ['likes_per_impression', 'completion_rate', 'coverage', 'feed_p99_ms']) assert.equal(typeof a[k], 'number', `${arm}.${k}`);
      }
      assert.equal(Object.keys(summary.arms).length, 2);
      assert.equal(typeof summary.watch_ratio_lift, 'number');
      assert.ok(Math.abs(summary.watch_ratio_lift - (summary.arms.home.mean_watch_ratio / summary.arms['home-heuristic'].mean_watch_ratio - 1)) < 1e-3);
      assert.match(summary.ranker.version, /\S/);
      assert.ok(summary.ranker.examples > 0 && summary.ranker.train_s >= 0);
      assert.ok(summary.collect.requests > 0);
    } finally {
      await cleanup();
    }
  });

  void it('rejects --collect-seconds without --compare-rankers', () => {
    const r = spawnSync(process.execPath, [CLI, 'demo', '--collect-seconds', '5'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, FEEDLOOP_CONFIG: '/nonexistent.json' } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--compare-rankers/);
  });
});
