/** Counters of the simulated population, per experiment arm and in total (plain objects: they cross worker threads). */

/** One arm's numbers (or the total over arms). */
export interface ArmStats {
  /** Feed requests answered with 200. */
  requests: number;
  /** Failed HTTP calls (non-2xx or network error), feed and events. */
  errors: number;
  /** Events posted in batches the server answered with 200. */
  events: number;
  /** Events the server listed in `rejected` (should stay 0). */
  rejectedEvents: number;
  sessions: number;
  impressions: number;
  /** Feed items whose id is not an item of the world (skipped). */
  unknownItems: number;
  watched: number;
  likes: number;
  /** Watched items with a watch ratio ≥ the completion threshold. */
  completes: number;
  /** Mean watch ratio over every watched item since the start. */
  meanWatchRatio: number;
  /** Standard deviation of the watch ratio over every watched item since the start. */
  watchRatioSd: number;
  /** Mean watch ratio over the last `watchWindow` watched items. */
  recentWatchRatio: number;
  likesPerImpression: number;
  /** completes / watched. */
  completionRate: number;
  /** Distinct items impressed / items in the world now. */
  coverage: number;
  distinctItems: number;
  /** Feed latency over the last `latencyWindow` requests, ms (NaN before the first). */
  feedP50Ms: number;
  feedP99Ms: number;
  /** Slates (feed pages) checked against the author cap, and those with an author over it within its window. */
  slates: number;
  slatesOverAuthorCap: number;
  /**
   * Items uploaded during the simulation whose first `newItemWindowMs` has been fully observed, and those of them this
   * arm showed at least `newItemMinImpressions` times within that first window (0 / 0 when not tracked).
   */
  newItems: number;
  newItemsReached: number;
}

/** What the simulator tracks about new uploads: impressions within each new item's first window. */
export interface NewItemTracking {
  /** Items with an index ≥ this are new (uploaded after the simulation started). */
  firstNewItem: number;
  /** The window after upload impressions are counted in, ms (the "first hour"). */
  windowMs: number;
  /** Impressions within the window that count as a fair first look. */
  minImpressions: number;
  /** Upload time of item i, epoch ms. */
  createdAtMs: (i: number) => number;
}

export interface SimulationStats {
  elapsedMs: number;
  /** Items in the world when the stats were taken. */
  catalogSize: number;
  /** Rates since the previous tick (or since the start, for the final stats). */
  requestsPerSec: number;
  eventsPerSec: number;
  total: ArmStats;
  arms: Record<string, ArmStats>;
}

/** Mutable counters behind one `ArmStats`. */
export class ArmCounters {
  requests = 0;
  errors = 0;
  events = 0;
  rejectedEvents = 0;
  sessions = 0;
  impressions = 0;
  unknownItems = 0;
  watched = 0;
  likes = 0;
  completes = 0;
  slates = 0;
  slatesOverAuthorCap = 0;
  /** New item → impressions within its first window (see NewItemTracking). */
  private readonly newItemImpressions = new Map<number, number>();
  private watchRatioSum = 0;
  private watchRatioSumSq = 0;
  private distinct = 0;
  private seen: Uint8Array;
  private readonly latencyMs: Float64Array;
  private latencyCount = 0;
  private readonly recentRatios: Float64Array;
  private recentCount = 0;
  private recentSum = 0;

  constructor(itemCapacity: number, latencyWindow: number, watchWindow: number) {
    this.seen = new Uint8Array(itemCapacity);
    this.latencyMs = new Float64Array(Math.max(1, latencyWindow));
    this.recentRatios = new Float64Array(Math.max(1, watchWindow));
  }

  recordLatency(ms: number): void {
    this.latencyMs[this.latencyCount++ % this.latencyMs.length] = ms;
  }

  recordImpression(item: number): void {
    this.impressions++;
    if (item >= this.seen.length) {
      const grown = new Uint8Array(Math.max(item + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    if (this.seen[item] === 0) {
      this.seen[item] = 1;
      this.distinct++;
    }
  }

  /** An impression of a new item at `nowMs`, counted when within the item's first `windowMs`. */
  recordNewItemImpression(item: number, nowMs: number, t: NewItemTracking): void {
    if (item < t.firstNewItem || nowMs - t.createdAtMs(item) > t.windowMs) return;
    this.newItemImpressions.set(item, (this.newItemImpressions.get(item) ?? 0) + 1);
  }

  /** Of the new items `eligible` (their window fully observed), how many got at least `minImpressions`. */
  newItemsReachedOf(eligible: readonly number[], minImpressions: number): number {
    let n = 0;
    for (const i of eligible) if ((this.newItemImpressions.get(i) ?? 0) >= minImpressions) n++;
    return n;
  }

  recordWatch(ratio: number, complete = false): void {
    this.watched++;
    if (complete) this.completes++;
    this.watchRatioSum += ratio;
    this.watchRatioSumSq += ratio * ratio;
    const w = this.recentRatios;
    const slot = this.recentCount++ % w.length;
    if (this.recentCount > w.length) this.recentSum -= w[slot];
    w[slot] = ratio;
    this.recentSum += ratio;
  }

  /** `eligible`: new items whose first window has been fully observed (see NewItemTracking). */
  snapshot(catalogSize: number, eligible: readonly number[] = [], minImpressions = 0): ArmStats {
    const n = Math.min(this.latencyCount, this.latencyMs.length);
    const lat = this.latencyMs.slice(0, n).sort();
    const recentN = Math.min(this.recentCount, this.recentRatios.length);
    const mean = this.watched > 0 ? this.watchRatioSum / this.watched : NaN;
    return {
      requests: this.requests,
      errors: this.errors,
      events: this.events,
      rejectedEvents: this.rejectedEvents,
      sessions: this.sessions,
      impressions: this.impressions,
      unknownItems: this.unknownItems,
      watched: this.watched,
      likes: this.likes,
      completes: this.completes,
      meanWatchRatio: mean,
      watchRatioSd: this.watched > 1 ? Math.sqrt(Math.max(0, (this.watchRatioSumSq - this.watched * mean * mean) / (this.watched - 1))) : NaN,
      recentWatchRatio: recentN > 0 ? this.recentSum / recentN : NaN,
      likesPerImpression: this.impressions > 0 ? this.likes / this.impressions : NaN,
      completionRate: this.watched > 0 ? this.completes / this.watched : NaN,
      coverage: catalogSize > 0 ? this.distinct / catalogSize : 0,
      distinctItems: this.distinct,
      feedP50Ms: quantile(lat, 0.5),
      feedP99Ms: quantile(lat, 0.99),
      slates: this.slates,
      slatesOverAuthorCap: this.slatesOverAuthorCap,
      newItems: eligible.length,
      newItemsReached: this.newItemsReachedOf(eligible, minImpressions),
    };
  }
}

/** Nearest-rank quantile of sorted values (NaN when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** True when some author has more than `max` items within any `window` consecutive slots of the slate. */
export function overAuthorCap(authors: readonly number[], max: number, window: number): boolean {
  for (let start = 0; start < authors.length; start++) {
    const counts = new Map<number, number>();
    for (let k = start; k < Math.min(authors.length, start + window); k++) {
      const n = (counts.get(authors[k]) ?? 0) + 1;
      if (n > max) return true;
      counts.set(authors[k], n);
    }
  }
  return false;
}
