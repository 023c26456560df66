/**
 * Feed benchmark: `feedloop serve` in a child process with the demo world (100k items, 20k users by default)
 * uploaded and a day of history ingested (warm features), then GET /v1/feed?limit=20 for random users: first one
 * client sequentially, then 8 concurrent clients. Reports client-observed latency (HTTP included), the server's
 * own pipeline time (debug timings) per stage, throughput, and the share of requests a fallback served.
 * `FEEDLOOP_BENCH_FEED_ITEMS` sets the catalog size, `FEEDLOOP_BENCH_FEED_MODEL=1` installs a trained two-tower
 * model (and waits for its ANN index), `FEEDLOOP_BENCH_FEED_RANKER=1` the multi-task ranker (trained on the
 * backfilled log).
 */
import { createWorld } from '../src/demo/world.js';
import { warmupHistory } from '../src/demo/demo.js';
import { join } from 'node:path';
import { openSegmentLog } from '../src/backends/embedded/segment-log.js';
import { retrievalModelsDir, setCurrentRetrievalModel } from '../src/retrieval/two-tower-retrieval-model.js';
import { interactionsFromLog } from '../src/training/interactions-from-log.js';
import { trainTwoTower } from '../src/training/two-tower/train.js';
import { loadConfig } from '../src/config/config.js';
import { trainRankerFromDataDir } from '../src/training/ranking/train-from-data-dir.js';
import { benchServer, percentile, round } from './util.js';

/** Trains a two-tower model on the server's log (read-only), installs it and waits until the server serves it. */
async function installModel(url: string, dataDir: string, epochs: number): Promise<number> {
  const t0 = performance.now();
  const log = await openSegmentLog({ dir: join(dataDir, 'log'), partitionCount: 8, readOnly: true });
  const { data, itemSides } = await interactionsFromLog(log, { positiveWatchRatio: 0.5 });
  await log.close();
  const { model } = await trainTwoTower(data, { itemSides, epochs, evalEvery: 0 });
  await model.save(join(retrievalModelsDir(dataDir), model.version));
  await setCurrentRetrievalModel(dataDir, model.version);
  const res = await fetch(`${url}/v1/models/retrieval/reload`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`reload failed: ${res.status} ${await res.text()}`);
  return (performance.now() - t0) / 1000;
}

/** Trains the multi-task ranker on the server's log (backfill: no serve log yet) and makes the server load it. */
async function installRanker(url: string, dataDir: string): Promise<number> {
  const t0 = performance.now();
  const cfg = loadConfig({ path: null, env: {} });
  cfg.data.dir = dataDir;
  cfg.log.partitions = 8;
  await trainRankerFromDataDir(cfg, { source: 'backfill', negativesPerPositive: 1, epochs: 2, log: (line) => console.error(`ranker: ${line}`) });
  const res = await fetch(`${url}/v1/models/ranking/reload`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`ranking reload failed: ${res.status} ${await res.text()}`);
  return (performance.now() - t0) / 1000;
}

async function send(url: string, method: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${method} ${url} → ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
  return json;
}

export async function benchFeed(
  opts: { items?: number; users?: number; historyPerUser?: number; requests?: number; withModel?: boolean; withRanker?: boolean } = {},
): Promise<Record<string, number>> {
  const withModel = opts.withModel ?? process.env.FEEDLOOP_BENCH_FEED_MODEL === '1';
  const withRanker = opts.withRanker ?? process.env.FEEDLOOP_BENCH_FEED_RANKER === '1';
  const items = opts.items ?? Number(process.env.FEEDLOOP_BENCH_FEED_ITEMS ?? 100_000);
  const users = opts.users ?? 20_000;
  const requests = opts.requests ?? 2000;
  const now = Date.now();
  const world = createWorld({ seed: 42, items, users, authors: Math.max(10, Math.round(items / 20)), categories: 50, nowMs: now });
  const srv = await benchServer();
  try {
    for (let u = 0; u < users; u += 1000) {
      await send(`${srv.url}/v1/users`, 'PUT', { users: Array.from({ length: Math.min(1000, users - u) }, (_, k) => world.userRecord(u + k)) });
    }
    for (let i = 0; i < items; i += 1000) {
      await send(`${srv.url}/v1/items`, 'PUT', { items: Array.from({ length: Math.min(1000, items - i) }, (_, k) => world.itemRecord(i + k)) });
    }
    const history = warmupHistory(world, opts.historyPerUser ?? 20, 42, now);
    const posts: Promise<unknown>[] = [];
    for (let i = 0; i < history.length; i += 1000) {
      posts.push(send(`${srv.url}/v1/events`, 'POST', { events: history.slice(i, i + 1000) }));
      if (posts.length >= 4) await posts.shift();
    }
    await Promise.all(posts);
    for (;;) {
      const ready = (await (await fetch(`${srv.url}/readyz`)).json()) as { consumer_lag_events: number };
      if (ready.consumer_lag_events === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const modelSeconds = withModel ? await installModel(srv.url, srv.dir, 3) : 0;
    const rankerSeconds = withRanker ? await installRanker(srv.url, srv.dir) : 0;
    if (withModel) {
      // the ANN index is built in the background after the reload: wait until the two-tower source serves
      for (let k = 0; k < 1200; k++) {
        const m = (await (await fetch(`${srv.url}/v1/models`)).json()) as { retrieval: unknown };
        if (m.retrieval) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }

    let next = 0;
    let fallbackCount = 0;
    const one = async (client: number, lat: number[], server: Record<string, number[]>, candidates: number[]) => {
      const u = (next++ * 7919 + client) % users;
      const t = performance.now();
      const res = await fetch(`${srv.url}/v1/feed?user_id=${world.userId(u)}&limit=20&debug=1`);
      const body = (await res.json()) as { items: unknown[]; fallbacks?: string[]; debug: { timings_ms: Record<string, number>; candidates_by_source: Record<string, number> } };
      if (body.fallbacks?.length) fallbackCount++;
      lat.push(performance.now() - t);
      if (res.status !== 200 || body.items.length === 0) throw new Error(`feed failed: ${res.status}`);
      for (const [k, v] of Object.entries(body.debug.timings_ms)) (server[k] ??= []).push(v);
      candidates.push(Object.values(body.debug.candidates_by_source).reduce((a, b) => a + b, 0));
    };
    // warm-up: JIT and caches, not counted
    for (let i = 0; i < 200; i++) await one(0, [], {}, []);
    fallbackCount = 0;

    const lat1: number[] = [];
    const server1: Record<string, number[]> = {};
    const cands: number[] = [];
    for (let i = 0; i < requests; i++) await one(0, lat1, server1, cands);

    const lat8: number[] = [];
    const t8 = performance.now();
    await Promise.all(Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; i < requests / 8; i++) await one(c, lat8, {}, []);
    }));
    const rps = lat8.length / ((performance.now() - t8) / 1000);

    const out: Record<string, number> = {
      items,
      users,
      history_events: history.length,
      two_tower: withModel ? 1 : 0,
      learned_ranker: withRanker ? 1 : 0,
      model_install_s: round(modelSeconds, 1),
      ranker_install_s: round(rankerSeconds, 1),
      candidates_mean: Math.round(cands.reduce((a, b) => a + b, 0) / cands.length),
      p50_ms: round(percentile(lat1, 0.5)),
      p99_ms: round(percentile(lat1, 0.99)),
      server_p50_ms: round(percentile(server1.total, 0.5)),
      server_p99_ms: round(percentile(server1.total, 0.99)),
    };
    for (const stage of ['user', 'sources', 'filters', 'features', 'ranking', 'reranking']) {
      out[`${stage}_p50_ms`] = round(percentile(server1[stage] ?? [], 0.5));
      out[`${stage}_p99_ms`] = round(percentile(server1[stage] ?? [], 0.99));
    }
    out.fallback_share = round(fallbackCount / (requests + lat8.length), 4);
    out.rps = Math.round(rps);
    out.p99_ms_8_clients = round(percentile(lat8, 0.99));
    return out;
  } finally {
    await srv.stop();
  }
}
