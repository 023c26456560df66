/**
 * Node/V8 flags the serving process is meant to run with, and a check that it does.
 *
 * `--max-semi-space-size=64` (MB): a feed request allocates ~1.2–2 MB of short-lived objects, so V8's default young
 * generation (16 MB semi-spaces) ran a scavenge every ~7 requests, and in this server each scavenge costs ~5–7 ms
 * with little surviving (not explained by the old generation's size: README "GC"). 64 MB semi-spaces cut the
 * scavenges by ~3× (`npm run bench -- feed`); 128 MB made each one cost ~2× more.
 * V8 reads this flag only at start-up (v8.setFlagsFromString has no effect on a running heap), so it is passed on
 * the command line (`npm run serve`, `npm start`: package.json repeats the flags, a test keeps the two equal; the
 * benchmarks' server) or in NODE_OPTIONS, which allows it.
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** The recommended flags this process was not started with (command line or NODE_OPTIONS). */
export function missingServeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((f) => f.split('=')[0].replace(/_/g, '-'));
  return SERVE_NODE_FLAGS.filter((f) => !given.includes(f.split('=')[0]));
}
