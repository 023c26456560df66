/** Helpers shared by the benchmarks: percentiles and a child-process engine on a temp data dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnServer, waitExit } from '../test/helpers/child-server.js';

export function percentile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A temporary directory for an in-process benchmark, and its cleanup. */
export async function tempBenchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'feedloop-bench-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts `feedloop serve` in a child process on a temp dir (the server gets its own process, like production). */
export interface BenchServer {
  url: string;
  dir: string;
  child: ChildProcess;
  /** Seconds the last restart took until the server listened. */
  restartSeconds?: number;
  /** Stops the server and starts it again on the same data dir with `env` (e.g. another FEEDLOOP_CONFIG). */
  restart(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/** `keepDir`: serve that directory and leave it in place on stop (to measure again without rebuilding it). */
export async function benchServer(env: Record<string, string> = {}, keepDir?: string): Promise<BenchServer> {
  const dir = keepDir ?? (await mkdtemp(join(tmpdir(), 'feedloop-bench-')));
  const base = { FEEDLOOP_CONFIG: '/nonexistent.json', ...env };
  const first = await spawnServer(dir, base);
  const srv: BenchServer = {
    url: first.url,
    dir,
    child: first.child,
    async restart(more: Record<string, string> = {}) {
      srv.child.kill('SIGTERM');
      await waitExit(srv.child);
      // a big catalog takes a while to open (snapshot + log tail): minutes at 1M items on a busy machine
      const t0 = performance.now();
      const next = await spawnServer(dir, { ...base, ...more }, 15 * 60_000);
      srv.restartSeconds = (performance.now() - t0) / 1000;
      srv.child = next.child;
      srv.url = next.url;
    },
    async stop() {
      srv.child.kill('SIGTERM');
      await waitExit(srv.child);
      if (!keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
  return srv;
}

/** A synthetic event body of `n` events with unique ids (fixed shape, ~110 bytes per event). */
export function eventBatch(n: number, startId: number, users = 100_000, items = 100_000): string {
  const now = Date.now();
  const types = ['impression', 'view', 'view', 'like', 'skip', 'complete'];
  const events = Array.from({ length: n }, (_, k) => {
    const i = startId + k;
    const type = types[i % types.length];
    const e: Record<string, unknown> = { type, id: `b${i}`, user_id: `u${(i * 7919) % users}`, item_id: `i${(i * 104_729) % items}`, ts: now };
    if (type === 'impression') Object.assign(e, { request_id: `r${i}`, position: i % 20 });
    if (type === 'view' || type === 'skip') e.watch_ms = (i * 37) % 30_000;
    return e;
  });
  return JSON.stringify({ events });
}

export async function postJson(url: string, body: string): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${url} → ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}
