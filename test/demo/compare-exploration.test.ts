import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { explorationJson, formatExplorationComparison, type ExplorationComparisonResult } from '../../src/demo/compare-exploration.js';
import { ArmCounters, overAuthorCap, type ArmStats, type NewItemTracking } from '../../src/demo/sim-stats.js';

void describe('exploration comparison: the measurements', () => {
  void it('overAuthorCap finds an author over the cap in any window, and only then', () => {
    assert.equal(overAuthorCap([1, 2, 1, 3, 4], 2, 10), false);
    assert.equal(overAuthorCap([1, 2, 1, 3, 1], 2, 10), true);
    assert.equal(overAuthorCap([1, 2, 3, 1, 4, 5, 1], 2, 4), false, 'the three 1s never share a 4-slot window');
    assert.equal(overAuthorCap([1, 2, 1, 1], 2, 4), true);
    assert.equal(overAuthorCap([], 2, 10), false);
  });

  void it('counts a new item only within its first window and judges only items whose window has ended', () => {
    const created = [0, 0, 0, 1_000, 2_000, 60_000];
    const t: NewItemTracking = { firstNewItem: 3, windowMs: 10_000, minImpressions: 2, createdAtMs: (i) => created[i] };
    const c = new ArmCounters(10, 10, 10);
    c.recordNewItemImpression(1, 5_000, t); // an old item: ignored
    c.recordNewItemImpression(3, 5_000, t);
    c.recordNewItemImpression(3, 11_000, t); // age exactly 10 s: inside
    c.recordNewItemImpression(4, 5_000, t);
    c.recordNewItemImpression(4, 12_001, t); // age 10.001 s: outside
    c.recordNewItemImpression(5, 61_000, t);
    c.recordNewItemImpression(5, 62_000, t);
    assert.equal(c.newItemsReachedOf([3, 4], 2), 1);
    const s = c.snapshot(10, [3, 4], 2); // item 5's window has not ended: not eligible
    assert.equal(s.newItems, 2);
    assert.equal(s.newItemsReached, 1);
  });
});

function arm(extra: Partial<ArmStats>): ArmStats {
  const c = new ArmCounters(100, 10, 10);
  for (const r of [0.5, 0.7]) c.recordWatch(r);
  return { ...c.snapshot(100), ...extra };
}

void describe('exploration comparison: the report', () => {
  void it('prints coverage, new-item reach, watch ratio and author cap side by side, then one JSON object', () => {
    const on = arm({ coverage: 0.2, distinctItems: 20, newItems: 50, newItemsReached: 40, slates: 100, slatesOverAuthorCap: 0 });
    const off = arm({ coverage: 0.1, distinctItems: 10, newItems: 50, newItemsReached: 10, slates: 90, slatesOverAuthorCap: 0 });
    const r: ExplorationComparisonResult = {
      compare: { stats: { elapsedMs: 60_000, catalogSize: 100, requestsPerSec: 1, eventsPerSec: 1, total: on, arms: { home: on, 'home-exploit': off } }, uploads: 60, uploadErrors: 0 },
      explorationShare: 0.1,
      policy: 'thompson',
      authorCap: { max: 2, window: 10 },
      newItemWindowMs: 3_600_000,
      minImpressions: 10,
      watchRatioChange: -0.01,
      watchRatioChangeCi95: 0.02,
    };
    const lines = formatExplorationComparison(r);
    const row = (name: string) => lines.find((l) => l.trim().startsWith(name)) ?? '';
    assert.match(row('catalog coverage'), /20\.00% \(20 items\).*10\.00% \(10 items\)/);
    assert.match(row('new items with ≥ 10 impressions in their first 60 min'), /80\.0% \(40 \/ 50\).*20\.0% \(10 \/ 50\)/);
    assert.match(row('slates within the author cap (2 per 10)'), /100\.00% \(100 slates\).*100\.00% \(90 slates\)/);
    assert.match(lines[lines.length - 1], /exploration on vs off: -1\.00% \(±2\.00%/);
    const json = JSON.parse(JSON.stringify(explorationJson(r)));
    assert.equal(json.phase, 'compare-exploration');
    assert.equal(json.arms.home.new_item_reach, 0.8);
    assert.equal(json.arms['home-exploit'].new_item_reach, 0.2);
    assert.equal(json.arms.home.author_cap_respected, 1);
    assert.equal(json.watch_ratio_change, -0.01);
  });
});
