/**
 * The real engine, in process, driven in simulated time: `openEngine` on a fresh data directory (embedded log and
 * feature store), writes through the engine's ingest path (`LogIngestor`, the same code as POST /v1/events and PUT
 * /v1/items), reads through the feed pipeline (`runPipeline` over the engine's own pipeline specs, as
 * `FeedService.compute` does) with the request's `nowMs` set to the simulated clock.
 *
 * Protocol:
 * - `hold(items, events)` queues what happened; `advance(t)` makes visible what the policy's update mode allows at
 *   simulated time t (real-time: ts ≤ t; daily-batch: ts < the last midnight ≤ t), ingests it in time order (uploads
 *   before events at equal times), and waits for the stream processor to apply it (`processor.catchUp()`), so the
 *   next request reads features that reflect it.
 * - `serve(…, nowMs)` runs the pipeline with a deterministic request id (the exploration RNG is seeded by it), no
 *   deadlines (a timeout would depend on machine load, not on the policy), and without side effects (no serve log).
 *   The popular list (last-resort slate) is refreshed from the trending list at simulated time every 10 minutes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeedloopConfig } from '../config/config.js';
import type { Item, User, WireEvent } from '../domain/schemas.js';
import { openEngine, type Engine } from '../engine/engine.js';
import type { FeedContext } from '../pipeline/feed-context.js';
import type { PipelineSpec } from '../pipeline/home-feed.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import type { UpdateMode } from './policies.js';

const DAY_MS = 86_400_000;
const BATCH = 1000;
const POPULAR_REFRESH_SIM_MS = 600_000;
/** Long enough never to fire: the simulator refreshes the popular list itself, in simulated time. */
const NEVER_MS = 2_000_000_000;

/** The config of a simulated engine: `base` with what simulated time and a fresh data dir need. */
export function simulationConfig(base: FeedloopConfig, dataDir: string): FeedloopConfig {
  const cfg = structuredClone(base);
  cfg.data.dir = dataDir;
  cfg.log.partitions = Math.min(cfg.log.partitions, 4);
  cfg.log.durability = 'interval'; // nothing to recover: fsync per batch would only slow the run
  cfg.latency.sourcesMs = NEVER_MS;
  cfg.latency.rankingMs = NEVER_MS;
  cfg.latency.popularRefreshMs = NEVER_MS;
  // event ids are unique by construction; a 1M-id index would cost ~1 s per engine to checkpoint on close
  cfg.ingest.dedupCapacity = Math.min(cfg.ingest.dedupCapacity, 65_536);
  cfg.features.snapshotEveryRecords = Number.MAX_SAFE_INTEGER;
  cfg.features.snapshotIntervalMs = Number.MAX_SAFE_INTEGER;
  cfg.feed.hotCache.enabled = false;
  cfg.feed.serveLogCandidates = 'served';
  cfg.retrieval.enabled = false; // a fresh data dir has no trained model
  cfg.ranking.enabled = false;
  cfg.faults = [];
  return cfg;
}

/** One served page. */
export interface ServedPage {
  itemIds: string[];
  /** The response named a degraded component (a failed or late source, ranker, re-ranker or store read). */
  degraded: boolean;
}

interface Held {
  ts: number;
  seq: number;
  item?: Item;
  event?: WireEvent & { ts: number };
}

export class SimEngine {
  /** Events the ingestor rejected (should stay 0) and events accepted. */
  rejected = 0;
  accepted = 0;
  private pending: Held[] = [];
  private seq = 0;
  private bound = Number.NEGATIVE_INFINITY;
  private popularAtMs = Number.NEGATIVE_INFINITY;
  private readonly spec: PipelineSpec;

  private constructor(
    readonly engine: Engine,
    private readonly dataDir: string,
    variant: string,
    private readonly updates: UpdateMode,
    /** Start of simulated day 0 (midnights are startMs + k·day). */
    private readonly startMs: number,
  ) {
    const spec = engine.feed.pipelines[variant];
    if (!spec) throw new RangeError(`unknown feed variant ${variant}; expected one of ${engine.feed.variants().join(', ')}`);
    this.spec = spec;
  }

  /** Opens an engine on a new directory under `parentDir` (default: the OS temp dir); `close` removes it. */
  static async open(opts: { config: FeedloopConfig; variant: string; updates: UpdateMode; startMs: number; parentDir?: string }): Promise<SimEngine> {
    const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'feedloop-sim-'));
    try {
      const engine = await openEngine(simulationConfig(opts.config, dir), { logErrors: false, recentServeRecords: { maxBytes: 0 } });
      return new SimEngine(engine, dir, opts.variant, opts.updates, opts.startMs);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Uploads the catalog and profiles now (before the simulation; visible to every policy at once). */
  async load(items: Item[], users: User[]): Promise<void> {
    for (let k = 0; k < users.length; k += BATCH) await this.engine.ingestor.upsertUsers(users.slice(k, k + BATCH));
    for (let k = 0; k < items.length; k += BATCH) await this.engine.ingestor.upsertItems(items.slice(k, k + BATCH));
    await this.engine.processor.catchUp();
  }

  /** Ingests past events now (the warm-up history), in time order, with `nowMs` as server time. */
  async ingestNow(events: (WireEvent & { ts: number })[], nowMs: number): Promise<void> {
    const sorted = [...events].sort((a, b) => a.ts - b.ts);
    for (let k = 0; k < sorted.length; k += BATCH) await this.ingestBatch(sorted.slice(k, k + BATCH), nowMs);
    await this.engine.processor.catchUp();
  }

  /** Queues uploads (visible from their `created_at`) and events (from their `ts`) for `advance`. */
  hold(items: readonly Item[], events: readonly (WireEvent & { ts: number })[]): void {
    for (const item of items) this.pending.push({ ts: item.created_at, seq: this.seq++, item });
    for (const event of events) this.pending.push({ ts: event.ts, seq: this.seq++, event });
  }

  /** Held-back entries not yet visible to the engine. */
  get heldBack(): number {
    return this.pending.length;
  }

  /** Makes visible what the update mode allows at simulated time t, and applies it (see the module comment). */
  async advance(t: number): Promise<void> {
    const bound = this.updates === 'real-time' ? t : this.startMs + Math.floor((t - this.startMs) / DAY_MS) * DAY_MS;
    const inclusive = this.updates === 'real-time';
    if (bound > this.bound || (bound === this.bound && inclusive)) {
      this.bound = bound;
      const due: Held[] = [];
      const rest: Held[] = [];
      for (const h of this.pending) (h.ts < bound || (inclusive && h.ts === bound) ? due : rest).push(h);
      this.pending = rest;
      if (due.length > 0) {
        due.sort((a, b) => a.ts - b.ts || (a.item ? 0 : 1) - (b.item ? 0 : 1) || a.seq - b.seq);
        const items = due.flatMap((h) => (h.item ? [h.item] : []));
        const events = due.flatMap((h) => (h.event ? [h.event] : []));
        for (let k = 0; k < items.length; k += BATCH) await this.engine.ingestor.upsertItems(items.slice(k, k + BATCH));
        for (let k = 0; k < events.length; k += BATCH) await this.ingestBatch(events.slice(k, k + BATCH), Math.max(t, bound));
        await this.engine.processor.catchUp();
      }
    }
    if (t - this.popularAtMs >= POPULAR_REFRESH_SIM_MS) {
      this.engine.feed.popular.refresh(t);
      this.popularAtMs = t;
    }
  }

  /** One feed page for the user at simulated time `nowMs`; `exclude`: items never to propose (served earlier in the session). */
  async serve(req: { requestId: string; userId: string; sessionId: string; limit: number; nowMs: number; exclude?: ReadonlySet<string> }): Promise<ServedPage> {
    const ctx: FeedContext = {
      request: { requestId: req.requestId, userId: req.userId, sessionId: req.sessionId, limit: req.limit, nowMs: req.nowMs, variant: this.spec.name },
      store: this.engine.store,
      config: this.engine.config.feed,
      configVersion: this.engine.feed.configVersion,
      exclude: req.exclude,
    };
    const run = await runPipeline(this.spec, ctx, false, {}, { popular: this.engine.feed.popular, exploration: this.engine.config.exploration });
    const r = run.response;
    return { itemIds: r.items.map((x) => x.item_id), degraded: (r.degraded?.length ?? 0) > 0 };
  }

  async close(): Promise<void> {
    try {
      await this.engine.close();
    } finally {
      await rm(this.dataDir, { recursive: true, force: true });
    }
  }

  private async ingestBatch(events: (WireEvent & { ts: number })[], nowMs: number): Promise<void> {
    const res = await this.engine.ingestor.ingestEvents(events, nowMs);
    this.accepted += res.accepted;
    this.rejected += res.rejected.length;
  }
}
