/**
 * The loader of the embedded serve log (written by `JsonlServeLog`): what training-set builders and off-policy
 * evaluation read.
 *
 * - Files `serve-*.jsonl` of the directory are read in name order (= creation order), each line by line, streaming
 *   (memory stays at one read chunk plus one line), so records come out in the order they were written.
 * - The numeric blocks (`features`, `scores`) come back as Float32Array, bit-exact (record-codec.ts).
 * - A last line without its `\n` that does not parse is a write torn by a crash (or one still in progress): it is
 *   skipped. Any other line that does not parse, or is not a serve record, throws `CorruptDataError` naming
 *   `file:line`. Blank lines are ignored.
 * - Lines are checked only for the fields the loader itself relies on (`request_id`, `ts`); files are trusted
 *   beyond that, being written by the adapter.
 */
import { decodeServeRecord } from './record-codec.js';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServeRecord } from '../domain/feed.js';
import { CorruptDataError, NotFoundError } from '../errors.js';
import { SERVE_FILE_PATTERN } from './jsonl-serve-log.js';

export interface ReadServeLogOptions {
  /** Only records with `ts >= fromMs`. */
  fromMs?: number;
  /** Only records with `ts < toMs`. */
  toMs?: number;
}

const READ_CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Every record of the serve log in `dir`, in write order, optionally limited to `fromMs <= ts < toMs` (every file
 * is scanned: `ts` is request time, which file names do not bound). Throws NotFoundError when `dir` does not exist
 * and CorruptDataError on a bad line that is not a torn last line.
 */
export async function* readServeLog(dir: string, opts: ReadServeLogOptions = {}): AsyncGenerator<ServeRecord> {
  const fromMs = opts.fromMs ?? -Infinity;
  const toMs = opts.toMs ?? Infinity;
  for (const path of await serveLogFiles(dir)) {
    for await (const record of readFile(path)) {
      if (record.ts >= fromMs && record.ts < toMs) yield record;
    }
  }
}

/**
 * The serve rows of the given requests (to join impressions to what was served), first occurrence of each id.
 * Stops reading once every id was found.
 */
export async function serveRecordsByRequestId(
  dir: string,
  requestIds: Set<string>,
  opts: ReadServeLogOptions = {},
): Promise<Map<string, ServeRecord>> {
  const found = new Map<string, ServeRecord>();
  if (requestIds.size === 0) return found;
  for await (const record of readServeLog(dir, opts)) {
    if (requestIds.has(record.request_id) && !found.has(record.request_id)) {
      found.set(record.request_id, record);
      if (found.size === requestIds.size) break;
    }
  }
  return found;
}

/** Paths of the serve-log files of `dir`, in name order. */
export async function serveLogFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`serve log directory ${dir} does not exist`);
    throw err;
  }
  return names
    .filter((n) => SERVE_FILE_PATTERN.test(n))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n));
}

async function* readFile(path: string): AsyncGenerator<ServeRecord> {
  let pending: Buffer[] = [];
  let lineNo = 0;
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      let nl: number;
      while ((nl = chunk.indexOf(NEWLINE, start)) !== -1) {
        const piece = chunk.subarray(start, nl);
        const line = pending.length ? Buffer.concat([...pending, piece]).toString('utf8') : piece.toString('utf8');
        pending = [];
        start = nl + 1;
        lineNo++;
        const record = parseLine(line, path, lineNo, false);
        if (record) yield record;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (err) {
    // a file removed between listing and reading (retention) has nothing left to give
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  } finally {
    stream.destroy();
  }
  if (pending.length) {
    const record = parseLine(Buffer.concat(pending).toString('utf8'), path, lineNo + 1, true);
    if (record) yield record;
  }
}

/** A record, or undefined for a blank line or a torn last line. */
function parseLine(line: string, path: string, lineNo: number, unterminated: boolean): ServeRecord | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    if (unterminated) return undefined; // torn by a crash mid-write, or being written right now
    throw new CorruptDataError(`${path}:${lineNo}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const r = value as Partial<ServeRecord> | null;
  if (typeof r !== 'object' || r === null || typeof r.request_id !== 'string' || typeof r.ts !== 'number') {
    throw new CorruptDataError(`${path}:${lineNo}: not a serve record (needs string request_id and number ts)`);
  }
  try {
    return decodeServeRecord(r);
  } catch (err) {
    throw new CorruptDataError(`${path}:${lineNo}: ${(err as Error).message}`, { cause: err });
  }
}
