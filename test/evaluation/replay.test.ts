import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Item, StoredEvent } from '../../src/domain/schemas.js';
import { ValidationError } from '../../src/errors.js';
import type { LogEntry } from '../../src/log/log-entry.js';
import { runEvalReplay } from '../../src/cli/eval-replay.js';
import { compareFreshness } from '../../src/evaluation/replay/compare-freshness.js';
import { EngineVariant } from '../../src/evaluation/replay/engine-variant.js';
import { NextItemMetrics, gainAt, rankOf } from '../../src/evaluation/replay/metrics.js';
import { PopularityVariant } from '../../src/evaluation/replay/popularity-variant.js';
import { loadReplayData, replayDataFrom } from '../../src/evaluation/replay/replay-data.js';
import { retrievalTrainingData } from '../../src/evaluation/replay/replay-retrieval.js';
import type { ReplayVariant } from '../../src/evaluation/replay/replay-variant.js';
import { runReplay } from '../../src/evaluation/replay/replay.js';
import { sampleEvaluationPoints } from '../../src/evaluation/replay/sampling.js';
import { rng, tempDir, testConfig } from '../helpers/fixtures.js';

const cfg = testConfig('/nonexistent');
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** UTC midnight: day boundaries of the fixture fall on multiples of DAY from here. */
const T0 = Date.UTC(2026, 0, 1);
const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? ''} ${a} vs ${b}`);

function catalog(ids: string[]): LogEntry[] {
  return ids.map((id, i): LogEntry => {
    const item: Item = { id, author_id: 'a', created_at: T0 - 30 * DAY, category: `c${i % 5}` };
    return { kind: 'item', item, ts: 0 };
  });
}

let seq = 0;
const like = (user_id: string, item_id: string, ts: number): StoredEvent => ({ type: 'like', id: `e${seq++}`, user_id, item_id, ts });

/** Timestamped sessions: each user is active on a few days, liking or completing several items in one sitting. */
function sessions(opts: { users: number; items: number; days: number; seed: number }): { items: string[]; events: StoredEvent[] } {
  const r = rng(opts.seed);
  const items = Array.from({ length: opts.items }, (_, i) => `i${i}`);
  const events: StoredEvent[] = [];
  for (let u = 0; u < opts.users; u++) {
    const taste = Math.floor(r() * 5);
    for (let d = 0; d < opts.days; d++) {
      if (r() < 0.5) continue;
      let ts = T0 + d * DAY + Math.floor(r() * 20 * HOUR);
      const n = 3 + Math.floor(r() * 6);
      for (let k = 0; k < n; k++) {
        // mostly the user's favourite category (items i ≡ taste mod 5), with popular items over-represented
        const pick = r() < 0.7 ? taste + 5 * Math.floor(r() ** 2 * (opts.items / 5)) : Math.floor(r() * opts.items);
        ts += 30_000 + Math.floor(r() * 300_000);
        events.push({ type: r() < 0.7 ? 'like' : 'complete', id: `s${events.length}`, user_id: `u${u}`, item_id: items[pick % opts.items], ts });
      }
    }
  }
  events.sort((a, b) => a.ts - b.ts);
  return { items, events };
}

void describe('replay metrics', () => {
  void it('computes HR@K and NDCG@K of the next item on a hand-made case', () => {
    assert.equal(rankOf(['a', 'b', 'c'], 'b', 10), 1);
    assert.equal(rankOf(['a', 'b', 'c'], 'c', 2), -1, 'past K does not count');
    const m = new NextItemMetrics(3);
    m.add(['a', 'b', 'c', 'd'], 'a'); // rank 0: gain 1
    m.add(['a', 'b', 'c', 'd'], 'c', true); // rank 2: gain 1/log2(4) = 0.5
    m.add(['a', 'b', 'c', 'd'], 'd', true); // rank 3 ≥ K: miss
    m.add(['x'], 'y'); // short list, miss
    assert.equal(m.points, 4);
    assert.equal(m.hits, 2);
    close(m.hitRate, 0.5);
    close(m.ndcg, (1 + 0.5) / 4);
    close(gainAt(1), 1 / Math.log2(3));
    assert.deepEqual(m.segment, { points: 2, hits: 1, dcg: 0.5 });
    close(m.segmentHitRate, 0.5);
  });

  void it('scores before observing, excludes the user\'s items, and ranks popularity by counts so far', async () => {
    const pop = new PopularityVariant();
    // "last item observed": hits only if the loop leaked the event being scored into the variant
    let last = '';
    const leak: ReplayVariant = {
      name: 'last',
      degradedRequests: 0,
      advanceTo() {},
      observe: (e) => void (last = (e as { item_id: string }).item_id),
      recommend: async (_u, _t, exclude) => (exclude.has(last) ? [] : [last]),
    };
    const ev = [like('u1', 'a', T0), like('u2', 'a', T0 + 1), like('u2', 'b', T0 + 2), like('u3', 'c', T0 + 3), like('u1', 'b', T0 + 4), like('u3', 'a', T0 + 5)];
    // points 3..5: u3 → c (popularity [a, b]: miss; last observed b: miss — c would hit had the event leaked in),
    // u1 → b (a excluded → [b, c]: rank 0), u3 → a (c excluded; a and b tie at 2, a seen first → [a, b]: rank 0)
    const res = await runReplay(ev, [pop, leak], { k: 2, points: [3, 4, 5] });
    assert.equal(res.points, 3);
    const [p, l] = res.variants;
    assert.equal(l.hitRate, 0, 'the scored event is not visible to the variant');
    close(p.hitRate, 2 / 3);
    close(p.ndcg, 2 / 3);
    assert.equal(p.sameDayPoints, 2, 'u3 at its first event is not a same-day point; the other two are');
    await assert.rejects(runReplay([like('u', 'a', 2), like('u', 'b', 1)], [pop], { k: 1, points: [] }), RangeError);
  });
});

/** Feeds an event to every variant in time order. */
const feedTo =
  (...variants: EngineVariant[]) =>
  (ev: StoredEvent): void => {
    for (const v of variants) {
      v.advanceTo(ev.ts);
      v.observe(ev);
    }
  };

void describe('replay variants', () => {
  void it('daily-batch does not see an item that becomes popular during the day until the next day; real-time does', async () => {
    const ids = [...Array.from({ length: 20 }, (_, i) => `bg${i}`), 'hot'];
    const cat = catalog(ids);
    const rt = await EngineVariant.open({ freshness: 'real-time', config: cfg, catalog: cat });
    const db = await EngineVariant.open({ freshness: 'daily-batch', config: cfg, catalog: cat });
    const feed = feedTo(rt, db);
    // day 0: 20 background items, 3 likes each
    for (let i = 0; i < 20; i++) for (let u = 0; u < 3; u++) feed(like(`b${u}`, `bg${i}`, T0 + 2 * HOUR + i * 60_000 + u));
    // day 1 morning: 25 users like `hot`
    for (let u = 0; u < 25; u++) feed(like(`h${u}`, 'hot', T0 + DAY + 6 * HOUR + u * 60_000));
    const afternoon = T0 + DAY + 15 * HOUR;
    for (const v of [rt, db]) v.advanceTo(afternoon);
    const none = new Set<string>();
    const rtRecs = await rt.recommend('probe', afternoon, none, 10);
    const dbRecs = await db.recommend('probe', afternoon, none, 10);
    assert.equal(rtRecs.length, 10);
    assert.equal(dbRecs.length, 10);
    assert.ok(rtRecs.includes('hot'), `real-time serves the item that became popular today: ${rtRecs.join(',')}`);
    assert.ok(!dbRecs.includes('hot'), `daily-batch must not see today's events: ${dbRecs.join(',')}`);
    assert.equal(db.heldBack, 25, "today's events are held back");
    assert.equal(rt.heldBack, 0);
    // next day, after the refresh, the daily-batch variant serves it too
    const nextDay = T0 + 2 * DAY + HOUR;
    for (const v of [rt, db]) v.advanceTo(nextDay);
    assert.equal(db.heldBack, 0);
    assert.ok((await db.recommend('probe', nextDay, none, 10)).includes('hot'), 'visible after the day boundary');
    // the user's items are never proposed
    assert.ok(!(await rt.recommend('probe', nextDay, new Set(['hot']), 10)).includes('hot'));
    assert.equal(rt.degradedRequests + db.degradedRequests, 0);
  });

  void it('real-time personalises within a session: the user\'s category of today shows up only in real time', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `i${i}`); // category c(i mod 5)
    const cat = catalog(ids);
    const rt = await EngineVariant.open({ freshness: 'real-time', config: cfg, catalog: cat });
    const db = await EngineVariant.open({ freshness: 'daily-batch', config: cfg, catalog: cat });
    const feed = feedTo(rt, db);
    // day 0: many users like c0..c3 items; c4 items get a few likes
    for (let u = 0; u < 10; u++) for (let i = 0; i < 40; i++) if (i % 5 !== 4 || u < 2) feed(like(`w${u}`, `i${i}`, T0 + HOUR + u * 1000 + i));
    // day 1: the probe user likes three c4 items
    const t = T0 + DAY + 10 * HOUR;
    for (const [k, i] of [4, 9, 14].entries()) feed(like('probe', `i${i}`, t + k * 60_000));
    const now = t + 10 * 60_000;
    const mine = new Set(['i4', 'i9', 'i14']);
    const c4 = (recs: readonly string[]) => recs.filter((id) => Number(id.slice(1)) % 5 === 4).length;
    const rtRecs = await rt.recommend('probe', now, mine, 10);
    const dbRecs = await db.recommend('probe', now, mine, 10);
    assert.ok(c4(rtRecs) > c4(dbRecs), `real-time: ${rtRecs.join(',')} vs daily-batch: ${dbRecs.join(',')}`);
  });
});

void describe('replay experiment', () => {
  void it('samples points within the period, at most N per user, deterministically for a seed', () => {
    const { events } = sessions({ users: 30, items: 60, days: 8, seed: 3 });
    const a = sampleEvaluationPoints(events, { period: 'test', maxPerUser: 3, maxPoints: 0, seed: 1 });
    const b = sampleEvaluationPoints(events, { period: 'test', maxPerUser: 3, maxPoints: 0, seed: 1 });
    const c = sampleEvaluationPoints(events, { period: 'test', maxPerUser: 3, maxPoints: 0, seed: 2 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.indices, c.indices);
    const perUser = new Map<string, number>();
    for (const i of a.indices) {
      assert.ok(events[i].ts >= a.startMs);
      perUser.set(events[i].user_id, (perUser.get(events[i].user_id) ?? 0) + 1);
    }
    assert.ok(Math.max(...perUser.values()) <= 3);
    assert.equal(a.eligible, events.length - events.findIndex((e) => e.ts >= a.startMs));
    const v = sampleEvaluationPoints(events, { period: 'valid', maxPerUser: 0, maxPoints: 10, seed: 1 });
    assert.equal(v.indices.length, 10);
    assert.ok(v.indices.every((i) => events[i].ts >= v.startMs && events[i].ts < a.startMs), 'validation points precede the test period');
  });

  void it('trains retrieval only on positives before the evaluated period', () => {
    const { items, events } = sessions({ users: 30, items: 60, days: 8, seed: 3 });
    const data = { name: 'fixture', catalog: catalog(items), events, rejected: 0 };
    const { startMs } = sampleEvaluationPoints(events, { period: 'test', maxPerUser: 0, maxPoints: 0, seed: 1 });
    const td = retrievalTrainingData(data, startMs);
    const before = new Set(events.filter((e) => e.ts < startMs).map((e) => `${e.user_id}:${(e as { item_id: string }).item_id}`));
    assert.equal(td.positives, before.size, 'every positive before the period, once per user and item');
    const { train, valid } = td.data;
    const pairs = (csr: typeof train) => td.data.userIds.flatMap((u, r) => Array.from(csr.items.subarray(csr.offsets[r], csr.offsets[r + 1]), (i) => `${u}:${td.data.itemIds[i]}`));
    for (const p of [...pairs(train), ...pairs(valid)]) assert.ok(before.has(p), `${p} is from the evaluated period`);
    assert.equal(pairs(train).length + pairs(valid).length, before.size);
  });

  void it('compares real-time, daily-batch and popularity with identical output for the same seed', async () => {
    const { items, events } = sessions({ users: 40, items: 60, days: 6, seed: 5 });
    const data = { name: 'fixture', catalog: catalog(items), events, rejected: 0 };
    const run = async (seed: number) => {
      const c = await compareFreshness(data, { config: cfg, k: 10, sampling: { period: 'test', maxPerUser: 0, maxPoints: 60, seed } });
      return { ...c, result: { ...c.result, elapsedMs: 0, variants: c.result.variants.map((v) => ({ ...v, meanRequestMs: 0 })) } };
    };
    const a = await run(9);
    assert.deepEqual(await run(9), a);
    assert.equal(a.result.points, 60);
    assert.deepEqual(a.result.variants.map((v) => v.variant), ['real-time', 'daily-batch', 'popularity']);
    for (const v of a.result.variants) assert.equal(v.points, 60);
    const [rt, db] = a.result.variants;
    assert.ok(rt.hitRate > 0, 'the fixture has learnable sessions');
    assert.notDeepEqual([rt.hitRate, rt.ndcg], [db.hitRate, db.ndcg], 'the variants differ on same-day sessions');
  });
});

/** A tiny MovieLens-100K-format folder (generated, never the real data). */
async function writeMl100k(dir: string): Promise<void> {
  const root = join(dir, 'movielens-100k');
  await mkdir(root, { recursive: true });
  const { events } = sessions({ users: 25, items: 40, days: 6, seed: 11 });
  const genre = (i: number) => Array.from({ length: 19 }, (_, g) => (g === 1 + (i % 5) ? '1' : '0')).join('|');
  const itemLines = Array.from({ length: 40 }, (_, i) => `${i}|Movie ${i} (1995)|01-Jan-1995||http://x|${genre(i)}`);
  const userLines = Array.from({ length: 25 }, (_, u) => `${u}|${20 + u}|M|other|00000`);
  const r = rng(4);
  const rated = new Set<string>();
  const dataLines: string[] = [];
  for (const e of events) {
    const u = e.user_id.slice(1);
    const i = (e as { item_id: string }).item_id.slice(1);
    if (rated.has(`${u}:${i}`)) continue; // a user rates a movie once
    rated.add(`${u}:${i}`);
    dataLines.push(`${u}\t${i}\t${1 + Math.floor(r() * 5)}\t${Math.floor(e.ts / 1000)}`);
  }
  await writeFile(join(root, 'u.item'), itemLines.join('\n') + '\n', 'latin1');
  await writeFile(join(root, 'u.user'), userLines.join('\n') + '\n');
  await writeFile(join(root, 'u.data'), dataLines.reverse().join('\n') + '\n'); // out of order on purpose
}

async function captureStdout(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  const write = process.stderr.write.bind(process.stderr);
  console.log = (...args: unknown[]) => void lines.push(...args.map(String).join(' ').split('\n'));
  process.stderr.write = () => true;
  try {
    await fn();
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
  return lines;
}

void describe('feedloop eval replay', () => {
  void it('prints a table and one JSON object last, the same for the same seed', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeMl100k(dir);
      const data = await loadReplayData('movielens-100k', dir);
      assert.equal(data.rejected, 0);
      assert.ok(data.events.every((e, i) => i === 0 || e.ts >= data.events[i - 1].ts), 'events sorted by time');
      const argv = ['--dataset', 'movielens-100k', '--datasets', dir, '--max-points', '30', '--seed', '3'];
      const out = await captureStdout(() => runEvalReplay(argv));
      assert.ok(out.some((l) => l.startsWith('real-time')) && out.some((l) => l.startsWith('daily-batch')) && out.some((l) => l.startsWith('popularity')));
      const json = JSON.parse(out[out.length - 1]);
      assert.equal(json.dataset, 'movielens-100k');
      assert.equal(json.points, 30);
      assert.deepEqual(json.rows.map((r: any) => r.variant), ['real-time', 'daily-batch']);
      for (const r of json.rows) assert.ok(typeof r['hr@10'] === 'number' && typeof r['ndcg@10'] === 'number');
      assert.ok(json.relative_hr_gain === null || typeof json.relative_hr_gain === 'number');
      assert.deepEqual(JSON.parse((await captureStdout(() => runEvalReplay(argv))).at(-1)!), json);
    } finally {
      await cleanup();
    }
  });

  void it('rejects bad input with named errors', async () => {
    const field = (f: string) => (e: unknown) => e instanceof ValidationError && e.field === f;
    await assert.rejects(runEvalReplay([]), field('dataset'));
    await assert.rejects(runEvalReplay(['--dataset', 'movielens-1m-split']), field('dataset'));
    await assert.rejects(runEvalReplay(['--dataset', 'movielens-100k', '--max-points', '1.5']), field('max-points'));
    await assert.rejects(runEvalReplay(['--dataset', 'movielens-100k', '--seed', 'x']), field('seed'));
    await assert.rejects(runEvalReplay(['--dataset', 'movielens-100k', '--period', 'train']), field('period'));
    await assert.rejects(runEvalReplay(['--dataset', 'movielens-100k', '--bogus']), field('argv'));
    await assert.rejects(loadReplayData('movielens-100k', '/nonexistent-datasets'), field('datasetsDir'));
    assert.equal(replayDataFrom('x', [{ id: 'i' }], [], [{ type: 'like', id: 'e', user_id: 'u', item_id: 'i' }]).rejected, 2, 'item without author, event without ts');
  });
});
