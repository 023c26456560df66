/**
 * Event-log benchmark (embedded segment log, fsync durability, 8 partitions): appends 500k records of ~105 bytes
 * on disk in batches of 500 with 8 batches in flight, then consumes everything from offset 0.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSegmentLog } from '../src/backends/embedded/segment-log.js';

const TOTAL_RECORDS = 500_000;
const BATCH_RECORDS = 500;
const BATCHES_IN_FLIGHT = 8;
const PARTITION_COUNT = 8;
const READ_PAGE_RECORDS = 5_000;
/** Encoded record = 8 header + 18 fixed body + 11-byte key + 68-byte value = 105 bytes. */
const VALUE_BYTES = 68;

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Runs the benchmark in a temp dir; returns throughputs (events/s) and append batch latencies (ms). */
export async function benchLog(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'feedloop-bench-log-'));
  try {
    const log = await openSegmentLog({ dir, partitionCount: PARTITION_COUNT });
    const value = new Uint8Array(VALUE_BYTES).map((_, i) => 32 + (i % 90));
    const batchLatenciesMs: number[] = [];
    let nextBatch = 0;
    const batchCount = TOTAL_RECORDS / BATCH_RECORDS;
    const producer = async () => {
      while (nextBatch < batchCount) {
        const b = nextBatch++;
        const records = Array.from({ length: BATCH_RECORDS }, (_, i) => ({
          key: `u${String((b * BATCH_RECORDS + i) % 100_000).padStart(10, '0')}`,
          value,
        }));
        const started = performance.now();
        await log.append(records);
        batchLatenciesMs.push(performance.now() - started);
      }
    };
    const appendStart = performance.now();
    await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, producer));
    const appendSec = (performance.now() - appendStart) / 1000;

    const consumeStart = performance.now();
    let consumed = 0;
    for (let p = 0; p < PARTITION_COUNT; p++) {
      for (let offset = 0; ; ) {
        const page = await log.read(p, offset, READ_PAGE_RECORDS);
        if (page.length === 0) break;
        offset += page.length;
        consumed += page.length;
      }
    }
    const consumeSec = (performance.now() - consumeStart) / 1000;
    await log.close();
    if (consumed !== TOTAL_RECORDS) throw new Error(`consumed ${consumed} of ${TOTAL_RECORDS} records`);

    batchLatenciesMs.sort((a, b) => a - b);
    return {
      append_events_per_s: Math.round(TOTAL_RECORDS / appendSec),
      consume_events_per_s: Math.round(consumed / consumeSec),
      append_batch_p50_ms: Number(percentile(batchLatenciesMs, 0.5).toFixed(2)),
      append_batch_p99_ms: Number(percentile(batchLatenciesMs, 0.99).toFixed(2)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
