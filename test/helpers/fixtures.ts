/** Small generated fixtures for tests: a deterministic pseudo-random world of users, items and events. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type FeedloopConfig } from '../../src/config/config.js';
import type { Item, WireEvent } from '../../src/domain/schemas.js';
import { mulberry32 } from '../../src/util/prng.js';

export async function tempDir(prefix = 'feedloop-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Config for tests: defaults, a temp data dir, no config file or env influence. */
export function testConfig(dataDir: string, patch: (c: FeedloopConfig) => void = () => {}): FeedloopConfig {
  const cfg = loadConfig({ env: {}, path: null });
  cfg.data.dir = dataDir;
  cfg.server.port = 0;
  cfg.server.host = '127.0.0.1';
  cfg.log.partitions = 4;
  patch(cfg);
  return cfg;
}

/** A tiny seeded PRNG (the demo's mulberry32). */
export const rng = mulberry32;

export const T0 = Date.UTC(2026, 0, 1);

export function makeItems(n: number, seed = 1): Item[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `i${i}`,
    author_id: `a${i % 7}`,
    created_at: T0 - Math.floor(r() * 86_400_000),
    duration_ms: 5000 + Math.floor(r() * 55_000),
    category: `c${i % 5}`,
    tags: [`t${i % 3}`],
    text: `item ${i}`,
  }));
}

/** A stream of plausible events: impressions followed by views/completes/likes/skips, in time order. */
export function makeEvents(n: number, opts: { users?: number; items?: number; seed?: number; prefix?: string; startMs?: number; maxStepMs?: number } = {}): WireEvent[] {
  const r = rng(opts.seed ?? 2);
  const users = opts.users ?? 20;
  const items = opts.items ?? 50;
  const out: WireEvent[] = [];
  let ts = opts.startMs ?? T0;
  const prefix = opts.prefix ?? 'e';
  while (out.length < n) {
    const user_id = `u${Math.floor(r() * users)}`;
    const item_id = `i${Math.floor(r() * items)}`;
    ts += Math.floor(r() * (opts.maxStepMs ?? 5000));
    const id = () => `${prefix}${out.length}`;
    out.push({ type: 'impression', id: id(), user_id, item_id, ts, request_id: `r${out.length}`, position: Math.floor(r() * 10), session_id: `s-${user_id}-${Math.floor(ts / 3_600_000)}` });
    const x = r();
    if (out.length >= n) break;
    if (x < 0.5) out.push({ type: 'view', id: id(), user_id, item_id, ts: ts + 1000, watch_ms: Math.floor(r() * 60_000) });
    else if (x < 0.65) out.push({ type: 'complete', id: id(), user_id, item_id, ts: ts + 1000 });
    else if (x < 0.8) out.push({ type: 'like', id: id(), user_id, item_id, ts: ts + 1000 });
    else if (x < 0.95) out.push({ type: 'skip', id: id(), user_id, item_id, ts: ts + 1000, watch_ms: 500 });
    else if (x < 0.98) out.push({ type: 'follow', id: id(), user_id, author_id: `a${Math.floor(r() * 7)}`, ts: ts + 1000 });
    else out.push({ type: 'hide', id: id(), user_id, item_id, ts: ts + 1000 });
  }
  return out.slice(0, n);
}
