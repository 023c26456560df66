/**
 * One segment file of a partition: `<20-digit base offset>.seg`, a run of records (see record-codec.ts). Holds the
 * committed (acknowledged, readable) size and record count, a sparse offset → byte position index, and the file
 * handle, and recovers itself on open (verify every record, cut a torn tail of the last segment).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { CorruptDataError } from '../../errors.js';
import { readAt } from '../../util/file-io.js';
import { CORRUPT, checkRecord, recordLengthAt, seqAt } from './record-codec.js';

/** One index entry per this many records: 8 bytes of memory per 64 records (~0.08% of 105-byte records). */
export const INDEX_STRIDE = 64;
/** Chunk size of sequential scans (recovery) and the cap of one read(2) on the read path. */
export const SCAN_CHUNK_BYTES = 4 << 20;

const SEGMENT_NAME = /^(\d{20})\.seg$/;

/** File name of the segment whose first record has offset `baseOffset`. */
export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.seg`;
}

/** Base offset encoded in a segment file name, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** What `Segment.recover` found. */
export interface SegmentRecovery {
  segment: Segment;
  /** Bytes cut off a torn or corrupt tail (only the last segment of a partition may have one). */
  truncatedBytes: number;
  /** Largest seq in the segment, -1 when empty. */
  maxSeq: number;
}

export class Segment {
  /** Committed bytes: everything before this position is acknowledged and readable. */
  sizeBytes = 0;
  /** Committed records. */
  recordCount = 0;
  /** Open handle (read-write for the active segment, maybe read-only for sealed ones), or null. */
  handle: FileHandle | null = null;
  /** Monotonic tick of the last read, for closing the least recently read sealed handles. */
  lastReadTick = 0;
  private index = new Float64Array(64);
  private indexLength = 0;
  private readers = 0;
  private opening: Promise<FileHandle> | null = null;

  constructor(
    readonly baseOffset: number,
    readonly path: string,
  ) {}

  /** Creates (or empties) the file and opens it read-write. */
  async createFile(): Promise<void> {
    this.handle = await open(this.path, 'w+');
  }

  /**
   * Opens and verifies an existing segment. A torn or corrupt tail is cut (truncate + fdatasync) when `isLast`;
   * anywhere else it throws CorruptDataError. The last segment stays open read-write; others are closed.
   * `readOnly` (another process may be writing): nothing is cut, the valid prefix is the end, the file is only read.
   */
  static async recover(baseOffset: number, path: string, isLast: boolean, partition: number, readOnly = false): Promise<SegmentRecovery> {
    const segment = new Segment(baseOffset, path);
    const handle = await open(path, isLast && !readOnly ? 'r+' : 'r');
    try {
      const { size } = await handle.stat();
      let pos = 0;
      let maxSeq = -1;
      let want = 0;
      let problem: string | undefined;
      while (pos < size) {
        const bytes = await readAt(handle, pos, Math.min(Math.max(SCAN_CHUNK_BYTES, want), size - pos));
        const chunkEnd = pos + bytes.length;
        let i = 0;
        let status: number;
        while ((status = checkRecord(bytes, i, bytes.length)) > 0) {
          segment.noteRecord(pos + i);
          maxSeq = Math.max(maxSeq, seqAt(bytes, i));
          i += status;
        }
        pos += i;
        if (status === CORRUPT) {
          problem = 'bad length or CRC';
          break;
        }
        // INCOMPLETE: the chunk ends inside a record.
        if (chunkEnd >= size) {
          if (pos < size) problem = 'record cut short at end of file';
          break;
        }
        want = i === 0 ? recordLengthAt(bytes, 0) : 0; // one record larger than a chunk: read it whole
      }
      if (problem !== undefined) {
        if (!isLast) {
          throw new CorruptDataError(
            `partition ${partition}: ${problem} at byte ${pos} of sealed segment ${path} ` +
              '(a torn tail is only possible in the last segment)',
          );
        }
        if (!readOnly) {
          await handle.truncate(pos);
          await handle.datasync();
        }
      }
      segment.sizeBytes = pos;
      if (isLast) segment.handle = handle;
      else await handle.close();
      return { segment, truncatedBytes: readOnly ? 0 : size - pos, maxSeq };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** Counts one committed record starting at byte `position` (records must be noted in order). */
  noteRecord(position: number): void {
    if (this.recordCount % INDEX_STRIDE === 0) this.pushIndex(position);
    this.recordCount++;
  }

  /** Appends the position of record `indexLength * INDEX_STRIDE` to the sparse index. */
  pushIndex(position: number): void {
    if (this.indexLength === this.index.length) {
      const grown = new Float64Array(this.index.length * 2);
      grown.set(this.index);
      this.index = grown;
    }
    this.index[this.indexLength++] = position;
  }

  /** Nearest indexed record at or before `offset` (committed, in this segment): its offset and byte position. */
  locate(offset: number): { offset: number; position: number } {
    const k = Math.floor((offset - this.baseOffset) / INDEX_STRIDE);
    return { offset: this.baseOffset + k * INDEX_STRIDE, position: this.index[k] };
  }

  /** A byte position at or after the end of record `endOffset - 1` and within the committed bytes. */
  boundPosition(endOffset: number): number {
    const k = Math.ceil((endOffset - this.baseOffset) / INDEX_STRIDE);
    return k < this.indexLength ? this.index[k] : this.sizeBytes;
  }

  /** Opens the file for reading if needed and pins the handle until `release()`. */
  async acquire(tick: number): Promise<FileHandle> {
    this.readers++;
    this.lastReadTick = tick;
    try {
      if (this.handle) return this.handle;
      this.opening ??= open(this.path, 'r');
      const handle = await this.opening;
      this.handle = handle;
      this.opening = null;
      return handle;
    } catch (err) {
      this.readers--;
      this.opening = null;
      throw err;
    }
  }

  release(): void {
    this.readers--;
  }

  /** Closes the handle when no read uses it; returns whether it did. */
  async closeIfIdle(): Promise<boolean> {
    if (this.readers > 0 || !this.handle) return false;
    const handle = this.handle;
    this.handle = null;
    await handle.close();
    return true;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle) await handle.close();
  }
}
