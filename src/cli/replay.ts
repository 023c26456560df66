/** `feedloop replay`: drop the snapshot and rebuild every derived state from log offset 0, then checkpoint. */
import { openEngine } from '../engine/engine.js';
import { configFrom, parse } from './args.js';

export async function runReplay(argv: string[]): Promise<void> {
  const { values } = parse(argv, {});
  const cfg = configFrom(values);
  const t0 = performance.now();
  const engine = await openEngine(cfg, { rebuild: true });
  const records = engine.store.positions().reduce((a, b) => a + b, 0);
  await engine.close();
  const ms = performance.now() - t0;
  const st = engine.store.stats();
  console.log(`replayed ${records} records in ${Math.round(ms)} ms: ${st.items} items, ${st.users} users, ${st.authors} authors`);
  console.log(JSON.stringify({ records, ms: Math.round(ms), records_per_s: Math.round(records / (ms / 1000)), items: st.items, users: st.users }));
}
