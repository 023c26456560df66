/**
 * Worker-thread entry of the serve log's encoder (record-encoder.ts): receives batches of columnar records, answers
 * with one UTF-8 line per record (transferred, not copied), or null for a record that cannot be serialised.
 */
import { parentPort } from 'node:worker_threads';
import type { ColumnarRecord } from './record-codec.js';
import { columnarToLineBytes } from './line-bytes.js';

/** A batch to encode. */
export interface EncodeRequest {
  id: number;
  records: ColumnarRecord[];
}

/** The lines of a batch, in order; null where a record could not be serialised. */
export interface EncodeResponse {
  id: number;
  lines: (Uint8Array | null)[];
}

const port = parentPort;
if (port) {
  port.on('message', (req: EncodeRequest) => {
    const lines = req.records.map((c) => {
      try {
        return columnarToLineBytes(c);
      } catch {
        return null;
      }
    });
    const transfer = lines.flatMap((l) => (l ? [l.buffer as ArrayBuffer] : []));
    port.postMessage({ id: req.id, lines } satisfies EncodeResponse, transfer);
  });
}
