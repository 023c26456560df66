/**
 * Ingest benchmark: HTTP batches of 500 events against `feedloop serve` (child process, embedded backends, fsync
 * before ack, stream processor running), with several batches in flight. Reports throughput and ack latency.
 */
import { benchServer, eventBatch, percentile, postJson, round } from './util.js';

export async function benchIngest(opts: { events?: number; batch?: number; inFlight?: number } = {}): Promise<Record<string, number>> {
  const total = opts.events ?? 400_000;
  const batch = opts.batch ?? 500;
  const inFlight = opts.inFlight ?? 8;
  const srv = await benchServer();
  try {
    const bodies = Array.from({ length: total / batch }, (_, b) => eventBatch(batch, b * batch));
    // warm-up (JIT, connections), not counted: distinct ids
    for (let i = 0; i < 10; i++) await postJson(`${srv.url}/v1/events`, eventBatch(batch, 10_000_000 + i * batch));
    const acks: number[] = [];
    let next = 0;
    let accepted = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const s = performance.now();
          const r = await postJson(`${srv.url}/v1/events`, body);
          acks.push(performance.now() - s);
          accepted += r.accepted;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (accepted !== total) throw new Error(`accepted ${accepted} of ${total}`);
    return {
      events: total,
      batch,
      in_flight: inFlight,
      events_per_s: Math.round(total / seconds),
      ack_p50_ms: round(percentile(acks, 0.5)),
      ack_p99_ms: round(percentile(acks, 0.99)),
    };
  } finally {
    await srv.stop();
  }
}
