/**
 * The `SideEffect` port: work done after a feed response is decided (serve log, caches, counters).
 *
 * Contract: `run` is called once per request after the slate is final; it must return quickly (queue, don't write)
 * and must never fail the request — the pipeline catches and counts anything it throws.
 */
import type { ServeRecord } from '../domain/feed.js';

export interface SideEffect {
  readonly name: string;
  run(record: ServeRecord): void;
}
