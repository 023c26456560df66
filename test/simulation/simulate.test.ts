import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Item, WireEvent } from '../../src/domain/schemas.js';
import { ValidationError } from '../../src/errors.js';
import { parseSimulateArgs, runSimulateCommand } from '../../src/cli/simulate.js';
import { simulationOptions } from '../../src/simulation/options.js';
import { POLICIES } from '../../src/simulation/policies.js';
import type { SimulationResult } from '../../src/simulation/report.js';
import { SimEngine } from '../../src/simulation/sim-engine.js';
import { runSimulation } from '../../src/simulation/simulate.js';
import { tempDir, testConfig } from '../helpers/fixtures.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const tiny = (seed = 5) => simulationOptions({ days: 2, items: 300, users: 60, categories: 8, sessionsPerDay: 12, uploadsPerDay: 8, seed, warmupPerUser: 3, minUserImpressions: 3 });
const config = testConfig('/nonexistent');
const numbers = (r: SimulationResult) => r.runs.map((x) => ({ policy: x.policy, days: x.days, total: x.total, accepted: x.eventsAccepted, rejected: x.eventsRejected }));

void describe('closed-loop simulation', () => {
  void it('is deterministic for a seed (2 policies × 2 days on a tiny world) and differs between seeds', async () => {
    const policies = [POLICIES.home, POLICIES['daily-batch']];
    const a = await runSimulation(policies, tiny(), { config });
    const b = await runSimulation(policies, tiny(), { config });
    const c = await runSimulation(policies.slice(0, 1), tiny(6), { config });
    assert.equal(a.runs.length, 2);
    for (const run of a.runs) {
      assert.equal(run.days.length, 2);
      assert.equal(run.eventsRejected, 0);
      assert.equal(run.unknownItems, 0);
      assert.equal(run.total.degradedRequests, 0);
      for (const d of run.days) {
        assert.equal(d.sessions, 12);
        assert.ok(d.impressions > 12 && d.requests >= 12, `${run.policy}: ${d.impressions} impressions, ${d.requests} requests`);
        assert.ok(d.watchRatio > 0 && d.watchRatio < 1);
        assert.ok(d.giniItems > 0 && d.giniItems < 1);
        assert.ok(d.topCategoryShare > 0 && d.topCategoryShare <= 1);
      }
      assert.equal(run.days[1].catalogSize, 300 + 16);
    }
    assert.deepEqual(numbers(a), numbers(b));
    assert.notDeepEqual(numbers(a)[0], numbers(c)[0]);
  });

  void it('the daily-batch engine does not see same-day events or uploads until midnight; real time does', async () => {
    const { dir, cleanup } = await tempDir('feedloop-sim-test-');
    const start = Date.UTC(2026, 0, 1);
    const item = (id: string, createdAt: number): Item => ({ id, author_id: 'a1', created_at: createdAt, duration_ms: 20_000, category: 'c1' });
    const like = (id: string, itemId: string, ts: number): WireEvent & { ts: number } => ({ type: 'like', id, user_id: 'u1', item_id: itemId, ts });
    const inUserLists = (sim: SimEngine, itemId: string, now: number) =>
      Object.values(sim.engine.store.describe('user', 'u1', now)?.lists ?? {}).some((l) => l.some((x) => x.id === itemId));
    const known = (sim: SimEngine, itemId: string) => sim.engine.store.itemBatch([itemId]).known[0] === 1;
    try {
      for (const updates of ['daily-batch', 'real-time'] as const) {
        const sim = await SimEngine.open({ config, variant: 'home', updates, startMs: start, parentDir: dir });
        try {
          await sim.load([item('i0', start - DAY)], [{ id: 'u1' }]);
          sim.hold([item('i1', start + HOUR)], [like('e1', 'i0', start + 2 * HOUR)]);
          await sim.advance(start + 3 * HOUR);
          const page = await sim.serve({ requestId: 'r1', userId: 'u1', sessionId: 's1', limit: 5, nowMs: start + 3 * HOUR });
          if (updates === 'daily-batch') {
            assert.equal(sim.heldBack, 2);
            assert.equal(inUserLists(sim, 'i0', start + 3 * HOUR), false, 'the like is not visible the same day');
            assert.equal(known(sim, 'i1'), false, 'the upload is not visible the same day');
            assert.ok(!page.itemIds.includes('i1'));
            await sim.advance(start + DAY - 1);
            assert.equal(sim.heldBack, 2);
            await sim.advance(start + DAY);
          }
          assert.equal(sim.heldBack, 0);
          assert.equal(inUserLists(sim, 'i0', start + DAY), true, `${updates}: the like is applied`);
          assert.equal(known(sim, 'i1'), true, `${updates}: the upload is applied`);
          assert.equal(sim.rejected, 0);
        } finally {
          await sim.close();
        }
      }
      assert.deepEqual(await readdir(dir), [], 'the engine directories are removed');
    } finally {
      await cleanup();
    }
  });

  void it('the command writes report.md, one SVG per metric and results.json, and ends stdout with one JSON line', async () => {
    const { dir, cleanup } = await tempDir('feedloop-sim-report-');
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    const origErr = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true);
    try {
      await runSimulateCommand(['--days', '2', '--policies', 'home-exploit,trending', '--items', '200', '--users', '40', '--sessions-per-day', '10', '--categories', '6', '--seed', '3', '--out', dir]);
    } finally {
      console.log = orig;
      process.stderr.write = origErr;
    }
    try {
      const out = lines.join('\n').split('\n');
      const last = JSON.parse(out[out.length - 1]);
      assert.equal(last.days, 2);
      assert.equal(last.report, dir);
      assert.deepEqual(last.policies.map((p: any) => p.policy), ['home-exploit', 'trending']);
      for (const k of ['watch_ratio', 'coverage', 'gini_items', 'gini_authors', 'concentration_day1', 'concentration_last']) assert.equal(typeof last.policies[0][k], 'number', k);
      const files = await readdir(dir);
      assert.ok(files.includes('report.md') && files.includes('results.json') && files.includes('watch_ratio.svg') && files.includes('gini_items.svg'));
      const md = await readFile(join(dir, 'report.md'), 'utf8');
      assert.match(md, /\| home-exploit \|/);
      assert.match(md, /!\[[^\]]+\]\(watch_ratio\.svg\)/);
      const svg = await readFile(join(dir, 'coverage.svg'), 'utf8');
      assert.equal(svg.match(/<path /g)?.length, 2);
      const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
      assert.equal(results.policies[1].days.length, 2);
    } finally {
      await cleanup();
    }
  });

  void it('bad options are ValidationErrors naming the option', () => {
    const field = (argv: string[]) => {
      try {
        parseSimulateArgs(argv);
      } catch (e) {
        assert.ok(e instanceof ValidationError);
        return e.field;
      }
      assert.fail(`accepted ${argv.join(' ')}`);
    };
    assert.equal(field(['--days', '0']), 'days');
    assert.equal(field(['--days', '1.5']), 'days');
    assert.equal(field(['--items', 'many']), 'items');
    assert.equal(field(['--sessions-per-day=-3']), 'sessions-per-day');
    assert.equal(field(['--policies', 'home,nope']), 'policies');
    assert.equal(field(['--policies', 'home,home']), 'policies');
    assert.equal(field(['--seed', 'x']), 'seed');
    assert.equal(field(['--bogus']), 'argv');
    const ok = parseSimulateArgs(['--policies', 'trending,home', '--days', '3']);
    assert.deepEqual(ok.policies.map((p) => p.name), ['trending', 'home']);
    assert.equal(ok.options.days, 3);
    assert.equal(ok.options.authors, 250);
  });
});
