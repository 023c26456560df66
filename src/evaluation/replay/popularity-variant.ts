/**
 * Sanity baseline of the replay evaluator: the most popular items up to the request, by number of interactions of
 * any type (every event observed so far counts, at once), the user's own items excluded, ties broken by first
 * appearance. It uses no engine component, so it checks the loop and the metrics independently of the feature store.
 */
import type { StoredEvent } from '../../domain/schemas.js';
import type { ReplayVariant } from './replay-variant.js';

export class PopularityVariant implements ReplayVariant {
  readonly name = 'popularity';
  readonly degradedRequests = 0;
  private readonly ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  private counts = new Float64Array(1024);

  advanceTo(): void {}

  observe(event: StoredEvent): void {
    if (!('item_id' in event) || typeof event.item_id !== 'string') return;
    let row = this.rowOf.get(event.item_id);
    if (row === undefined) {
      row = this.ids.length;
      this.ids.push(event.item_id);
      this.rowOf.set(event.item_id, row);
      if (row >= this.counts.length) {
        const grown = new Float64Array(this.counts.length * 2);
        grown.set(this.counts);
        this.counts = grown;
      }
    }
    this.counts[row]++;
  }

  /** Top `k` by count: one pass with a small sorted buffer (k is small). */
  async recommend(_userId: string, _nowMs: number, exclude: ReadonlySet<string>, k: number): Promise<readonly string[]> {
    const best: number[] = []; // rows, by count descending, then row ascending
    for (let r = 0; r < this.ids.length; r++) {
      const c = this.counts[r];
      if (best.length === k && c <= this.counts[best[k - 1]]) continue;
      if (exclude.has(this.ids[r])) continue;
      let i = best.length < k ? best.length : k - 1;
      best[i] = r;
      while (i > 0 && this.counts[best[i - 1]] < c) {
        best[i] = best[i - 1];
        best[i - 1] = r;
        i--;
      }
    }
    return best.map((r) => this.ids[r]);
  }
}
