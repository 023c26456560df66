/**
 * Which events are evaluation points. The timeline (events in time order) is cut by event count into
 *
 *   warm-up [0, 60 %) · validation [60 %, 80 %) · test [80 %, 100 %)
 *
 * (boundaries moved to the first event at the cut's timestamp, so a period is a time interval). Every event in the
 * chosen period is eligible; to bound run time and keep heavy users from dominating, at most `maxPerUser` of each
 * user's eligible events are drawn uniformly without replacement, then at most `maxPoints` over all users — both with
 * a seeded PRNG, so a seed fixes the points. Events before the period (and unsampled ones inside it) still stream
 * through every variant: sampling only decides where recommendations are requested.
 *
 * Anything that needs choosing (parameters, a model) is chosen on the validation period or trained on events before
 * the period being reported; the test period is only scored.
 */
import type { StoredEvent } from '../../domain/schemas.js';
import { mulberry32, type Rand } from '../../util/prng.js';

export type ReplayPeriod = 'valid' | 'test';

/** Cut points of the timeline as shares of the events: validation from 60 %, test from 80 %. */
export const PERIOD_CUTS = { valid: 0.6, test: 0.8 } as const;

export interface SamplingOptions {
  period: ReplayPeriod;
  /** At most this many points per user (0 = no cap). */
  maxPerUser: number;
  /** At most this many points in all (0 = no cap). */
  maxPoints: number;
  seed: number;
}

export interface EvaluationPoints {
  /** Indices into the events, ascending. */
  indices: number[];
  /** The period: events with startMs ≤ ts < endMs (endMs = +∞ for the test period). */
  startMs: number;
  endMs: number;
  /** Events in the period, and the users with an event there. */
  eligible: number;
  users: number;
}

/** Index of the first event with ts ≥ the ts of event ⌊share·n⌋ (so the cut never splits a timestamp). */
function cutIndex(events: readonly StoredEvent[], share: number): number {
  let i = Math.min(events.length, Math.floor(share * events.length));
  if (i >= events.length) return events.length;
  const ts = events[i].ts;
  while (i > 0 && events[i - 1].ts === ts) i--;
  return i;
}

/** Draws `k` of `xs` uniformly without replacement (partial Fisher–Yates on a copy), in their original order. */
function drawSorted(xs: readonly number[], k: number, rand: Rand): number[] {
  if (k <= 0 || k >= xs.length) return [...xs];
  const a = [...xs];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k).sort((x, y) => x - y);
}

/** The evaluation points of `events` (in time order) for `opts` (see the file comment). */
export function sampleEvaluationPoints(events: readonly StoredEvent[], opts: SamplingOptions): EvaluationPoints {
  const from = cutIndex(events, PERIOD_CUTS[opts.period]);
  const to = opts.period === 'valid' ? cutIndex(events, PERIOD_CUTS.test) : events.length;
  const byUser = new Map<string, number[]>();
  for (let i = from; i < to; i++) {
    const u = events[i].user_id;
    let list = byUser.get(u);
    if (!list) byUser.set(u, (list = []));
    list.push(i);
  }
  const rand = mulberry32(opts.seed);
  let picked: number[] = [];
  for (const list of byUser.values()) picked.push(...drawSorted(list, opts.maxPerUser, rand));
  picked.sort((a, b) => a - b);
  if (opts.maxPoints > 0) picked = drawSorted(picked, opts.maxPoints, rand);
  return {
    indices: picked,
    startMs: from < events.length ? events[from].ts : Number.POSITIVE_INFINITY,
    endMs: to < events.length ? events[to].ts : Number.POSITIVE_INFINITY,
    eligible: to - from,
    users: byUser.size,
  };
}
