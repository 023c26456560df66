/** Runs `feedloop serve` as a child process (for crash tests): resolves with its URL once it listens. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { appendFileSync } from 'node:fs';
import { SERVE_NODE_FLAGS, SERVE_RUNTIME_V8_FLAGS } from '../../src/server/node-flags.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export async function spawnServer(dataDir: string, env: Record<string, string> = {}, startTimeoutMs = 20_000): Promise<{ child: ChildProcess; url: string }> {
  // e.g. FEEDLOOP_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a benchmark's server
  const nodeArgs = (process.env.FEEDLOOP_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // the flags `npm run serve` passes (src/server/node-flags.ts), then any extra ones
  const child = spawn(process.execPath, [...SERVE_NODE_FLAGS, ...SERVE_RUNTIME_V8_FLAGS, ...nodeArgs, CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--data', dataDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // e.g. FEEDLOOP_BENCH_SERVER_LOG=/tmp/server.log with FEEDLOOP_BENCH_NODE_ARGS=--trace-gc: the server's output, kept
  const logFile = process.env.FEEDLOOP_BENCH_SERVER_LOG;
  if (logFile) for (const s of [child.stdout, child.stderr]) s.on('data', (d: Buffer) => appendFileSync(logFile, d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${startTimeoutMs} ms: ${out}`)), startTimeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}`));
    });
  });
  child.removeAllListeners('exit');
  return { child, url };
}

export function waitExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}
