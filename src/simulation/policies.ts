/**
 * The policies `feedloop simulate` compares. A policy is a feed variant of the real engine (src/pipeline/home-feed.ts)
 * plus an update mode that says when the engine learns what the simulated users did:
 *
 * - `real-time`: before every feed request at simulated time t, every event with ts ≤ t and every upload created at
 *   or before t is ingested (LogIngestor → event log → stream processor → feature store) and applied
 *   (`processor.catchUp()`), as `feedloop serve` would have done by then;
 * - `daily-batch`: events and uploads are held back and ingested together at the next simulated midnight, so during
 *   day D the pipeline serves from the state of 00:00 D (counters, last-N lists, co-visitation, trending, fresh list,
 *   seen filter). Reads still decay to the request time; only what the engine has seen is frozen.
 */
import { ValidationError } from '../errors.js';

export type UpdateMode = 'real-time' | 'daily-batch';

export interface PolicySpec {
  /** Stable name used in the report, the CLI (`--policies`) and the JSON line. */
  name: string;
  /** Feed variant served (a key of `feedPipelines`). */
  variant: string;
  updates: UpdateMode;
  description: string;
}

export const POLICIES: Readonly<Record<string, PolicySpec>> = {
  home: { name: 'home', variant: 'home', updates: 'real-time', description: 'home feed, exploration on (Thompson, 10 % of slots), real-time features' },
  'home-exploit': { name: 'home-exploit', variant: 'home-exploit', updates: 'real-time', description: 'home feed without exploration, real-time features' },
  'home-heuristic': { name: 'home-heuristic', variant: 'home-heuristic', updates: 'real-time', description: 'home feed with the heuristic ranker, exploration on, real-time features' },
  trending: { name: 'trending', variant: 'trending', updates: 'real-time', description: 'global trending list alone (with the standard filters), real-time counters' },
  'daily-batch': { name: 'daily-batch', variant: 'home', updates: 'daily-batch', description: 'home feed, exploration on, events and uploads applied once a day at midnight' },
  'daily-batch-exploit': { name: 'daily-batch-exploit', variant: 'home-exploit', updates: 'daily-batch', description: 'home feed without exploration, daily-batch updates' },
};

/** Compared when `--policies` is not given: exploration on/off, a non-personalised baseline, real-time vs daily batch. */
export const DEFAULT_POLICIES: readonly string[] = ['home', 'home-exploit', 'trending', 'daily-batch'];

/** Parses `a,b,c` into policy specs (in the given order, no duplicates); an unknown name is a ValidationError. */
export function parsePolicies(list: string, field = 'policies'): PolicySpec[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new ValidationError(`--${field} needs at least one policy: ${Object.keys(POLICIES).join(', ')}`, field);
  const out: PolicySpec[] = [];
  for (const n of names) {
    const p = POLICIES[n];
    if (!p) throw new ValidationError(`--${field}: unknown policy ${JSON.stringify(n)}; expected one of ${Object.keys(POLICIES).join(', ')}`, field);
    if (out.includes(p)) throw new ValidationError(`--${field}: ${n} is listed twice`, field);
    out.push(p);
  }
  return out;
}
