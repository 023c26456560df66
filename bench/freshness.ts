/**
 * Freshness benchmark: while a background load ingests batches of 500 events, a probe sends one `like` at a time
 * and measures the time from its HTTP ack until the new count is visible in both
 * GET /v1/users/:id/features and GET /v1/items/:id/features.
 */
import { benchServer, eventBatch, percentile, postJson, round } from './util.js';

async function likesTotal(url: string): Promise<number> {
  const res = await fetch(url);
  if (res.status === 404) {
    await res.arrayBuffer();
    return 0;
  }
  const body = (await res.json()) as { values: Record<string, number> };
  return body.values.likes_total;
}

export async function benchFreshness(opts: { probes?: number; loadInFlight?: number } = {}): Promise<Record<string, number>> {
  const probes = opts.probes ?? 300;
  const loadInFlight = opts.loadInFlight ?? 6;
  const srv = await benchServer();
  let stop = false;
  let loadEvents = 0;
  try {
    let nextId = 0;
    const load = Array.from({ length: loadInFlight }, async () => {
      while (!stop) {
        const start = nextId;
        nextId += 500;
        await postJson(`${srv.url}/v1/events`, eventBatch(500, start));
        loadEvents += 500;
      }
    });
    const lat: number[] = [];
    const t0 = performance.now();
    for (let p = 0; p < probes; p++) {
      const body = JSON.stringify({ events: [{ type: 'like', id: `probe-${p}`, user_id: 'probe-user', item_id: 'probe-item' }] });
      await postJson(`${srv.url}/v1/events`, body);
      const acked = performance.now();
      for (;;) {
        const [u, i] = await Promise.all([likesTotal(`${srv.url}/v1/users/probe-user/features`), likesTotal(`${srv.url}/v1/items/probe-item/features`)]);
        if (u >= p + 1 && i >= p + 1) break;
        if (performance.now() - acked > 10_000) throw new Error('probe not visible after 10 s');
      }
      lat.push(performance.now() - acked);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    stop = true;
    await Promise.all(load);
    return {
      probes,
      background_events_per_s: Math.round(loadEvents / seconds),
      p50_ms: round(percentile(lat, 0.5)),
      p99_ms: round(percentile(lat, 0.99)),
      max_ms: round(Math.max(...lat)),
    };
  } finally {
    stop = true;
    await srv.stop();
  }
}
