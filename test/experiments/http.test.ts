import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Assigner } from '../../src/experiments/assignment.js';
import type { Experiment } from '../../src/experiments/experiment.js';
import { readServeLog } from '../../src/serve-log/read-serve-log.js';
import type { ServeRecord } from '../../src/domain/feed.js';
import { makeEvents, makeItems, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer } from '../helpers/server.js';

const body = {
  id: 'ab',
  traffic: 1,
  arms: [
    { name: 'control', weight: 1, overrides: {} },
    { name: 'trending-only', weight: 1, overrides: { variant: 'trending', feed: { maxPerAuthor: 10 } } },
  ],
  guardrails: [{ metric: 'hides_per_impression', maxRelativeIncrease: 0.2 }],
};

void describe('experiments over HTTP', () => {
  void it('create/list/read (400 naming the field, 409, 404), the arm in the feed and the serve log, results, /metrics, restart', async () => {
    const { dir, cleanup } = await tempDir();
    const cfg = testConfig(dir);
    let srv = await startServer(cfg);
    try {
      const created = await srv.request('POST', '/v1/experiments', body);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const e = created.body as Experiment;
      assert.deepEqual(e.buckets, { start: 0, end: 10_000 });
      assert.equal((await srv.request('POST', '/v1/experiments', body)).status, 409);
      const bad = await srv.request('POST', '/v1/experiments', { ...body, id: 'bad', arms: [body.arms[0], { name: 'b', overrides: { feed: { maxPerAutor: 3 } } }] });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'arms[1].overrides.feed.maxPerAutor');
      assert.equal((await srv.request('POST', '/v1/experiments', { ...body, id: 'bad', traffic: 2 })).body.error.field, 'traffic');
      assert.equal((await srv.request('GET', '/v1/experiments/nope')).status, 404);
      assert.equal((await srv.request('GET', '/v1/experiments/ab/results')).status, 200);
      const list = await srv.request('GET', '/v1/experiments');
      assert.deepEqual(list.body.experiments, [e]);
      assert.deepEqual((await srv.request('GET', '/v1/experiments/ab')).body, e);

      // a user in each arm (assignment is deterministic: the test computes it the same way)
      const assigner = new Assigner([e]);
      const userIn = (arm: number) => Array.from({ length: 100 }, (_, i) => `viewer${i}`).find((u) => assigner.assign(u)[0].arm === arm)!;
      const [cu, tu] = [userIn(0), userIn(1)];
      const now = Date.now();
      await srv.request('PUT', '/v1/items', { items: makeItems(60).map((i) => ({ ...i, created_at: now - 3_600_000 })) });
      const history = makeEvents(2000, { users: 20, items: 60, startMs: now - 1_000_000, maxStepMs: 300 });
      for (let i = 0; i < history.length; i += 1000) await srv.request('POST', '/v1/events', { events: history.slice(i, i + 1000) });
      await srv.engine.processor.catchUp();

      const fc = await srv.request('GET', `/v1/feed?user_id=${cu}&limit=5`);
      const ft = await srv.request('GET', `/v1/feed?user_id=${tu}&limit=5`);
      assert.equal(fc.status, 200);
      assert.deepEqual(fc.body.experiments, [{ id: 'ab', arm: 'control' }]);
      assert.equal(fc.body.variant, 'home');
      assert.deepEqual(ft.body.experiments, [{ id: 'ab', arm: 'trending-only' }]);
      assert.equal(ft.body.variant, 'trending'); // the arm's variant replaces the request's
      for (const x of ft.body.items) assert.deepEqual(x.sources, ['trending']);

      // the serve log carries the arm and a config version with the overrides' hash
      await new Promise((res) => setTimeout(res, 50));
      await srv.engine.serveLog.flush();
      const records: ServeRecord[] = [];
      for await (const rec of readServeLog(join(dir, 'servelog'))) records.push(rec);
      const rc = records.find((r) => r.request_id === fc.body.request_id)!;
      const rt = records.find((r) => r.request_id === ft.body.request_id)!;
      assert.deepEqual(rc.experiments, [{ id: 'ab', arm: 'control' }]);
      assert.deepEqual(rt.experiments, [{ id: 'ab', arm: 'trending-only' }]);
      assert.match(rt.config_version, /^[0-9a-f]{12}~[0-9a-f]{8}$/);
      assert.equal(records.find((r) => r.user_id === 'u1'), undefined);

      // events of both users join their arm by user id
      const events = [cu, tu].flatMap((u, k) => [
        { type: 'impression', id: `x-${k}-1`, user_id: u, item_id: 'i1', request_id: 'r', position: 0, session_id: 's' },
        { type: 'view', id: `x-${k}-2`, user_id: u, item_id: 'i1', watch_ms: 1000, session_id: 's' },
        { type: 'like', id: `x-${k}-3`, user_id: u, item_id: 'i1', session_id: 's' },
      ]);
      assert.equal((await srv.request('POST', '/v1/events', { events })).body.accepted, 6);
      await srv.engine.processor.catchUp();
      const results = await srv.request('GET', '/v1/experiments/ab/results');
      assert.equal(results.status, 200);
      const byArm = Object.fromEntries(results.body.arms.map((a: any) => [a.arm, a]));
      assert.equal(byArm.control.events.impression, 1);
      assert.equal(byArm['trending-only'].events.like, 1);
      assert.equal(byArm.control.feed_requests, 1);
      assert.ok(byArm.control.feed_p99_ms > 0);
      assert.equal(byArm.control.metrics.likes_per_impression.mean, 1);
      assert.equal(results.body.srm.df, 1);
      assert.equal(results.body.correction, 'benjamini-hochberg');
      const checked = await srv.request('GET', '/v1/experiments/ab/results?aa_splits=20');
      assert.equal(checked.status, 200);
      assert.equal(checked.body.aa_calibration.splits, 20);
      assert.deepEqual(checked.body.aa_calibration.arms, ['control', 'holdout']);
      for (const bad of ['0', 'x', '1001', '2.5']) {
        const r = await srv.request('GET', `/v1/experiments/ab/results?aa_splits=${bad}`);
        assert.equal(r.status, 400, bad);
        assert.equal(r.body.error.field, 'aa_splits');
      }

      const metrics = await srv.request('GET', '/metrics');
      assert.match(metrics.body, /feedloop_experiment_events_total\{experiment="ab",arm="control",type="impression"\} 1/);
      assert.match(metrics.body, /feedloop_experiment_feed_requests_total\{experiment="ab",arm="trending-only"\} 1/);
      assert.match(metrics.body, /feedloop_experiment_users\{experiment="ab",arm="control"\} \d+/);
      assert.match(metrics.body, /feedloop_experiment_feed_seconds_count\{experiment="ab",arm="control"\} 1/);

      // restart: experiments and per-arm metrics come back exactly
      await srv.close();
      srv = await startServer(cfg);
      assert.deepEqual((await srv.request('GET', '/v1/experiments')).body, list.body);
      assert.deepEqual((await srv.request('GET', '/v1/experiments/ab/results')).body, results.body);
      assert.deepEqual((await srv.request('GET', `/v1/feed?user_id=${tu}&limit=5`)).body.experiments, [{ id: 'ab', arm: 'trending-only' }]);

      // stopping the experiment ends the overrides
      const stopped = await srv.request('PATCH', '/v1/experiments/ab', { status: 'stopped' });
      assert.equal(stopped.body.status, 'stopped');
      const after = await srv.request('GET', `/v1/feed?user_id=${tu}&limit=5`);
      assert.equal(after.body.experiments, undefined);
      assert.equal(after.body.variant, 'home');
    } finally {
      await srv.close();
      await cleanup();
    }
  });
});
