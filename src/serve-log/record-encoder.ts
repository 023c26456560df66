/**
 * Turns serve records into log lines for the JSONL serve log, off the event loop where possible.
 *
 * A 600-candidate record is ~200 KB of JSON, most of it base64 of the feature block; Node 20's base64 runs at
 * ~175 MB/s, so encoding on the event loop cost ~1–2 ms per feed request (the drain runs between requests, so the
 * next request waited). Records arrive prepared (`toColumnar` on the caller's thread: the line's JSON text in a few
 * parts and the float blocks as typed arrays; posting 1,000 id strings per record instead cost the event loop
 * ~0.5 ms per request in structured cloning). `workerEncoder` copies and transfers the typed arrays (not cloned); the
 * lines are built as bytes (`columnarToLineBytes`) in one worker thread, which answers batches in order and
 * transfers them back. If the worker cannot be started or dies, encoding continues on the caller's thread
 * (`inThreadEncoder`), so a record is never lost to the encoder.
 */
import { Worker } from 'node:worker_threads';
import type { EncodeRequest, EncodeResponse } from './encode-worker.js';
import type { ColumnarRecord } from './record-codec.js';
import { columnarToLineBytes } from './line-bytes.js';

export interface RecordEncoder {
  /** One line (with its newline) per columnar record (`toColumnar`), in order; null for a null record or one that cannot be serialised. */
  encode(records: readonly (ColumnarRecord | null)[]): Promise<(Buffer | null)[]>;
  close(): Promise<void>;
}

const toBuffer = (l: Uint8Array | null): Buffer | null => (l ? Buffer.from(l.buffer, l.byteOffset, l.byteLength) : null);

const lineOf = (c: ColumnarRecord | null): Buffer | null => {
  if (!c) return null;
  try {
    return toBuffer(columnarToLineBytes(c));
  } catch {
    return null; // BigInt, cycles, a throwing getter: this record only
  }
};

/**
 * A copy of the record whose typed arrays have buffers of their own, and those buffers: posted with them in the
 * transfer list, they move to the worker instead of being cloned (cloning a 600-candidate record's blocks cost
 * ~0.3 ms of the event loop, the copies ~0.02 ms). The originals stay intact: the record may still be read here
 * (recent records for explanations, encoding here should the worker fail).
 */
function forTransfer(c: ColumnarRecord): { record: ColumnarRecord; buffers: ArrayBuffer[] } {
  const buffers: ArrayBuffer[] = [];
  const own = <T extends Float32Array | Float64Array>(a: T): T => {
    const copy = a.slice() as T;
    buffers.push(copy.buffer as ArrayBuffer);
    return copy;
  };
  const scores: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(c.scores)) scores[k] = own(v);
  return { record: { ...c, features: own(c.features), sourceScores: c.sourceScores.map(own), scores }, buffers };
}

export function inThreadEncoder(): RecordEncoder {
  return {
    encode: (records) => Promise.resolve(records.map(lineOf)),
    close: () => Promise.resolve(),
  };
}

export function workerEncoder(): RecordEncoder {
  let worker: Worker | undefined;
  let broken = false;
  let nextId = 0;
  /** Batches in flight: their columnar records (null: could not be converted, never posted) and their resolver. */
  const pending = new Map<number, { resolve: (lines: (Buffer | null)[]) => void; columnar: readonly (ColumnarRecord | null)[] }>();
  const failAll = () => {
    broken = true;
    worker = undefined;
    // batches in flight are encoded here instead, in order
    for (const [id, p] of [...pending].sort((a, b) => a[0] - b[0])) {
      pending.delete(id);
      p.resolve(p.columnar.map(lineOf));
    }
  };
  const start = (): Worker | undefined => {
    if (worker || broken) return worker;
    try {
      const w = new Worker(new URL('./encode-worker.js', import.meta.url));
      w.unref();
      w.on('message', (res: EncodeResponse) => {
        const p = pending.get(res.id);
        if (!p) return;
        pending.delete(res.id);
        // the worker answered for the posted records only: put the unconvertible ones (null) back in their places
        let k = 0;
        p.resolve(p.columnar.map((c) => (c ? toBuffer(res.lines[k++]) : null)));
      });
      w.on('error', failAll);
      w.on('exit', () => {
        if (worker === w) failAll();
      });
      worker = w;
    } catch {
      broken = true;
    }
    return worker;
  };
  return {
    encode(columnar) {
      const w = start();
      if (!w) return Promise.resolve(columnar.map(lineOf));
      const id = nextId++;
      return new Promise((resolve) => {
        try {
          const posted = columnar.filter((c): c is ColumnarRecord => c !== null).map(forTransfer);
          w.postMessage({ id, records: posted.map((p) => p.record) } satisfies EncodeRequest, posted.flatMap((p) => p.buffers));
          pending.set(id, { resolve, columnar });
        } catch {
          resolve(columnar.map(lineOf)); // something not cloneable: encode here, record by record
        }
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      broken = true;
      if (w) await w.terminate();
      failAll();
    },
  };
}
