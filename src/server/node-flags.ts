/**
 * Node/V8 flags the serving process is meant to run with, and a check that it does.
 *
 * `--max-semi-space-size=64` (MB): a feed request allocates ~1.2–2 MB of short-lived objects, so V8's default young
 * generation (16 MB semi-spaces) ran a scavenge every ~7 requests. 64 MB semi-spaces cut the scavenges by ~3×
 * (`npm run bench -- feed`); with 128 MB V8 still scavenged as often (it did not grow the semi-spaces past 64 MB).
 * V8 reads this flag only at start-up (v8.setFlagsFromString has no effect on a running heap), so it is passed on
 * the command line (`npm run serve`, `npm start`: package.json repeats the flags, a test keeps the two equal; the
 * benchmarks' server) or in NODE_OPTIONS, which allows it.
 *
 * `--no-allocation-site-pretenuring`: V8 allocates the objects of an allocation site (an object or array literal,
 * `new Array`) directly in the old generation once it has seen most of them survive a scavenge. In this server a
 * single such decision is a trap: a pretenured container (the merge's candidate array, a slate) is old garbage after
 * its request but still points at the request's young objects, so every scavenge keeps those alive and promotes them,
 * which pretenures more sites. At 1M items the server fell into that state in some runs and stayed there: every
 * scavenge promoted ~5 MB, 9–11 ms pauses, a mark-compact every ~300 requests, one-client HTTP p99 30–52 ms instead of
 * 8–12 ms (README "GC"). V8 honours this flag when set at run time, and NODE_OPTIONS refuses it, so
 * `applyServeRuntimeFlags` sets it before the engine opens; package.json passes it on the command line too.
 */
import { setFlagsFromString } from 'node:v8';

/** Flags V8 reads only at start-up: the command line or NODE_OPTIONS. */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Flags V8 honours when set at run time; `applyServeRuntimeFlags` sets them (NODE_OPTIONS does not accept them). */
export const SERVE_RUNTIME_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

/** Sets `SERVE_RUNTIME_V8_FLAGS` in this process; call before the engine opens (`feedloop serve`, `feedloop demo`). */
export function applyServeRuntimeFlags(): void {
  for (const flag of SERVE_RUNTIME_V8_FLAGS) setFlagsFromString(flag);
}

/** The start-up flags this process was not started with (command line or NODE_OPTIONS). */
export function missingServeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((f) => f.split('=')[0].replace(/_/g, '-'));
  return SERVE_NODE_FLAGS.filter((f) => !given.includes(f.split('=')[0]));
}
