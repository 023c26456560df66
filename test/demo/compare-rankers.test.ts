import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { comparisonJson, formatComparison, type RankerComparisonResult } from '../../src/demo/compare-rankers.js';
import { watchRatioLift } from '../../src/demo/phase-report.js';
import type { ArmStats, SimulationStats } from '../../src/demo/sim-stats.js';
import { ArmCounters } from '../../src/demo/sim-stats.js';

function arm(ratios: number[], extra: Partial<ArmStats> = {}): ArmStats {
  const c = new ArmCounters(100, 10, 10);
  for (const r of ratios) c.recordWatch(r, r >= 0.95);
  for (let i = 0; i < ratios.length; i++) c.recordImpression(i);
  c.recordLatency(5);
  return { ...c.snapshot(100), ...extra };
}

function phase(arms: Record<string, ArmStats>): { stats: SimulationStats; uploads: number; uploadErrors: number } {
  const total = Object.values(arms)[0];
  return { stats: { elapsedMs: 3000, catalogSize: 100, requestsPerSec: 1, eventsPerSec: 1, total, arms }, uploads: 0, uploadErrors: 0 };
}

void describe('ranker comparison report', () => {
  void it('counts completions and the watch-ratio spread', () => {
    const a = arm([0.2, 0.4, 0.96, 1]);
    assert.equal(a.completes, 2);
    assert.equal(a.completionRate, 0.5);
    assert.ok(Math.abs(a.meanWatchRatio - 0.64) < 1e-12);
    const sd = Math.sqrt([0.2, 0.4, 0.96, 1].reduce((s, r) => s + (r - 0.64) ** 2, 0) / 3);
    assert.ok(Math.abs(a.watchRatioSd - sd) < 1e-9);
  });

  void it('computes the lift of mean watch ratio with a normal 95% half-width', () => {
    const a = arm([0.6, 0.8, 0.7, 0.9]);
    const b = arm([0.5, 0.7, 0.6, 0.8]);
    const { lift, ci95 } = watchRatioLift(a, b);
    assert.ok(Math.abs(lift - (0.75 / 0.65 - 1)) < 1e-9);
    const se = Math.sqrt(a.watchRatioSd ** 2 / 4 + b.watchRatioSd ** 2 / 4);
    assert.ok(Math.abs(ci95 - (1.96 * se) / 0.65) < 1e-9);
    assert.ok(Number.isNaN(watchRatioLift(a, undefined).lift));
  });

  void it('prints the arms side by side and one JSON object with both arms', () => {
    const home = arm([0.6, 0.8, 0.7, 0.9]);
    const heuristic = arm([0.5, 0.7, 0.6, 0.8]);
    const { lift, ci95 } = watchRatioLift(home, heuristic);
    const r: RankerComparisonResult = {
      collect: phase({ 'home-heuristic': heuristic }),
      ranker: {
        version: 'ranker-1',
        source: 'serve-log',
        examples: 10,
        train: 8,
        valid: 1,
        test: 1,
        bestEpoch: 2,
        trainSeconds: 1.5,
        loadSeconds: 0.01,
        rows: [{ model: 'multitask', head: 'watch', auc: 0.71, log_loss: 0.5, ece: 0.01, test_positives: 5, test_examples: 10 }],
      },
      compare: phase({ home, 'home-heuristic': heuristic }),
      watchRatioLift: lift,
      watchRatioLiftCi95: ci95,
    };
    const lines = formatComparison(r).join('\n').split('\n');
    const row = lines.find((l) => l.trim().startsWith('mean watch ratio')) ?? '';
    assert.match(row, /0\.7500 .*0\.6500/);
    for (const name of ['likes / impression', 'completion rate', 'coverage', 'feed p50 / p99']) assert.ok(lines.some((l) => l.trim().startsWith(name)), name);
    assert.match(lines[lines.length - 1], /watch ratio home vs home-heuristic: \+15\.38%/);
    const json = JSON.parse(JSON.stringify(comparisonJson(r)));
    assert.equal(json.phase, 'compare');
    assert.deepEqual(Object.keys(json.arms), ['home', 'home-heuristic']);
    assert.equal(json.arms.home.mean_watch_ratio, 0.75);
    assert.equal(json.watch_ratio_lift, 0.15385);
    assert.equal(json.ranker.version, 'ranker-1');
    assert.equal(json.ranker.test_auc.watch.multitask, 0.71);
  });
});
