import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance } from 'fastify';
import { EventSchema } from '../../src/domain/schemas.js';
import { formatLiveLine, runDemo, setupDemo } from '../../src/demo/demo.js';
import { mulberry32 } from '../../src/util/prng.js';
import { armFor, runSimulation } from '../../src/demo/simulator.js';
import { createWorld } from '../../src/demo/world.js';

const ajv = new Ajv({ strict: false });
const validateEvent = ajv.compile(EventSchema);
/** A signal aborted after `ms` (a plain timer: nothing to garbage-collect early). */
function abortAfter(ms: number): AbortSignal {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), ms);
  return ac.signal;
}
/** Not a type guard, so the event stays `any` after the check. */
const validEvent = (x: unknown): boolean => validateEvent(x);

/** A stand-in for the engine: serves random known item ids (plus an unknown one) and records what clients send. */
class FakeFeedServer {
  readonly app: FastifyInstance = Fastify();
  url = '';
  readonly feeds: { query: Record<string, string>; status: number; body?: any }[] = [];
  readonly events: any[] = [];
  readonly items: string[] = [];
  readonly users: string[] = [];
  readonly uploadedItems: any[] = [];
  aliens = 0;
  eventBatches = 0;
  /** Every n-th feed request / event batch fails with 500 / 503 (0: never). */
  failFeedEvery = 0;
  failEventsEvery = 0;
  private readonly rand = mulberry32(42);

  constructor(knownItems: number) {
    for (let i = 0; i < knownItems; i++) this.items.push(`item-${i}`);
    this.app.get('/v1/feed', async (req, reply) => {
      const query = req.query as Record<string, string>;
      const n = this.feeds.length + 1;
      if (this.failFeedEvery && n % this.failFeedEvery === 0) {
        this.feeds.push({ query, status: 500 });
        return reply.code(500).send({ error: { code: 'boom', message: 'test failure', field: '' } });
      }
      const limit = Number(query.limit);
      const items = Array.from({ length: limit }, (_, position) => {
        const alien = this.rand() < 0.05;
        if (alien) this.aliens++;
        const item_id = alien ? `alien-${n}-${position}` : this.items[Math.floor(this.rand() * this.items.length)];
        return { item_id, score: 1 - position / limit, sources: ['fake'], position };
      });
      const body = { request_id: `req-${n}`, variant: query.variant, items };
      this.feeds.push({ query, status: 200, body });
      return body;
    });
    this.app.post('/v1/events', async (req, reply) => {
      const { events } = req.body as { events: any[] };
      if (this.failEventsEvery && ++this.eventBatches % this.failEventsEvery === 0) {
        return reply.code(503).send({ error: { code: 'backend_unavailable', message: 'test', field: '' } });
      }
      this.events.push(...events);
      return { accepted: events.length, duplicates: 0, rejected: [] };
    });
    this.app.put('/v1/items', async (req) => {
      const { items } = req.body as { items: any[] };
      for (const it of items) if (!this.items.includes(it.id)) this.items.push(it.id);
      this.uploadedItems.push(...items);
      return { accepted: items.length, rejected: [] };
    });
    this.app.put('/v1/users', async (req) => {
      const { users } = req.body as { users: any[] };
      this.users.push(...users.map((u) => u.id));
      return { accepted: users.length, rejected: [] };
    });
  }

  async start(): Promise<void> {
    this.url = await this.app.listen({ port: 0, host: '127.0.0.1' });
  }
}

void describe('simulator', () => {
  const world = createWorld({ seed: 11, items: 500, authors: 30, categories: 6, users: 200, uploadCapacity: 100 });
  const arms = { home: 0.5, trending: 0.5 };
  let fake: FakeFeedServer;
  before(async () => {
    fake = new FakeFeedServer(world.itemCount);
    fake.failFeedEvery = 17;
    fake.failEventsEvery = 13;
    await fake.start();
  });
  after(() => fake.app.close());

  void it('assigns arms by a stable hash of the user id', () => {
    const counts: Record<string, number> = { home: 0, trending: 0 };
    for (let u = 0; u < 4000; u++) counts[armFor(`user-${u}`, arms)]++;
    assert.ok(Math.abs(counts.home - 2000) < 200, JSON.stringify(counts));
    assert.equal(armFor('user-5', arms), armFor('user-5', { ...arms }));
    assert.equal(armFor('user-5', { home: 1 }), 'home');
    assert.equal(armFor('user-5', { home: 0, trending: 1 }), 'trending');
    assert.throws(() => armFor('user-5', { home: 0 }));
  });

  void it('drives the feed and events APIs, reports impressions with request_id/position, and computes stats', async () => {
    const ticks: any[] = [];
    const stats = await runSimulation({ baseUrl: fake.url, world, concurrency: 4, arms, seed: 3, durationMs: 800, tickMs: 200, onTick: (s) => ticks.push(s), runId: 't1' });
    const served = new Map(fake.feeds.filter((f) => f.status === 200).map((f) => [f.body.request_id as string, f]));
    assert.ok(served.size > 10, `only ${served.size} feed requests`);
    assert.ok(ticks.length >= 2);

    // every event is valid, ids are unique, impressions point at what was served
    const ids = new Set<string>();
    for (const e of fake.events) {
      assert.ok(validEvent(e), `${JSON.stringify(e)} ${JSON.stringify(validateEvent.errors)}`);
      assert.ok(!ids.has(e.id), `duplicate id ${e.id}`);
      ids.add(e.id);
      assert.match(e.user_id, /^user-\d+$/);
      assert.ok(e.session_id);
    }
    const impressions = fake.events.filter((e) => e.type === 'impression');
    assert.ok(impressions.length > 0);
    for (const imp of impressions) {
      const f = served.get(imp.request_id);
      assert.ok(f, `unknown request ${imp.request_id}`);
      assert.equal(f.body.items[imp.position].item_id, imp.item_id);
      assert.equal(f.query.user_id, imp.user_id);
      assert.equal(f.query.session_id, imp.session_id);
      assert.ok(!imp.item_id.startsWith('alien'), 'unknown items are skipped');
    }
    // arms by user hash, on the wire
    for (const f of fake.feeds) {
      assert.equal(f.query.variant, armFor(f.query.user_id, arms));
      assert.equal(f.query.limit, '10');
    }
    assert.deepEqual(new Set(fake.feeds.map((f) => f.query.variant)), new Set(['home', 'trending']));
    // follows name the item's author; every watched item has one view
    for (const e of fake.events.filter((x) => x.type === 'follow')) assert.equal(e.author_id, world.itemRecord(world.itemIndex(e.item_id)).author_id);

    const t = stats.total;
    assert.equal(t.requests, served.size);
    assert.equal(t.errors, fake.feeds.filter((f) => f.status !== 200).length + Math.floor(fake.eventBatches / 13));
    assert.ok(t.errors > 0, 'errors were injected');
    assert.equal(t.events, fake.events.length);
    assert.equal(t.unknownItems, fake.aliens);
    assert.equal(t.requests, stats.arms.home.requests + stats.arms.trending.requests);
    assert.equal(t.sessions, stats.arms.home.sessions + stats.arms.trending.sessions);
    assert.equal(t.impressions, stats.arms.home.impressions + stats.arms.trending.impressions);
    assert.ok(t.watched > 0 && t.watched <= t.impressions);
    assert.ok(t.meanWatchRatio > 0 && t.meanWatchRatio < 1);
    assert.ok(t.feedP50Ms > 0 && t.feedP99Ms >= t.feedP50Ms);
    assert.equal(t.likesPerImpression, t.likes / t.impressions);
    const distinct = new Set([...served.values()].flatMap((f) => f.body.items.map((x: any) => x.item_id)).filter((id) => !id.startsWith('alien')));
    assert.equal(t.distinctItems, distinct.size);
    assert.equal(t.coverage, distinct.size / world.itemCount);
    assert.ok(stats.requestsPerSec > 0 && stats.eventsPerSec > 0);
    assert.match(formatLiveLine(stats), /^t=\d+s \| \d+ req\/s \| \d+ ev\/s \| feed p99 [\d.]+ ms \| watch ratio home [\d.]+ vs trending [\d.]+ \| coverage [\d.]+% \| errors \d+$/);
  });

  void it('keeps going when the server is unreachable', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const stats = await runSimulation({ baseUrl: 'http://127.0.0.1:9', world, concurrency: 2, signal: stop.signal, errorBackoffMs: 20, requestTimeoutMs: 200 });
    assert.equal(stats.total.requests, 0);
    assert.ok(stats.total.errors >= 2);
    assert.ok(Number.isNaN(stats.total.meanWatchRatio));
  });
});

void describe('demo', () => {
  void it('uploads the world and history, simulates in a worker that sees new uploads, and prints live lines', async () => {
    const world = createWorld({ seed: 5, items: 400, authors: 20, categories: 5, users: 150, uploadCapacity: 50 });
    const fake = new FakeFeedServer(0);
    await fake.start();
    const lines: string[] = [];
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 1500);
    try {
      const started = Date.now();
      const result = await runDemo({
        baseUrl: fake.url,
        world,
        signal: stop.signal,
        concurrency: 2,
        warmupPerUser: 3,
        uploadIntervalMs: 100,
        printIntervalMs: 250,
        log: (l) => lines.push(l),
      });
      assert.equal(fake.users.length, 150);
      assert.ok(fake.uploadedItems.length >= 401);
      assert.deepEqual(fake.uploadedItems.slice(0, 400).map((x) => x.id).sort(), Array.from({ length: 400 }, (_, i) => `item-${i}`).sort());
      assert.ok(result.uploads >= 3, `uploads ${result.uploads}`);
      assert.equal(fake.uploadedItems.length, 400 + result.uploads);
      assert.equal(world.itemCount, 400 + result.uploads + result.uploadErrors);

      const warm = fake.events.filter((e) => String(e.id).startsWith('warm-'));
      assert.equal(warm.length, result.warmupEvents);
      assert.ok(warm.length >= 150);
      for (const e of warm) {
        assert.ok(validEvent(e), JSON.stringify(e));
        assert.ok(e.ts < started && e.ts > started - 86_400_000);
      }

      // the worker resolved new uploads through the shared world: only the aliens were unknown
      assert.equal(result.stats.total.unknownItems, fake.aliens);
      assert.ok(result.stats.total.requests > 0);
      assert.ok(result.stats.arms.home.watched > 0 && result.stats.arms.trending.watched > 0);
      assert.ok(lines.some((l) => /^t=\d+s \| .* \| watch ratio home [\d.]+ vs trending [\d.]+ \|/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /home vs trending: watch ratio/.test(l)));
    } finally {
      await fake.app.close();
    }
  });

  void it('uploads the world once and runs phases one after another, each with its own arms and fresh stats', async () => {
    const world = createWorld({ seed: 6, items: 300, authors: 20, categories: 5, users: 120, uploadCapacity: 50 });
    const fake = new FakeFeedServer(0);
    await fake.start();
    const lines: string[] = [];
    try {
      const demo = await setupDemo({ baseUrl: fake.url, world, signal: new AbortController().signal, concurrency: 2, warmupPerUser: 2, uploadIntervalMs: 100, log: (l) => lines.push(l) });
      assert.equal(fake.users.length, 120);
      assert.ok(demo.warmupEvents >= 120);
      const first = await demo.runPhase({ name: 'collect', arms: { 'home-heuristic': 1 }, signal: abortAfter(600) });
      const feedsAfterFirst = fake.feeds.length;
      const itemsAfterFirst = world.itemCount;
      await new Promise((r) => setTimeout(r, 300)); // the world stands still between phases
      assert.equal(world.itemCount, itemsAfterFirst);
      const second = await demo.runPhase({ name: 'compare', arms: { home: 0.5, 'home-heuristic': 0.5 }, signal: abortAfter(600) });

      assert.equal(fake.users.length, 120, 'users uploaded once');
      assert.equal(fake.uploadedItems.length, 300 + first.uploads + second.uploads, 'the initial items uploaded once');
      assert.deepEqual(Object.keys(first.stats.arms), ['home-heuristic']);
      assert.deepEqual(Object.keys(second.stats.arms), ['home', 'home-heuristic']);
      assert.ok(first.stats.total.requests > 0 && second.stats.total.requests > 0);
      assert.equal(first.stats.total.requests + first.stats.total.errors, feedsAfterFirst);
      assert.equal(second.stats.total.requests + second.stats.total.errors, fake.feeds.length - feedsAfterFirst, 'phase 2 counts its own requests only');
      assert.ok(fake.feeds.slice(0, feedsAfterFirst).every((f) => f.query.variant === 'home-heuristic'));
      const variants = new Set(fake.feeds.slice(feedsAfterFirst).map((f) => f.query.variant));
      assert.deepEqual([...variants].sort(), ['home', 'home-heuristic']);
      const sessions = (from: number, to: number) => new Set(fake.feeds.slice(from, to).map((f) => f.query.session_id));
      const overlap = [...sessions(0, feedsAfterFirst)].filter((id) => sessions(feedsAfterFirst, fake.feeds.length).has(id));
      assert.deepEqual(overlap, [], 'phases use distinct session ids');
      assert.ok(lines.some((l) => l.startsWith('demo: collect: simulating')) && lines.some((l) => l.startsWith('demo: compare: simulating')));
      for (const phase of [first, second]) {
        const t = phase.stats.total;
        assert.ok(t.completes <= t.watched);
        assert.ok(t.completionRate >= 0 && t.completionRate <= 1);
        assert.ok(t.watchRatioSd > 0 && t.watchRatioSd < 0.5);
      }
    } finally {
      await fake.app.close();
    }
  });
});
