/**
 * One policy in closed loop for N simulated days on a fresh engine and a fresh copy of the seeded demo world.
 *
 * Set-up (simulated time S = `startMs`): the world is generated with now = S (items spread over the 7 days before),
 * users and items are upserted, and a day of warm-up history (src/demo/demo.ts `warmupHistory`, timed in [S − 24 h, S))
 * is ingested and applied. Then, for each day d (00:00 = S + d·24 h):
 * 1. at midnight (d ≥ 1) every user's interests drift `driftStepsPerDay` steps (`World.drift`);
 * 2. `uploadsPerDay` uploads are scheduled at uniform times over the day, `sessionsPerDay` sessions at uniform start
 *    times, each for a user drawn by activity (Zipf);
 * 3. every action runs in simulated-time order (a heap): an upload creates the item (`World.newUpload(t)`) and queues
 *    it for the engine; a session's page request at t first lets the engine catch up (`SimEngine.advance(t)`: the
 *    policy's update mode decides what it sees), then serves a page with nowMs = t, excluding the items served earlier
 *    in the session. The user reaches the page's items in order and reacts (src/demo/user-model.ts `react`): an
 *    `impression` at the item's start, `view` (+ `complete`, `like`, `share`, `comment`, `follow`, `skip`, `hide`)
 *    at its end, 1 s of swiping between items. The session ends when the user model says so, after an empty page,
 *    after `maxPagesPerSession` pages, or at midnight; otherwise its next page is requested when the page is done.
 *
 * Everything random comes from streams seeded by (seed, day, session): every policy meets the same users at the
 * same times with the same reaction noise (common random numbers), so differences between policies are the
 * policies'. Request ids are deterministic, and so are exploration draws.
 */
import type { FeedloopConfig } from '../config/config.js';
import type { WireEvent } from '../domain/schemas.js';
import { warmupHistory } from '../demo/demo.js';
import { newSession, nextSession, react, type SessionState } from '../demo/user-model.js';
import { createWorld, type World } from '../demo/world.js';
import { mixSeed, mulberry32, WeightedSampler, type Rand } from '../util/prng.js';
import { PeriodStats, type PeriodMetrics } from './exposure-metrics.js';
import type { SimulationOptions } from './options.js';
import type { PolicySpec } from './policies.js';
import { SimEngine } from './sim-engine.js';
import { TimeQueue } from './time-queue.js';

const DAY_MS = 86_400_000;
const SWIPE_MS = 1000;
type TimedEvent = WireEvent & { ts: number };

/** A policy's results: one entry per simulated day, and the whole run. */
export interface PolicyRun {
  policy: string;
  variant: string;
  updates: PolicySpec['updates'];
  description: string;
  days: PeriodMetrics[];
  total: PeriodMetrics;
  /** Events accepted by the engine (warm-up included) and rejected (should be 0). */
  eventsAccepted: number;
  eventsRejected: number;
  /** Unknown item ids served (should be 0). */
  unknownItems: number;
  wallMs: number;
}

export interface PolicyRunEnv {
  config: FeedloopConfig;
  /** Parent of the engine's temporary data directory (default: the OS temp dir). */
  parentDir?: string;
  /** Awaited before each simulated day (e.g. to pause while the machine must be quiet). */
  between?: () => Promise<void>;
  log?: (line: string) => void;
}

interface Session {
  id: string;
  u: number;
  rand: Rand;
  state: SessionState;
  pages: number;
  impressions: number;
  events: number;
  served: Set<string>;
}

type Action = { kind: 'upload' } | { kind: 'page'; session: Session };

/** The world a run starts from (also what the tests build). */
export function simulationWorld(opts: SimulationOptions): World {
  return createWorld({
    seed: opts.seed,
    items: opts.items,
    users: opts.users,
    categories: opts.categories,
    authors: opts.authors,
    nowMs: opts.startMs,
    uploadCapacity: opts.uploadsPerDay * opts.days + 1,
  });
}

/** Runs `policy` for `opts.days` simulated days (see the module comment). */
export async function runPolicy(policy: PolicySpec, opts: SimulationOptions, env: PolicyRunEnv): Promise<PolicyRun> {
  const t0 = performance.now();
  const world = simulationWorld(opts);
  const sim = await SimEngine.open({ config: env.config, variant: policy.variant, updates: policy.updates, startMs: opts.startMs, parentDir: env.parentDir });
  try {
    await sim.load(
      Array.from({ length: world.itemCount }, (_, i) => world.itemRecord(i)),
      Array.from({ length: world.userCount }, (_, u) => world.userRecord(u)),
    );
    if (opts.warmupPerUser > 0) await sim.ingestNow(warmupHistory(world, opts.warmupPerUser, opts.seed, opts.startMs) as TimedEvent[], opts.startMs);

    const total = new PeriodStats(world, opts.minUserImpressions);
    const days: PeriodMetrics[] = [];
    const users = new WeightedSampler(world.userActivity);
    let unknownItems = 0;
    /** (user, item) pairs shown so far, as u · itemCapacity + i. */
    const shown = new Set<number>();
    for (let d = 0; d < opts.days; d++) {
      await env.between?.();
      const dayT0 = performance.now();
      const dayStart = opts.startMs + d * DAY_MS;
      const dayEnd = dayStart + DAY_MS;
      if (d > 0 && opts.driftStepsPerDay > 0) {
        const rand = mulberry32(mixSeed(opts.seed, 21, d));
        for (let u = 0; u < world.userCount; u++) for (let k = 0; k < opts.driftStepsPerDay; k++) world.drift(u, rand);
      }
      const queue = new TimeQueue<Action>();
      const uploadRand = mulberry32(mixSeed(opts.seed, 22, d));
      const uploadTimes = Array.from({ length: opts.uploadsPerDay }, () => dayStart + Math.floor(uploadRand() * DAY_MS)).sort((a, b) => a - b);
      for (const t of uploadTimes) queue.push(t, { kind: 'upload' });
      const sessionRand = mulberry32(mixSeed(opts.seed, 23, d));
      const starts = Array.from({ length: opts.sessionsPerDay }, () => ({ t: dayStart + Math.floor(sessionRand() * DAY_MS), u: users.sample(sessionRand) }));
      starts.sort((a, b) => a.t - b.t);
      starts.forEach(({ t, u }, k) => {
        const session: Session = { id: `d${d + 1}-s${k}`, u, rand: mulberry32(mixSeed(opts.seed, 24, d, k)), state: newSession(), pages: 0, impressions: 0, events: 0, served: new Set() };
        queue.push(t, { kind: 'page', session });
      });

      const stats = new PeriodStats(world, opts.minUserImpressions);
      for (let next = queue.pop(); next; next = queue.pop()) {
        const { t, value: action } = next;
        if (action.kind === 'upload') {
          const i = world.newUpload(t);
          if (i >= 0) sim.hold([world.itemRecord(i)], []);
          continue;
        }
        const s = action.session;
        await sim.advance(t);
        const page = await sim.serve({ requestId: `${policy.name}-${s.id}-p${s.pages}`, userId: world.userId(s.u), sessionId: s.id, limit: opts.pageSize, nowMs: t, exclude: s.served });
        s.pages++;
        for (const x of [stats, total]) {
          x.requests++;
          if (page.degraded) x.degradedRequests++;
        }
        const events: TimedEvent[] = [];
        let clock = t;
        let ended = page.itemIds.length === 0;
        for (let position = 0; position < page.itemIds.length && !ended; position++) {
          const itemId = page.itemIds[position];
          s.served.add(itemId);
          const i = world.itemIndex(itemId);
          if (i < 0) {
            unknownItems++;
            continue;
          }
          const r = react(world, s.u, i, position, s.state, s.rand);
          const user_id = world.userId(s.u);
          const id = () => `${s.id}-e${s.events++}`;
          const base = { user_id, session_id: s.id, item_id: itemId };
          events.push({ type: 'impression', id: id(), ...base, ts: clock, request_id: `${policy.name}-${s.id}-p${s.pages - 1}`, position });
          const ts = clock + r.watchMs;
          events.push({ type: 'view', id: id(), ...base, ts, watch_ms: r.watchMs });
          if (r.complete) events.push({ type: 'complete', id: id(), ...base, ts });
          if (r.like) events.push({ type: 'like', id: id(), ...base, ts });
          if (r.share) events.push({ type: 'share', id: id(), ...base, ts });
          if (r.comment) events.push({ type: 'comment', id: id(), ...base, ts });
          if (r.follow) events.push({ type: 'follow', id: id(), user_id, session_id: s.id, item_id: itemId, author_id: world.authorId(world.itemAuthor[i]), ts });
          if (r.skip) events.push({ type: 'skip', id: id(), ...base, ts, watch_ms: r.watchMs });
          if (r.hide) events.push({ type: 'hide', id: id(), ...base, ts, scope: r.hideScope });
          const pair = s.u * world.itemCapacity + i;
          const repeat = shown.has(pair);
          shown.add(pair);
          stats.impression(s.u, i, r, repeat);
          total.impression(s.u, i, r, repeat);
          s.impressions++;
          s.state = nextSession(s.state, world, i, r);
          clock = ts + SWIPE_MS;
          ended = r.endSession;
        }
        sim.hold([], events);
        if (ended || s.pages >= opts.maxPagesPerSession || clock >= dayEnd) {
          stats.session(s.impressions);
          total.session(s.impressions);
        } else queue.push(clock, { kind: 'page', session: s });
      }
      const m = stats.finish();
      days.push(m);
      env.log?.(
        `${policy.name} day ${d + 1}/${opts.days}: ${m.sessions} sessions, ${m.requests} pages, ${m.impressions} impressions, watch ratio ${m.watchRatio.toFixed(3)}, ` +
          `coverage ${(m.coverage * 100).toFixed(1)} %, top-category share ${m.topCategoryShare.toFixed(3)} (${((performance.now() - dayT0) / 1000).toFixed(1)} s)`,
      );
    }
    await sim.advance(opts.startMs + opts.days * DAY_MS);
    return {
      policy: policy.name,
      variant: policy.variant,
      updates: policy.updates,
      description: policy.description,
      days,
      total: total.finish(),
      eventsAccepted: sim.accepted,
      eventsRejected: sim.rejected,
      unknownItems,
      wallMs: performance.now() - t0,
    };
  } finally {
    await sim.close();
  }
}
