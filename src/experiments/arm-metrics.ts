/**
 * Per-arm metrics, kept as per-user sums so that results can use the user as the unit of analysis.
 *
 * Sources: every event the stream processor applies (`onEntries`, wired to its `appliedEntries` hook) and every
 * served feed request (`onServed`, from the feed service). An event joins its arm through the user id: assignment
 * is deterministic (assignment.ts), so no table of users is needed. Only running experiments and events timed at or
 * after the experiment's `created_at` count. Per user and experiment (columns of a Float64Array slab, one row per
 * user, cumulative since the start): impressions, views, Σ watch ratio (min(1, watch_ms / item duration), views of
 * items with a known duration), completes, likes, shares, hides, sessions (a new `session_id`, or a gap over
 * `features.sessionGapMs` without one), Σ session time (gaps between consecutive events of a session), feed requests
 * and active days (UTC days with a request). Per arm: event counts by type, requests and a log-bucket latency
 * histogram (p99). Live in /metrics as `feedloop_experiment_*`.
 *
 * Durability: `serialize`/`restore` make it a snapshot sidecar of the feature store, written atomically with the
 * log positions it reflects; after a restart the log replay adds the events after them, so event-based metrics are
 * restored exactly. Request counts and latencies are served-path state: those of the time between the last snapshot
 * and a crash are lost, and `feedloop replay` (snapshot dropped) rebuilds the event metrics only.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { EVENT_TYPES, type EventType, type StoredEvent } from '../domain/schemas.js';
import type { LogEntry } from '../log/log-entry.js';
import { armName, type Assigner, type Membership } from './assignment.js';
import type { Experiment } from './experiment.js';

/** Columns of a user's row. */
export const COL = { impressions: 0, views: 1, watchSum: 2, viewsTimed: 3, completes: 4, likes: 5, shares: 6, hides: 7, sessions: 8, sessionMs: 9, lastTs: 10, requests: 11, activeDays: 12, lastDay: 13 } as const;
/** Columns per user row. */
export const ROW_WIDTH = 14;
const K = ROW_WIDTH;
const TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));
const EVENT_COL: Partial<Record<EventType, number>> = { impression: COL.impressions, complete: COL.completes, like: COL.likes, share: COL.shares, hide: COL.hides };
/** Latency histogram: bucket k holds (0.01 ms × 1.08^(k−1), 0.01 ms × 1.08^k]. */
const LAT_BUCKETS = 220;
const LAT_BASE_MS = 0.01;
const LAT_GROWTH = 1.08;
const DAY_MS = 86_400_000;

/** One experiment's per-user slab and per-arm counters. `arms` = experiment arms + 1 (holdout, last). */
export class ExperimentStats {
  readonly rows = new Map<string, number>();
  readonly userIds: string[] = [];
  readonly sessionKeys: string[] = [];
  armOf = new Uint8Array(64);
  data = new Float64Array(64 * K);
  readonly armUsers: Float64Array;
  readonly armEvents: Float64Array;
  readonly armRequests: Float64Array;
  readonly latency: Float64Array;

  constructor(
    readonly id: string,
    readonly arms: number,
  ) {
    this.armUsers = new Float64Array(arms);
    this.armEvents = new Float64Array(arms * EVENT_TYPES.length);
    this.armRequests = new Float64Array(arms);
    this.latency = new Float64Array(arms * LAT_BUCKETS);
  }

  get size(): number {
    return this.userIds.length;
  }

  /** The user's row (created on first sight, in `arm`). */
  row(userId: string, arm: number): number {
    let r = this.rows.get(userId);
    if (r !== undefined) return r;
    r = this.userIds.length;
    if (r >= this.armOf.length) {
      const armOf = new Uint8Array(this.armOf.length * 2);
      armOf.set(this.armOf);
      this.armOf = armOf;
      const data = new Float64Array(this.data.length * 2);
      data.set(this.data);
      this.data = data;
    }
    this.rows.set(userId, r);
    this.userIds.push(userId);
    this.sessionKeys.push('');
    this.armOf[r] = arm;
    this.armUsers[arm]++;
    return r;
  }

  /** The arm's feed latency p99 (ms, the upper edge of its bucket); NaN without requests. */
  latencyQuantile(arm: number, q: number): number {
    const h = this.latency.subarray(arm * LAT_BUCKETS, (arm + 1) * LAT_BUCKETS);
    const n = h.reduce((s, x) => s + x, 0);
    if (n === 0) return Number.NaN;
    let cum = 0;
    for (let k = 0; k < LAT_BUCKETS; k++) {
      cum += h[k];
      if (cum >= q * n) return LAT_BASE_MS * LAT_GROWTH ** k;
    }
    return LAT_BASE_MS * LAT_GROWTH ** (LAT_BUCKETS - 1);
  }
}

export interface ArmMetricsOptions {
  /** The running experiments (read at every call: the store replaces it on change). */
  assigner: () => Assigner;
  /** Inactivity that ends a session without `session_id`, ms (config `features.sessionGapMs`). */
  sessionGapMs: number;
  /** An item's duration in ms (0 or undefined: unknown), e.g. from the feature store; cached here. */
  durationOf: (itemId: string) => number | undefined;
  /** An experiment by id (arm names for /metrics). */
  experiment: (id: string) => Experiment | undefined;
  /** Registers the live `feedloop_experiment_*` metrics here. */
  registry?: Registry;
}

export class ArmMetrics {
  private readonly byId = new Map<string, ExperimentStats>();
  private readonly durations = new Map<string, number>();
  private readonly latencyHistogram: Histogram | undefined;

  constructor(private readonly opts: ArmMetricsOptions) {
    if (opts.registry) this.latencyHistogram = this.registerMetrics(opts.registry);
  }

  /** The stats of an experiment, when anything was recorded for it. */
  stats(id: string): ExperimentStats | undefined {
    return this.byId.get(id);
  }

  /** Applied log entries, in log order. Never throws (the processor's observer contract). */
  onEntries(entries: readonly LogEntry[]): void {
    const assigner = this.opts.assigner();
    for (const entry of entries) {
      if (entry.kind === 'item') this.durations.set(entry.item.id, entry.item.duration_ms ?? 0);
      if (entry.kind !== 'event' || assigner.empty) continue;
      const ev = entry.event;
      const members = assigner.assign(ev.user_id);
      for (const m of members) {
        const e = m.compiled.experiment;
        if (ev.ts < e.created_at) continue;
        const s = this.statsFor(e);
        const r = s.row(ev.user_id, m.arm);
        this.apply(s, r, ev);
      }
    }
  }

  /** A served feed request of a user in experiments (`ms`: time in the feed service). */
  onServed(members: readonly Membership[], userId: string, ms: number, nowMs: number): void {
    const day = Math.floor(nowMs / DAY_MS);
    const k = Math.min(LAT_BUCKETS - 1, Math.max(0, Math.ceil(Math.log(Math.max(ms, 1e-9) / LAT_BASE_MS) / Math.log(LAT_GROWTH))));
    for (const m of members) {
      const e = m.compiled.experiment;
      const s = this.statsFor(e);
      const at = s.row(userId, m.arm) * K;
      const d = s.data;
      d[at + COL.requests]++;
      if (d[at + COL.activeDays] === 0 || d[at + COL.lastDay] !== day) {
        d[at + COL.activeDays]++;
        d[at + COL.lastDay] = day;
      }
      s.armRequests[m.arm]++;
      s.latency[m.arm * LAT_BUCKETS + k]++;
      this.latencyHistogram?.observe({ experiment: e.id, arm: armName(e, m.arm) }, ms / 1000);
    }
  }

  private statsFor(e: Experiment): ExperimentStats {
    let s = this.byId.get(e.id);
    if (!s || s.arms !== e.arms.length + 1) {
      s = new ExperimentStats(e.id, e.arms.length + 1);
      this.byId.set(e.id, s);
    }
    return s;
  }

  private apply(s: ExperimentStats, r: number, ev: StoredEvent): void {
    const d = s.data;
    const at = r * K;
    s.armEvents[s.armOf[r] * EVENT_TYPES.length + (TYPE_INDEX.get(ev.type) ?? 0)]++;
    const col = EVENT_COL[ev.type];
    if (col !== undefined) d[at + col]++;
    if (ev.type === 'view') {
      d[at + COL.views]++;
      const dur = this.duration(ev.item_id);
      if (dur > 0) {
        d[at + COL.watchSum] += Math.min(1, ev.watch_ms / dur);
        d[at + COL.viewsTimed]++;
      }
    }
    const key = ev.session_id ?? '';
    const last = d[at + COL.lastTs];
    const newSession = d[at + COL.sessions] === 0 || (key !== '' ? key !== s.sessionKeys[r] : ev.ts - last > this.opts.sessionGapMs);
    if (newSession) {
      d[at + COL.sessions]++;
      s.sessionKeys[r] = key;
    } else d[at + COL.sessionMs] += Math.max(0, ev.ts - last);
    d[at + COL.lastTs] = Math.max(last, ev.ts);
  }

  private duration(itemId: string): number {
    let d = this.durations.get(itemId);
    if (d === undefined) {
      try {
        d = this.opts.durationOf(itemId) ?? 0;
      } catch {
        d = 0; // the store could not answer: the view counts without a watch ratio
      }
      if (this.durations.size >= 500_000) this.durations.clear();
      this.durations.set(itemId, d);
    }
    return d;
  }

  /** The state as bytes (a feature-store snapshot sidecar). */
  serialize(): Uint8Array {
    const b64 = (a: Float64Array | Uint8Array, n: number) => Buffer.from(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT).toString('base64');
    const experiments = [...this.byId.values()].map((s) => ({
      id: s.id,
      arms: s.arms,
      users: s.userIds,
      sessionKeys: s.sessionKeys,
      armOf: b64(s.armOf, s.size),
      data: b64(s.data, s.size * K),
      armEvents: b64(s.armEvents, s.armEvents.length),
      armRequests: b64(s.armRequests, s.armRequests.length),
      latency: b64(s.latency, s.latency.length),
    }));
    return Buffer.from(JSON.stringify({ version: 1, columns: K, experiments }));
  }

  /** Replaces the state with a `serialize` result. */
  restore(bytes: Uint8Array): void {
    const o = JSON.parse(Buffer.from(bytes).toString('utf8'));
    this.byId.clear();
    if (o.version !== 1 || o.columns !== K) return;
    const f64 = (s: string) => {
      const b = Buffer.from(s, 'base64');
      const out = new Float64Array(b.byteLength / 8);
      new Uint8Array(out.buffer).set(b);
      return out;
    };
    for (const x of o.experiments) {
      const s = new ExperimentStats(x.id, x.arms);
      const armOf = Buffer.from(x.armOf, 'base64');
      const data = f64(x.data);
      (x.users as string[]).forEach((u, i) => {
        s.row(u, armOf[i]);
        s.sessionKeys[i] = x.sessionKeys[i];
      });
      s.data.set(data);
      s.armEvents.set(f64(x.armEvents));
      s.armRequests.set(f64(x.armRequests));
      s.latency.set(f64(x.latency));
      this.byId.set(s.id, s);
    }
  }

  private registerMetrics(registry: Registry): Histogram {
    const each = (fn: (s: ExperimentStats, arm: string, a: number) => void) => {
      for (const s of this.byId.values()) {
        const e = this.opts.experiment(s.id);
        for (let a = 0; a < s.arms; a++) fn(s, e ? armName(e, a) : String(a), a);
      }
    };
    new Gauge({
      name: 'feedloop_experiment_users',
      help: 'Users seen (an event or a feed request) per running experiment and arm.',
      labelNames: ['experiment', 'arm'],
      registers: [registry],
      collect() {
        this.reset();
        each((s, arm, a) => this.set({ experiment: s.id, arm }, s.armUsers[a]));
      },
    });
    new Counter({
      name: 'feedloop_experiment_events_total',
      help: 'Events of users in a running experiment, by experiment, arm and event type.',
      labelNames: ['experiment', 'arm', 'type'],
      registers: [registry],
      collect() {
        this.reset();
        each((s, arm, a) => EVENT_TYPES.forEach((type, t) => this.inc({ experiment: s.id, arm, type }, s.armEvents[a * EVENT_TYPES.length + t])));
      },
    });
    new Counter({
      name: 'feedloop_experiment_feed_requests_total',
      help: 'Feed requests of users in a running experiment, by experiment and arm.',
      labelNames: ['experiment', 'arm'],
      registers: [registry],
      collect() {
        this.reset();
        each((s, arm, a) => this.inc({ experiment: s.id, arm }, s.armRequests[a]));
      },
    });
    return new Histogram({
      name: 'feedloop_experiment_feed_seconds',
      help: 'Feed request time in the feed service per experiment and arm.',
      labelNames: ['experiment', 'arm'],
      buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1],
      registers: [registry],
    });
  }
}
