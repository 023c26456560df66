/**
 * `feedloop demo` (what `npm start` runs): opens the engine on the embedded default in a local data directory,
 * serves the HTTP API, builds the seeded synthetic world, uploads it with a day of history, and runs simulated users
 * (in a worker thread) who request feeds and react through the real API — half on the full pipeline, half on
 * trending alone — printing a live line until Ctrl-C (or `--seconds`).
 */
import { createWorld } from '../demo/world.js';
import { runDemo } from '../demo/demo.js';
import { openEngine } from '../engine/engine.js';
import { ValidationError } from '../errors.js';
import { buildServer } from '../server/app.js';
import { configFrom, parse } from './args.js';

function intOption(values: Record<string, string | boolean | undefined>, name: string, dflt: number): number {
  const raw = values[name];
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ValidationError(`--${name} must be a non-negative integer, got ${String(raw)}`, name);
  return n;
}

export async function runDemoCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    port: { type: 'string', short: 'p' },
    items: { type: 'string' },
    users: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
    seed: { type: 'string' },
  });
  const cfg = configFrom({ ...values, data: values.data ?? './data/demo' });
  const items = intOption(values, 'items', 100_000);
  const users = intOption(values, 'users', 20_000);
  const seconds = intOption(values, 'seconds', 0);
  const seed = intOption(values, 'seed', 7);
  const t0 = performance.now();
  const engine = await openEngine(cfg);
  const app = buildServer(engine);
  await app.listen({ port: cfg.server.port, host: cfg.server.host });
  const port = (app.server.address() as { port: number }).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  console.log(`feedloop demo: engine on ${baseUrl} (data ${cfg.data.dir}); building a world of ${items} items, ${users} users (seed ${seed})`);
  const world = createWorld({ seed, items, users, authors: Math.max(10, Math.round(items / 20)), categories: 50 });
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  process.once('SIGTERM', () => ac.abort());
  if (seconds > 0) setTimeout(() => ac.abort(), seconds * 1000).unref();
  try {
    const result = await runDemo({ baseUrl, world, signal: ac.signal, seed, concurrency: intOption(values, 'concurrency', 4) });
    const arms = Object.fromEntries(
      Object.entries(result.stats.arms).map(([k, a]) => [
        k,
        { requests: a.requests, impressions: a.impressions, mean_watch_ratio: a.meanWatchRatio, recent_watch_ratio: a.recentWatchRatio, coverage: a.coverage, feed_p99_ms: a.feedP99Ms, errors: a.errors },
      ]),
    );
    console.log(JSON.stringify({ seconds: Math.round((performance.now() - t0) / 1000), uploads: result.uploads, arms }));
  } finally {
    await app.close();
    await engine.close();
  }
}
