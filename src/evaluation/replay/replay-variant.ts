/**
 * The `ReplayVariant` port: one recommender under prequential replay.
 *
 * Contract (the replay loop, src/evaluation/replay/replay.ts, calls it this way):
 * - for every event in time order: `advanceTo(event.ts)`, then — when the event is an evaluation point —
 *   `recommend(user, event.ts, history, k)`, then `observe(event)`. Times passed to `advanceTo` never decrease.
 * - `recommend` returns at most `k` distinct item ids, best first, none of them in `exclude` (the user's items so
 *   far), as the variant would serve them at `nowMs`. It must not look at the event being scored (it has not been
 *   observed yet) and must be deterministic for the same sequence of calls.
 * - `observe` hands the variant the event that just happened; what it does with it (apply at once, or hold it back
 *   until a later refresh) is what distinguishes variants.
 */
import type { StoredEvent } from '../../domain/schemas.js';

export interface ReplayVariant {
  /** Stable name, used in the table and the JSON rows. */
  readonly name: string;
  advanceTo(nowMs: number): void;
  recommend(userId: string, nowMs: number, exclude: ReadonlySet<string>, k: number): Promise<readonly string[]>;
  observe(event: StoredEvent): void;
  /** Requests that had to degrade (a source or the ranker failed) — they still count, but are reported. */
  readonly degradedRequests: number;
}

/** Start of the UTC day holding `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / 86_400_000) * 86_400_000;
}
