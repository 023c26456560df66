/**
 * A population of simulated users driving the real HTTP API: each open session asks GET /v1/feed page after page,
 * reports an `impression` per served item and its reactions (from the user model) as one POST /v1/events batch per
 * page, until the session ends. Users are drawn by activity; their experiment arm (the feed `variant`) is a stable
 * hash of the user id. Unknown feed items are skipped and HTTP errors counted; the loop keeps going.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FeedResponse } from '../domain/feed.js';
import type { WireEvent } from '../domain/schemas.js';
import { fnv1a, mixSeed, mulberry32, WeightedSampler } from '../util/prng.js';
import { ArmCounters, overAuthorCap, type ArmStats, type NewItemTracking, type SimulationStats } from './sim-stats.js';
import { newSession, nextSession, react } from './user-model.js';
import type { World } from './world.js';

export type { ArmStats, SimulationStats } from './sim-stats.js';

export interface SimulationOptions {
  /** Server URL without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  world: World;
  /** Sessions in flight at once. */
  concurrency?: number;
  /** Arm (feed variant) → share of users. */
  arms?: Record<string, number>;
  seed?: number;
  /** Stops the simulation (sessions end after their current request). */
  signal?: AbortSignal;
  /** Also stops after this long, ms (default: only the signal stops it). */
  durationMs?: number;
  onTick?: (stats: SimulationStats) => void;
  tickMs?: number;
  /** Items per feed page. */
  limit?: number;
  maxPagesPerSession?: number;
  /** Prefix of event and session ids; must differ between runs against one data directory. */
  runId?: string;
  requestTimeoutMs?: number;
  /** Pause of a session loop after a failed request, ms. */
  errorBackoffMs?: number;
  /** Feed requests the latency quantiles are taken over. */
  latencyWindow?: number;
  /** Watched items the recent watch ratio is taken over. */
  watchWindow?: number;
  /** Check every slate against this author cap (at most `max` items of one author in any `window` slots). */
  authorCap?: { max: number; window: number };
  /** Track new uploads: impressions within each one's first `windowMs`, reached when ≥ `minImpressions`. */
  newItems?: { windowMs: number; minImpressions: number };
}

/** Default arms: half the users on the home feed, half on trending alone. */
export const DEFAULT_ARMS: Readonly<Record<string, number>> = { home: 0.5, trending: 0.5 };

/** The arm of a user: FNV-1a of the id mapped to [0, 1) and cut by the cumulative arm shares (in key order). */
export function armFor(userId: string, arms: Record<string, number>): string {
  const names = Object.keys(arms).filter((k) => arms[k] > 0);
  if (names.length === 0) throw new RangeError('arms: at least one arm needs a positive share');
  const total = names.reduce((s, k) => s + arms[k], 0);
  const x = (fnv1a(userId) / 4294967296) * total;
  let acc = 0;
  for (const k of names) {
    acc += arms[k];
    if (x < acc) return k;
  }
  return names[names.length - 1];
}

/** An HTTP answer: the parsed JSON body (or the text when it is not JSON). */
export interface HttpAnswer {
  /** 0 for network errors and timeouts. */
  status: number;
  body: unknown;
}

/** The parts of a write answer (POST /v1/events, PUT /v1/items|users) the demo reads. */
export interface WriteAnswer {
  accepted?: number;
  rejected?: unknown[];
}

/** A JSON HTTP call that never throws. */
export async function requestJson(method: string, url: string, body?: unknown, timeoutMs = 10_000): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  } catch (err) {
    return { status: 0, body: { error: { code: 'network', message: err instanceof Error ? err.message : String(err) } } };
  }
}

/** Runs the simulated population until `signal` aborts (or `durationMs` passes); resolves with the final stats. */
export async function runSimulation(opts: SimulationOptions): Promise<SimulationStats> {
  const { baseUrl, world, signal } = opts;
  const concurrency = opts.concurrency ?? 16;
  const arms = opts.arms ?? { ...DEFAULT_ARMS };
  const seed = opts.seed ?? 1;
  const limit = opts.limit ?? 10;
  const maxPages = opts.maxPagesPerSession ?? 50;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const backoffMs = opts.errorBackoffMs ?? 100;
  const runId = opts.runId ?? `sim${seed}-${Date.now().toString(36)}`;
  armFor('probe', arms); // validates the arms
  const newCounters = () => new ArmCounters(world.itemCapacity, opts.latencyWindow ?? 2000, opts.watchWindow ?? 5000);
  const counters = new Map(Object.keys(arms).filter((k) => arms[k] > 0).map((k) => [k, newCounters()]));
  const total = newCounters();
  const userSampler = new WeightedSampler(world.userActivity);
  const startMs = performance.now();
  const tracking: NewItemTracking | undefined = opts.newItems && {
    firstNewItem: world.itemCount,
    windowMs: opts.newItems.windowMs,
    minImpressions: opts.newItems.minImpressions,
    createdAtMs: (i) => world.itemCreatedAtMs[i],
  };
  /** New items whose first window has ended by now (their reach is final). */
  const eligibleNewItems = (): number[] => {
    if (!tracking) return [];
    const out: number[] = [];
    const now = Date.now();
    for (let i = tracking.firstNewItem; i < world.itemCount; i++) if (world.itemCreatedAtMs[i] + tracking.windowMs <= now) out.push(i);
    return out;
  };
  const stopped = () => signal?.aborted === true || (opts.durationMs !== undefined && performance.now() - startMs >= opts.durationMs);

  let last = { ms: startMs, requests: 0, events: 0 };
  const snapshot = (sinceStart: boolean): SimulationStats => {
    const now = performance.now();
    const catalogSize = world.itemCount;
    const eligible = eligibleNewItems();
    const minImpressions = tracking?.minImpressions ?? 0;
    const t = total.snapshot(catalogSize, eligible, minImpressions);
    const from = sinceStart ? { ms: startMs, requests: 0, events: 0 } : last;
    const sec = Math.max(1e-3, (now - from.ms) / 1000);
    last = { ms: now, requests: t.requests, events: t.events };
    const perArm: Record<string, ArmStats> = {};
    for (const [k, c] of counters) perArm[k] = c.snapshot(catalogSize, eligible, minImpressions);
    return {
      elapsedMs: now - startMs,
      catalogSize,
      requestsPerSec: (t.requests - from.requests) / sec,
      eventsPerSec: (t.events - from.events) / sec,
      total: t,
      arms: perArm,
    };
  };
  const timer = opts.onTick ? setInterval(() => opts.onTick?.(snapshot(false)), opts.tickMs ?? 1000) : undefined;

  let sessionSeq = 0;
  const sessionLoop = async (slot: number): Promise<void> => {
    const rand = mulberry32(mixSeed(seed, 100 + slot));
    let eventSeq = 0;
    const nextId = () => `${runId}-${slot}-${eventSeq++}`;
    while (!stopped()) {
      const u = userSampler.sample(rand);
      const userId = world.userId(u);
      const arm = armFor(userId, arms);
      const c = counters.get(arm) as ArmCounters;
      const both = [c, total];
      const sessionId = `${runId}-s${sessionSeq++}`;
      for (const x of both) x.sessions++;
      let session = newSession();
      let ended = false;
      for (let page = 0; page < maxPages && !ended && !stopped(); page++) {
        const q = new URLSearchParams({ user_id: userId, limit: String(limit), session_id: sessionId, variant: arm });
        const t0 = performance.now();
        const res = await requestJson('GET', `${baseUrl}/v1/feed?${q}`, undefined, timeoutMs);
        if (res.status !== 200) {
          for (const x of both) x.errors++;
          await sleep(backoffMs);
          break;
        }
        const latencyMs = performance.now() - t0;
        for (const x of both) {
          x.requests++;
          x.recordLatency(latencyMs);
        }
        const feed = res.body as Partial<FeedResponse> | undefined;
        const requestId = typeof feed?.request_id === 'string' && feed.request_id.length > 0 ? feed.request_id : undefined;
        const served = Array.isArray(feed?.items) ? feed.items : [];
        const events: WireEvent[] = [];
        const shown: { i: number; position: number; itemId: string }[] = [];
        served.forEach((it, k) => {
          const itemId = typeof it?.item_id === 'string' ? it.item_id : '';
          const i = world.itemIndex(itemId);
          if (i < 0) {
            for (const x of both) x.unknownItems++;
            return;
          }
          const position = Number.isInteger(it.position) && it.position >= 0 && it.position <= 10_000 ? it.position : k;
          if (requestId !== undefined) {
            events.push({ type: 'impression', id: nextId(), user_id: userId, session_id: sessionId, item_id: itemId, request_id: requestId, position });
          }
          const nowMs = Date.now();
          for (const x of both) {
            x.recordImpression(i);
            if (tracking) x.recordNewItemImpression(i, nowMs, tracking);
          }
          shown.push({ i, position, itemId });
        });
        if (opts.authorCap && shown.length > 0) {
          const authors = [...shown].sort((a, b) => a.position - b.position).map((x) => world.itemAuthor[x.i]);
          const over = overAuthorCap(authors, opts.authorCap.max, opts.authorCap.window);
          for (const x of both) {
            x.slates++;
            if (over) x.slatesOverAuthorCap++;
          }
        }
        for (const { i, position, itemId } of shown) {
          const r = react(world, u, i, position, session, rand);
          const base = { user_id: userId, session_id: sessionId, item_id: itemId };
          events.push({ type: 'view', id: nextId(), ...base, watch_ms: r.watchMs });
          if (r.complete) events.push({ type: 'complete', id: nextId(), ...base });
          if (r.like) events.push({ type: 'like', id: nextId(), ...base });
          if (r.share) events.push({ type: 'share', id: nextId(), ...base });
          if (r.comment) events.push({ type: 'comment', id: nextId(), ...base });
          if (r.follow) events.push({ type: 'follow', id: nextId(), ...base, author_id: world.authorId(world.itemAuthor[i]) });
          if (r.skip) events.push({ type: 'skip', id: nextId(), ...base, watch_ms: r.watchMs });
          if (r.hide) events.push({ type: 'hide', id: nextId(), ...base, scope: r.hideScope });
          for (const x of both) {
            x.recordWatch(r.watchRatio, r.complete);
            if (r.like) x.likes++;
          }
          session = nextSession(session, world, i, r);
          if (r.endSession) {
            ended = true;
            break;
          }
        }
        if (shown.length === 0) ended = true;
        for (let from = 0; from < events.length; from += 1000) {
          const batch = events.slice(from, from + 1000);
          const posted = await requestJson('POST', `${baseUrl}/v1/events`, { events: batch }, timeoutMs);
          if (posted.status !== 200) {
            for (const x of both) x.errors++;
            await sleep(backoffMs);
            continue;
          }
          const rejected = (posted.body as WriteAnswer | undefined)?.rejected?.length ?? 0;
          for (const x of both) {
            x.events += batch.length - rejected;
            x.rejectedEvents += rejected;
          }
        }
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, (_, slot) => sessionLoop(slot)));
  } finally {
    if (timer) clearInterval(timer);
  }
  return snapshot(true);
}
