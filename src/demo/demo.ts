/**
 * `feedloop demo` minus the server: uploads the synthetic world through the HTTP API, seeds a day of history, runs
 * the simulated population in a worker thread, uploads a new item every second, drifts interests, and prints a live
 * line until the signal aborts. The caller (the CLI) opens the engine and starts the HTTP server.
 *
 * `runDemo` = `setupDemo` (world + history, once) + one `runPhase`; the ranker comparison (compare-rankers.ts) runs
 * several phases with different arms on one set-up demo.
 */
import { Worker } from 'node:worker_threads';
import type { Item, User, WireEvent } from '../domain/schemas.js';
import { mixSeed, mulberry32 } from '../util/prng.js';
import type { SimulatorStopMessage, SimulatorWorkerData, SimulatorWorkerMessage } from './simulator-worker.js';
import { DEFAULT_ARMS, requestJson, runSimulation, type SimulationOptions, type SimulationStats, type WriteAnswer } from './simulator.js';
import { newSession, nextSession, react } from './user-model.js';
import type { World } from './world.js';

export interface DemoOptions {
  /** Server URL without a trailing slash. */
  baseUrl: string;
  world: World;
  /** Aborting ends the demo (runDemo then resolves with the final stats). */
  signal: AbortSignal;
  seed?: number;
  /** Simulated sessions in flight. */
  concurrency?: number;
  /** Feed variant → share of users; default home 0.5, trending 0.5. */
  arms?: Record<string, number>;
  /** Past interactions per user posted before the simulation (0: none). */
  warmupPerUser?: number;
  /** ms between new uploads (0: none). */
  uploadIntervalMs?: number;
  /** Users drifted per second (default: userCount / 50, so each user drifts about every 50 s). */
  driftUsersPerSec?: number;
  printIntervalMs?: number;
  /** Run the simulated users in a worker thread (default) or in this thread. */
  useWorker?: boolean;
  /** Requests in flight while uploading the world and the history. */
  uploadConcurrency?: number;
  log?: (line: string) => void;
}

export interface DemoResult {
  stats: SimulationStats;
  /** Items uploaded while the simulation ran. */
  uploads: number;
  warmupEvents: number;
  /** Failed PUTs of new uploads. */
  uploadErrors: number;
}

const BATCH = 1000;
/** How long a stopped simulator worker may take to report its final stats before it is terminated, ms. */
const STOP_GRACE_MS = 15_000;

/** What stays fixed across the phases of one demo: the server, the world, the pace of uploads and drift. */
export type DemoSetupOptions = Omit<DemoOptions, 'arms'>;

/** One simulation phase of a set-up demo. */
export interface DemoPhaseOptions {
  /** Feed variant → share of users. */
  arms: Record<string, number>;
  /** Aborting ends the phase (runPhase then resolves with the phase's final stats). */
  signal: AbortSignal;
  /** Prefix of the phase's log lines, e.g. `collect`. */
  name?: string;
  /** How the phase ends, for the start line (default `running until stopped`). */
  until?: string;
  /** Extra measurements of the simulated users: author-cap checks, new-item reach. */
  track?: Pick<SimulationOptions, 'authorCap' | 'newItems'>;
}

/** Stats of one phase only (counters start at zero in every phase). */
export interface DemoPhaseResult {
  stats: SimulationStats;
  /** Items uploaded while the phase ran. */
  uploads: number;
  /** Failed PUTs of new uploads. */
  uploadErrors: number;
}

/** A demo whose world and history are uploaded; phases run one after another (never two at once). */
export interface DemoSession {
  warmupEvents: number;
  /**
   * Simulates users on `arms` until the phase's signal aborts, with new uploads and interest drift while it runs (the
   * world stands still between phases). Phase k > 0 draws users and reactions from a seed derived from (seed, k).
   */
  runPhase(phase: DemoPhaseOptions): Promise<DemoPhaseResult>;
}

/** Runs the demo against a running server until `signal` aborts. */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const demo = await setupDemo(opts);
  const phase = await demo.runPhase({ arms: opts.arms ?? { ...DEFAULT_ARMS }, signal: opts.signal });
  for (const line of formatSummary(phase.stats)) log(line);
  return { ...phase, warmupEvents: demo.warmupEvents };
}

/** Uploads the world's users and items and (unless `warmupPerUser` is 0) a day of history; `signal` stops uploading. */
export async function setupDemo(opts: DemoSetupOptions): Promise<DemoSession> {
  const { baseUrl, world, signal } = opts;
  const log = opts.log ?? ((line: string) => console.log(line));
  const seed = opts.seed ?? world.seed;
  const inFlight = opts.uploadConcurrency ?? 4;

  const nUsers = world.userCount;
  const nItems = world.itemCount;
  log(`demo: uploading ${nUsers} users and ${nItems} items to ${baseUrl}`);
  const users = chunks(nUsers, (u) => world.userRecord(u));
  const items = chunks(nItems, (i) => world.itemRecord(i));
  await pool(users.length + items.length, inFlight, signal, async (k) => {
    if (k < users.length) await put(`${baseUrl}/v1/users`, { users: users[k] });
    else await put(`${baseUrl}/v1/items`, { items: items[k - users.length] });
    if (k % 20 === 19) log(`demo: uploaded ${k + 1}/${users.length + items.length} batches`);
  });

  let warmupEvents = 0;
  if ((opts.warmupPerUser ?? 5) > 0 && !signal.aborted) {
    const history = warmupHistory(world, opts.warmupPerUser ?? 5, seed, Date.now());
    log(`demo: posting ${history.length} past interactions (a day of history)`);
    const batches = chunks(history.length, (k) => history[k]);
    await pool(batches.length, inFlight, signal, async (b) => {
      const r = await requestJson('POST', `${baseUrl}/v1/events`, { events: batches[b] });
      if (r.status !== 200) throw new Error(`demo: POST /v1/events answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      warmupEvents += batches[b].length - ((r.body as WriteAnswer).rejected?.length ?? 0);
    });
  }

  const driftRand = mulberry32(mixSeed(seed, 11));
  let phases = 0;
  const runPhase = async (phase: DemoPhaseOptions): Promise<DemoPhaseResult> => {
    const k = phases++;
    const prefix = phase.name ? `demo: ${phase.name}: ` : 'demo: ';
    // new uploads and drift, in this thread (the only writer of the shared world)
    let uploads = 0;
    let uploadErrors = 0;
    const pending = new Set<Promise<void>>();
    const uploadMs = opts.uploadIntervalMs ?? 1000;
    const tickMs = uploadMs > 0 ? uploadMs : 1000;
    const driftPerTick = ((opts.driftUsersPerSec ?? nUsers / 50) * tickMs) / 1000;
    let driftCarry = 0;
    let capacityLogged = false;
    const worldTimer = setInterval(() => {
      if (uploadMs > 0) {
        const i = world.newUpload(Date.now());
        if (i >= 0) {
          const p = requestJson('PUT', `${baseUrl}/v1/items`, { items: [world.itemRecord(i)] }).then((r) => {
            if (r.status === 200 && (r.body as WriteAnswer).accepted === 1) uploads++;
            else uploadErrors++;
            pending.delete(p);
          });
          pending.add(p);
        } else if (!capacityLogged) {
          capacityLogged = true;
          log(`${prefix}upload capacity of the world (${world.itemCapacity} items) reached; no more new uploads`);
        }
      }
      driftCarry += driftPerTick;
      for (; driftCarry >= 1; driftCarry--) world.drift(Math.floor(driftRand() * nUsers), driftRand);
    }, tickMs);

    const simOptions = {
      baseUrl,
      concurrency: opts.concurrency ?? 16,
      arms: phase.arms,
      seed: k === 0 ? seed : mixSeed(seed, 1000 + k),
      tickMs: opts.printIntervalMs ?? 2000,
      ...phase.track,
    };
    const onTick = (s: SimulationStats) => log(formatLiveLine(s));
    log(`${prefix}simulating ${simOptions.concurrency} concurrent sessions, arms ${JSON.stringify(simOptions.arms)}; ${phase.until ?? 'running until stopped'}`);
    let stats: SimulationStats;
    try {
      stats =
        opts.useWorker === false || phase.signal.aborted
          ? await runSimulation({ ...simOptions, world, signal: phase.signal, onTick })
          : await runInWorker(world, simOptions, phase.signal, onTick);
    } finally {
      clearInterval(worldTimer);
      await Promise.all(pending);
    }
    return { stats, uploads, uploadErrors };
  };
  return { warmupEvents, runPhase };
}

/** The live line: `t=60s | 180 req/s | 2400 ev/s | feed p99 6.1 ms | watch ratio home 0.52 vs trending 0.41 | coverage 8.3% | errors 0`. */
export function formatLiveLine(s: SimulationStats): string {
  const ratios = Object.entries(s.arms).map(([arm, a]) => `${arm} ${fmt(a.recentWatchRatio, 2)}`);
  return [
    `t=${Math.round(s.elapsedMs / 1000)}s`,
    `${Math.round(s.requestsPerSec)} req/s`,
    `${Math.round(s.eventsPerSec)} ev/s`,
    `feed p99 ${fmt(s.total.feedP99Ms, 1)} ms`,
    `watch ratio ${ratios.join(' vs ')}`,
    `coverage ${fmt(s.total.coverage * 100, 1)}%`,
    `errors ${s.total.errors + s.total.rejectedEvents}`,
  ].join(' | ');
}

/** The final report: per arm, mean watch ratio (all and recent), likes per impression, coverage, sessions. */
export function formatSummary(s: SimulationStats): string[] {
  const lines = [`demo: stopped after ${Math.round(s.elapsedMs / 1000)}s: ${s.total.requests} feed requests, ${s.total.events} events, ${s.total.errors} errors`];
  for (const [arm, a] of Object.entries(s.arms)) {
    lines.push(
      `  ${arm.padEnd(10)} watch ratio ${fmt(a.meanWatchRatio, 3)} (recent ${fmt(a.recentWatchRatio, 3)}) over ${a.watched} watched | ` +
        `likes/impression ${fmt(a.likesPerImpression, 4)} | coverage ${fmt(a.coverage * 100, 1)}% | feed p50/p99 ${fmt(a.feedP50Ms, 1)}/${fmt(a.feedP99Ms, 1)} ms | ${a.sessions} sessions`,
    );
  }
  const home = s.arms.home;
  const trending = s.arms.trending;
  if (home && trending && trending.meanWatchRatio > 0) {
    const lift = (home.meanWatchRatio / trending.meanWatchRatio - 1) * 100;
    lines.push(`  home vs trending: watch ratio ${fmt(home.meanWatchRatio, 3)} vs ${fmt(trending.meanWatchRatio, 3)} (${lift >= 0 ? '+' : ''}${fmt(lift, 1)}%)`);
  }
  return lines;
}

/**
 * A day of plausible history: for each user, `perUser` interactions (in time order, a few minutes apart, within the
 * last 24 h) with popular items of the user's interest categories, reactions drawn from the user model. Event ids
 * are derived from (seed, user, step), so posting the history twice counts duplicates.
 */
export function warmupHistory(world: World, perUser: number, seed: number, nowMs: number): WireEvent[] {
  const rand = mulberry32(mixSeed(seed, 7));
  const { offsets, items } = world.itemsByCategory();
  const weights = [1, 0.6, 0.35];
  const out: WireEvent[] = [];
  for (let u = 0; u < world.userCount; u++) {
    const user_id = world.userId(u);
    const session_id = `warm-${seed}-${u}`;
    let ts = nowMs - 86_400_000 + Math.floor(rand() * 72_000_000);
    let session = newSession();
    let sum = 0;
    for (let j = 0; j < 3; j++) if (world.userCategories[u * 3 + j] >= 0) sum += weights[j];
    for (let k = 0; k < perUser; k++) {
      let x = rand() * sum;
      let j = 0;
      while (j < 2 && world.userCategories[u * 3 + j + 1] >= 0 && x >= weights[j]) x -= weights[j++];
      const cat = world.userCategories[u * 3 + j];
      const n = offsets[cat + 1] - offsets[cat];
      ts += 30_000 + Math.floor(rand() * 300_000);
      if (n === 0) continue;
      const i = items[offsets[cat] + Math.floor(Math.min(n, 200) * rand() * rand())];
      if (world.itemCreatedAtMs[i] > ts) continue;
      const r = react(world, u, i, 0, session, rand);
      session = nextSession(session, world, i, r);
      const base = { user_id, session_id, item_id: world.itemId(i), ts };
      const id = (t: string) => `warm-${seed}-${u}-${k}-${t}`;
      out.push({ type: 'view', id: id('v'), ...base, watch_ms: r.watchMs });
      if (r.complete) out.push({ type: 'complete', id: id('c'), ...base });
      if (r.like) out.push({ type: 'like', id: id('l'), ...base });
      if (r.share) out.push({ type: 'share', id: id('s'), ...base });
      if (r.follow) out.push({ type: 'follow', id: id('f'), ...base, author_id: world.authorId(world.itemAuthor[i]) });
      if (r.skip) out.push({ type: 'skip', id: id('k'), ...base, watch_ms: r.watchMs });
    }
  }
  return out;
}

type WorkerSimOptions = Omit<SimulationOptions, 'world' | 'signal' | 'onTick'>;

/** Runs `runSimulation` in `simulator-worker.js`; resolves with the final stats after the signal aborts. */
function runInWorker(world: World, options: WorkerSimOptions, signal: AbortSignal, onTick: (s: SimulationStats) => void): Promise<SimulationStats> {
  const data: SimulatorWorkerData = { world: world.handle(), options };
  const worker = new Worker(new URL('./simulator-worker.js', import.meta.url), { workerData: data });
  return new Promise<SimulationStats>((resolve, reject) => {
    let settled = false;
    let last: SimulationStats | undefined;
    let stopTimer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, stats?: SimulationStats) => {
      if (settled) return;
      settled = true;
      clearTimeout(stopTimer);
      signal.removeEventListener('abort', stop);
      void worker.terminate();
      if (err) reject(err);
      else resolve(stats as SimulationStats);
    };
    const stop = () => {
      worker.postMessage({ type: 'stop' } satisfies SimulatorStopMessage);
      // sessions stop after their current request; do not wait forever for a hung server
      stopTimer = setTimeout(() => (last ? finish(null, last) : finish(new Error('simulator worker did not stop'))), STOP_GRACE_MS);
    };
    worker.on('message', (m: SimulatorWorkerMessage) => {
      if (m.type === 'tick') {
        last = m.stats;
        onTick(m.stats);
      }
      else if (m.type === 'done') finish(null, m.stats);
      else finish(new Error(`simulator worker failed: ${m.message}`));
    });
    worker.on('error', (err) => finish(err));
    worker.on('exit', (code) => finish(new Error(`simulator worker exited with code ${code}`)));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

async function put(url: string, body: { users: User[] } | { items: Item[] }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await requestJson('PUT', url, body);
    if (r.status === 200) {
      const rejected = (r.body as WriteAnswer).rejected ?? [];
      if (rejected.length > 0) throw new Error(`demo: ${url} rejected ${JSON.stringify(rejected.slice(0, 3))}`);
      return;
    }
    if (attempt >= 3 || (r.status >= 400 && r.status < 500)) {
      throw new Error(`demo: PUT ${url} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    await new Promise((res) => setTimeout(res, 200 * attempt));
  }
}

/** Runs task(0..n−1) with at most `width` in flight; stops starting new ones once the signal aborts. */
async function pool(n: number, width: number, signal: AbortSignal, task: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n && !signal.aborted) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, width) }, lane));
}

/** make(0..n−1) in arrays of at most 1000. */
function chunks<T>(n: number, make: (k: number) => T): T[][] {
  const out: T[][] = [];
  for (let from = 0; from < n; from += BATCH) out.push(Array.from({ length: Math.min(BATCH, n - from) }, (_, k) => make(from + k)));
  return out;
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}
