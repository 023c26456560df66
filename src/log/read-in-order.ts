/**
 * Reads a whole log in its replay order: partitions merged by `seq` when the log has a total order (the embedded
 * log), else partition by partition. For offline jobs (training-set extraction); the stream processor has its own
 * incremental version of the same merge.
 */
import type { EventLog, LogRecord } from './event-log.js';

export async function* logRecordsInOrder(log: EventLog, chunk = 4096): AsyncGenerator<LogRecord> {
  const ends = await log.endOffsets();
  const pos = ends.map(() => 0);
  const bufs: LogRecord[][] = ends.map(() => []);
  const at = ends.map(() => 0);
  for (;;) {
    for (let p = 0; p < ends.length; p++) {
      if (at[p] >= bufs[p].length && pos[p] < ends[p]) {
        bufs[p] = await log.read(p, pos[p], Math.min(chunk, ends[p] - pos[p]));
        at[p] = 0;
        pos[p] += bufs[p].length;
      }
    }
    const best = earliestHead(bufs, at);
    if (best === -1) return;
    yield bufs[best][at[best]++];
  }
}

/**
 * The partition whose buffered head record comes first in replay order (lowest `seq`; the first non-empty partition
 * when the log has no total order), or -1 when every buffer is exhausted. `at[p]` is the head index of `bufs[p]`.
 */
export function earliestHead(bufs: readonly (readonly LogRecord[])[], at: readonly number[]): number {
  let best = -1;
  for (let p = 0; p < bufs.length; p++) {
    if (at[p] >= bufs[p].length) continue;
    if (best === -1) best = p;
    else {
      const s = bufs[p][at[p]].seq;
      const b = bufs[best][at[best]].seq;
      if (s !== undefined && b !== undefined && s < b) best = p;
    }
  }
  return best;
}
