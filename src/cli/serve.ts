/** `feedloop serve`: open the engine (replaying the log tail), then serve HTTP until SIGINT/SIGTERM. */
import { openEngine } from '../engine/engine.js';
import { buildServer } from '../server/app.js';
import { configFrom, parse } from './args.js';
import { applyServeRuntimeFlags, missingServeFlags } from '../server/node-flags.js';

export async function runServe(argv: string[]): Promise<void> {
  const { values } = parse(argv, { port: { type: 'string', short: 'p' }, host: { type: 'string' } });
  const cfg = configFrom(values);
  if (typeof values.host === 'string') cfg.server.host = values.host;
  const t0 = performance.now();
  applyServeRuntimeFlags();
  const engine = await openEngine(cfg);
  const app = buildServer(engine);
  const address = await app.listen({ port: cfg.server.port, host: cfg.server.host });
  const st = engine.store.stats();
  console.log(
    `feedloop listening on ${address} (data ${cfg.data.dir}, ${engine.log.partitionCount} partitions, durability ${cfg.log.durability}; ` +
      `restored ${st.items} items, ${st.users} users in ${Math.round(performance.now() - t0)} ms)`,
  );
  const missing = missingServeFlags();
  if (missing.length) console.log(`feedloop: node started without ${missing.join(' ')}: more garbage-collection pauses at large catalogs (npm run serve passes it; README "GC")`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`feedloop: ${signal}, shutting down`);
    void app
      .close()
      .then(() => engine.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error('feedloop: shutdown failed', err);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
