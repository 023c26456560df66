import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runEvalOpeServeLog } from '../../src/cli/eval-ope-serve-log.js';
import { makeEvents, makeItems, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer } from '../helpers/server.js';

/** Runs the command, returning its last stdout line parsed. */
async function evalOpe(argv: string[]): Promise<any> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    await runEvalOpeServeLog(argv);
  } finally {
    console.log = log;
  }
  return JSON.parse(lines[lines.length - 1]);
}

void describe('feedloop eval ope --serve-log on a served data directory', () => {
  void it('joins what the real pipeline served and logged to the reactions; the identity target reproduces the logged value', async () => {
    const { dir, cleanup } = await tempDir();
    // half of the slots explore (uniformly, over every ranked candidate not in the slate)
    const cfg = testConfig(dir, (c) => {
      c.exploration = { ...c.exploration, share: 0.5, policy: 'epsilon-greedy', maxImpressions: 1e9 };
    });
    const srv = await startServer(cfg);
    let served = 0;
    let liked = 0;
    try {
      const now = Date.now();
      await srv.request('PUT', '/v1/items', { items: makeItems(60).map((i) => ({ ...i, created_at: now - 3_600_000 })) });
      await srv.request('POST', '/v1/events', { events: makeEvents(600, { users: 10, items: 60, startMs: now - 600_000, maxStepMs: 500 }) });
      await srv.engine.processor.catchUp();
      const events: Record<string, unknown>[] = [];
      let t = Date.now();
      for (let q = 0; q < 40; q++) {
        const user = `viewer${q}`; // one request per user: a like labels only that impression
        const feed = await srv.request('GET', `/v1/feed?user_id=${user}&limit=6`);
        assert.equal(feed.status, 200);
        feed.body.items.forEach((x: { item_id: string }, position: number) => {
          served++;
          events.push({ type: 'impression', id: `imp-${q}-${position}`, user_id: user, item_id: x.item_id, request_id: feed.body.request_id, position, ts: t });
          if ((q + position) % 3 === 0) {
            liked++;
            events.push({ type: 'like', id: `like-${q}-${position}`, user_id: user, item_id: x.item_id, ts: t + 100 });
          }
        });
        t += 10;
      }
      assert.equal((await srv.request('POST', '/v1/events', { events })).body.rejected.length, 0);
      await new Promise((res) => setTimeout(res, 50));
      await srv.engine.serveLog.flush();
    } finally {
      await srv.close();
    }
    try {
      const config = join(dir, 'ope-config.json');
      await writeFile(config, JSON.stringify({ log: { partitions: cfg.log.partitions } }));
      const base = ['--serve-log', '--data', dir, '--config', config, '--reward', 'like', '--bootstrap', '200'];
      const same = await evalOpe([...base, '--target', 'exploration.share=0.5']);
      assert.equal(same.requests, 40);
      assert.equal(same.slots, served);
      assert.equal(same.users, 40);
      assert.ok(Math.abs(same.logged_value - liked / served) < 1e-6, `${same.logged_value} vs ${liked / served}`);
      for (const r of same.rows) assert.ok(Math.abs(r.estimate - same.logged_value) < 1e-6, JSON.stringify(r)); // all weights 1
      const off = await evalOpe([...base, '--target', 'exploration.share=0']);
      assert.ok(off.agreement > 0 && off.agreement < 1, JSON.stringify(off)); // explored slots and what follows weigh 0
      assert.deepEqual(off.rows.map((r: { estimator: string }) => r.estimator), ['ips', 'snips']);
      const none = await evalOpe([...base, '--target', 'exploration.share=0', '--arm', 'no-such=arm']);
      assert.equal(none.requests, 0);
    } finally {
      await cleanup();
    }
  });
});
