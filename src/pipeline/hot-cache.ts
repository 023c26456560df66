/**
 * Per-user hot cache (optional, `feed.hotCache.enabled`): right after a page is served, the user's NEXT page is
 * computed in the background (the items just served excluded, as their impressions have not arrived yet) and kept
 * for `ttlMs`; the user's next request with the same variant and limit is answered from it at once. The cached run
 * is the full pipeline, so its serve-log record is written when (and only if) it is served. Bounded LRU by users.
 * `/metrics`: `feedloop_feed_cache_requests_total{outcome="hit|miss|stale"}` and
 * `feedloop_feed_cache_staleness_seconds` (age of the cached page when served).
 */
import type { PipelineRun } from './run-pipeline.js';

export interface HotCacheOptions {
  /** A cached page older than this is not served, ms. */
  ttlMs: number;
  /** Users kept (least recently refreshed dropped first). */
  maxUsers: number;
}

interface Entry {
  key: string;
  run: PipelineRun;
  computedAtMs: number;
}

export type CacheOutcome = 'hit' | 'miss' | 'stale';

export class HotCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<string>();

  constructor(
    private readonly opts: HotCacheOptions,
    private readonly observe: (outcome: CacheOutcome, ageMs?: number) => void = () => {},
  ) {}

  /** Takes the user's cached next page when it matches (variant, limit) and is fresh; it is removed either way. */
  take(userId: string, key: string, nowMs: number): PipelineRun | undefined {
    const e = this.entries.get(userId);
    if (!e || e.key !== key) {
      this.observe('miss');
      return undefined;
    }
    this.entries.delete(userId);
    const age = nowMs - e.computedAtMs;
    if (age > this.opts.ttlMs) {
      this.observe('stale', age);
      return undefined;
    }
    this.observe('hit', age);
    return e.run;
  }

  /** Computes the user's next page in the background (once at a time per user); errors are dropped. */
  refresh(userId: string, key: string, compute: () => Promise<PipelineRun>, nowMs: () => number): void {
    if (this.pending.has(userId)) return;
    this.pending.add(userId);
    setImmediate(() => {
      compute()
        .then((run) => {
          this.entries.delete(userId);
          if (this.entries.size >= this.opts.maxUsers) {
            const oldest = this.entries.keys().next();
            if (!oldest.done) this.entries.delete(oldest.value);
          }
          this.entries.set(userId, { key, run, computedAtMs: nowMs() });
        })
        .catch(() => {})
        .finally(() => this.pending.delete(userId));
    });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
