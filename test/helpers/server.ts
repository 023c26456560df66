/** Starts an engine + HTTP server in-process on a random port, for tests and benchmarks. */
import type { FeedloopConfig } from '../../src/config/config.js';
import { openEngine, type Engine, type OpenEngineOptions } from '../../src/engine/engine.js';
import { buildServer } from '../../src/server/app.js';

export interface RunningServer {
  engine: Engine;
  url: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startServer(cfg: FeedloopConfig, opts: OpenEngineOptions = {}): Promise<RunningServer> {
  const engine = await openEngine(cfg, { logErrors: false, ...opts });
  const app = buildServer(engine);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    engine,
    url,
    async request(method, path, body, headers = {}) {
      const res = await fetch(url + path, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (metrics)
      }
      return { status: res.status, body: parsed };
    },
    async close() {
      await app.close();
      await engine.close();
    },
  };
}
