/**
 * The last-resort slate: a popular list precomputed from the feature store's trending list, refreshed in the
 * background every `refreshMs`, kept in memory, so a feed can be served even when the store fails at request time.
 */
import type { FeatureStore, ScoredItem } from '../features/feature-store.js';

export class PopularList {
  private items: ScoredItem[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** When the list was last refreshed (ms), or 0. */
  refreshedAtMs = 0;

  constructor(
    private readonly store: FeatureStore,
    private readonly capacity: number,
  ) {}

  /** Refreshes now, then every `refreshMs` (the timer does not keep the process alive). */
  start(refreshMs: number): void {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), refreshMs);
    this.timer.unref();
  }

  /** Re-reads the trending list (keeps the previous list when the store fails). */
  refresh(nowMs = Date.now()): void {
    try {
      const top = this.store.trending(this.capacity, nowMs);
      if (top.length > 0 || this.items.length === 0) {
        this.items = top;
        this.refreshedAtMs = nowMs;
      }
    } catch {
      // the store is failing: keep serving the last good list
    }
  }

  /** Up to `n` items not in `exclude`, best first. */
  take(n: number, exclude: ReadonlySet<string>): ScoredItem[] {
    const out: ScoredItem[] = [];
    for (const it of this.items) {
      if (out.length >= n) break;
      if (!exclude.has(it.itemId)) out.push(it);
    }
    return out;
  }

  get size(): number {
    return this.items.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
