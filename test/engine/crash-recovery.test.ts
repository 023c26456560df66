import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openSegmentLog } from '../../src/backends/embedded/segment-log.js';
import { openEngine } from '../../src/engine/engine.js';
import type { Engine } from '../../src/engine/engine.js';
import { decodeEntry } from '../../src/log/log-entry.js';
import { makeEvents, makeItems, tempDir, testConfig } from '../helpers/fixtures.js';
import { spawnServer, waitExit } from '../helpers/child-server.js';

const ENV = { FEEDLOOP_LOG_PARTITIONS: '4', FEEDLOOP_FEATURES_SNAPSHOT_EVERY_RECORDS: '3000', FEEDLOOP_CONFIG: '/nonexistent.json' };

/** Every feature of every entity, as of one instant. */
function dumpState(engine: Engine, nowMs: number) {
  const st = engine.store.stats();
  const out: Record<string, unknown> = { stats: st, trending: engine.store.trending(100, nowMs) };
  for (let u = 0; u < 30; u++) out[`u${u}`] = engine.store.describe('user', `u${u}`, nowMs);
  for (let i = 0; i < 60; i++) out[`i${i}`] = engine.store.describe('item', `i${i}`, nowMs);
  for (let a = 0; a < 7; a++) out[`a${a}`] = engine.store.describe('author', `a${a}`, nowMs);
  return out;
}

async function post(url: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(url + path, { method: path === '/v1/events' ? 'POST' : 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${path} → ${res.status}`);
  return res.json();
}

void describe('crash recovery', () => {
  void it('after SIGKILL during ingest, every acknowledged event is stored once and features equal a clean replay', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const { child, url } = await spawnServer(dir, ENV);
      await post(url, '/v1/items', { items: makeItems(60) });
      const events = makeEvents(40_000, { users: 30, items: 60, startMs: Date.now() - 3_600_000, maxStepMs: 100 });
      const acked = new Set<string>();
      let next = 0;
      let killed = false;
      const client = async () => {
        while (!killed && next < events.length) {
          const batch = events.slice(next, next + 250);
          next += 250;
          try {
            const r = await post(url, '/v1/events', { events: batch });
            assert.equal(r.accepted + r.duplicates, batch.length);
            for (const e of batch) acked.add(e.id);
          } catch {
            return; // connection cut by the kill: not acknowledged
          }
          if (acked.size >= 12_000 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        }
      };
      await Promise.all([client(), client(), client(), client()]);
      if (!killed) child.kill('SIGKILL');
      await waitExit(child);
      assert.ok(killed, 'the server was killed mid-ingest');
      assert.ok(existsSync(join(dir, 'state', 'features.snap')), 'a snapshot was written before the crash');

      // 1. The log holds every acknowledged event exactly once.
      const log = await openSegmentLog({ dir: join(dir, 'log'), partitionCount: 4 });
      const seen = new Map<string, number>();
      const ends = await log.endOffsets();
      for (let p = 0; p < ends.length; p++) {
        for (let off = 0; off < ends[p]; ) {
          const recs = await log.read(p, off, 5000);
          for (const r of recs) {
            const e = decodeEntry(r.value);
            if (e.kind === 'event') seen.set(e.event.id, (seen.get(e.event.id) ?? 0) + 1);
          }
          off += recs.length;
        }
      }
      await log.close();
      for (const id of acked) assert.equal(seen.get(id), 1, `acknowledged ${id} stored once`);
      for (const [id, n] of seen) assert.equal(n, 1, `${id} stored ${n} times`);

      // 2. Restart (snapshot + tail replay) equals a clean replay from offset 0.
      const now = Date.now();
      const cfg = testConfig(dir);
      const restarted = await openEngine(cfg, { logErrors: false });
      const afterRestart = dumpState(restarted, now);
      await restarted.close();
      const rebuilt = await openEngine(cfg, { rebuild: true, logErrors: false });
      const afterReplay = dumpState(rebuilt, now);
      await rebuilt.close();
      assert.deepEqual(afterRestart, afterReplay);

      // 3. The restarted server still knows every acknowledged id: re-sending them counts duplicates only.
      const again = await spawnServer(dir, ENV);
      const ackedEvents = events.filter((e) => acked.has(e.id));
      let dups = 0;
      for (let i = 0; i < ackedEvents.length; i += 1000) {
        const r = await post(again.url, '/v1/events', { events: ackedEvents.slice(i, i + 1000) });
        assert.equal(r.accepted, 0);
        dups += r.duplicates;
      }
      assert.equal(dups, acked.size);
      again.child.kill('SIGTERM');
      await waitExit(again.child);
    } finally {
      await cleanup();
    }
  });
});
