/**
 * One partition of the embedded segment log: its directory of segments, its readable end offset, the write path of
 * a flush (prepare → write (+ fdatasync) → commit, or rollback) and the read path (sparse index + large reads, with a
 * small in-memory copy of the most recently committed bytes for consumers tailing the writer).
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogRecord } from '../../log/event-log.js';
import { CorruptDataError, NotFoundError } from '../../errors.js';
import { fsyncDir, isErrnoCode, readAt, writeFully } from '../../util/file-io.js';
import { decodeRecord, recordLengthAt } from './record-codec.js';
import { TailCache } from './tail-cache.js';
import { INDEX_STRIDE, SCAN_CHUNK_BYTES, Segment, parseSegmentFileName, segmentFileName } from './segment-file.js';

/** Bytes of recently committed data kept in memory per partition for tail reads. */
export const TAIL_CACHE_BYTES = 2 << 20;
/** Sealed segments per partition whose read handles stay open (least recently read ones are closed first). */
const MAX_OPEN_SEALED_SEGMENTS = 4;

/** Test hooks called before each write / fdatasync of a partition; throwing simulates EIO or ENOSPC. */
export interface FaultHooks {
  beforeWrite?: (partition: number) => void | Promise<void>;
  beforeSync?: (partition: number) => void | Promise<void>;
}

/** The bytes of one flush that go to one segment. */
interface FlushPiece {
  segment: Segment;
  isNewSegment: boolean;
  startPosition: number;
  bytes: Buffer;
  recordCount: number;
  /** Positions of the records that get a sparse-index entry, in order. */
  indexPositions: number[];
}

/** One partition's share of a flush, built by `prepare`. */
export interface PartitionFlush {
  partition: PartitionLog;
  /** Offset of the first record of this flush. */
  baseOffset: number;
  recordCount: number;
  pieces: FlushPiece[];
}

export class PartitionLog {
  /** Readable end offset: records below it are acknowledged. */
  endOffset = 0;
  /** Written but not yet fdatasynced (interval durability). */
  dirty = false;
  private readonly cache = new TailCache(TAIL_CACHE_BYTES);
  private readTick = 0;

  private constructor(
    readonly id: number,
    readonly dir: string,
    private readonly segments: Segment[],
  ) {
    const last = segments[segments.length - 1];
    this.endOffset = last.baseOffset + last.recordCount;
  }

  /** Opens (creating if needed) and recovers the partition in `dir`; `readOnly` creates and cuts nothing. */
  static async open(id: number, dir: string, readOnly = false): Promise<{ log: PartitionLog; truncatedBytes: number; maxSeq: number }> {
    if (!readOnly) await mkdir(dir, { recursive: true });
    const bases = (await readdir(dir))
      .map(parseSegmentFileName)
      .filter((b): b is number => b !== undefined)
      .sort((a, b) => a - b);
    const segments: Segment[] = [];
    let truncatedBytes = 0;
    let maxSeq = -1;
    try {
      if (bases.length === 0 && readOnly) throw new NotFoundError(`partition ${id}: no segment files in ${dir}`, 'dir');
      if (bases.length === 0) {
        const segment = new Segment(0, join(dir, segmentFileName(0)));
        await segment.createFile();
        await fsyncDir(dir);
        segments.push(segment);
      }
      for (let i = 0; i < bases.length; i++) {
        const r = await Segment.recover(bases[i], join(dir, segmentFileName(bases[i])), i === bases.length - 1, id, readOnly);
        const prev = segments[segments.length - 1];
        if (prev && prev.baseOffset + prev.recordCount !== r.segment.baseOffset) {
          await r.segment.close();
          throw new CorruptDataError(
            `partition ${id}: segment ${r.segment.baseOffset} does not follow segment ${prev.baseOffset} ` +
              `(${prev.recordCount} records): records are missing`,
          );
        }
        segments.push(r.segment);
        truncatedBytes += r.truncatedBytes;
        maxSeq = Math.max(maxSeq, r.maxSeq);
      }
    } catch (err) {
      await Promise.allSettled(segments.map((s) => s.close()));
      throw err;
    }
    return { log: new PartitionLog(id, dir, segments), truncatedBytes, maxSeq };
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /**
   * Lays out encoded records (in offset order) into pieces: the rest of the active segment, then new segments
   * whenever the next record would take a non-empty segment past `segmentMaxBytes`. Touches no state.
   */
  prepare(records: readonly Buffer[], segmentMaxBytes: number): PartitionFlush {
    const pieces: FlushPiece[] = [];
    let segment = this.active;
    let isNewSegment = false;
    let startPosition = segment.sizeBytes;
    let size = startPosition;
    let countInSegment = segment.recordCount;
    let chunk: Buffer[] = [];
    let indexPositions: number[] = [];
    const finishPiece = () => {
      if (chunk.length === 0) return;
      const bytes = Buffer.concat(chunk, size - startPosition);
      pieces.push({ segment, isNewSegment, startPosition, bytes, recordCount: chunk.length, indexPositions });
    };
    for (const record of records) {
      if (size > 0 && size + record.length > segmentMaxBytes) {
        finishPiece();
        const base = segment.baseOffset + countInSegment;
        segment = new Segment(base, join(this.dir, segmentFileName(base)));
        isNewSegment = true;
        startPosition = size = countInSegment = 0;
        chunk = [];
        indexPositions = [];
      }
      if (countInSegment % INDEX_STRIDE === 0) indexPositions.push(size);
      chunk.push(record);
      size += record.length;
      countInSegment++;
    }
    finishPiece();
    return { partition: this, baseOffset: this.endOffset, recordCount: records.length, pieces };
  }

  /**
   * Writes a prepared flush, one write per piece. Fdatasyncs every piece when `syncAll` (fsync durability), and in
   * any case every piece followed by another, so only the last segment of a partition can ever hold unsynced bytes
   * (which is what lets recovery treat damage in a sealed segment as corruption).
   */
  async write(flush: PartitionFlush, hooks: FaultHooks, syncAll: boolean): Promise<void> {
    for (let i = 0; i < flush.pieces.length; i++) {
      const piece = flush.pieces[i];
      if (piece.isNewSegment) {
        if (i === 0 && this.dirty) {
          // Interval durability: seal the old segment durably before a new one exists (see above).
          await hooks.beforeSync?.(this.id);
          await this.active.handle!.datasync();
        }
        await piece.segment.createFile();
        await fsyncDir(this.dir);
      }
      const handle = piece.segment.handle!;
      await hooks.beforeWrite?.(this.id);
      await writeFully(handle, piece.bytes, piece.startPosition);
      if (syncAll || i < flush.pieces.length - 1) {
        await hooks.beforeSync?.(this.id);
        await handle.datasync();
      }
    }
  }

  /** Undoes a written (or partly written) flush: new segment files removed, the active one truncated, both durably. */
  async rollback(flush: PartitionFlush): Promise<void> {
    const created = flush.pieces.filter((p) => p.isNewSegment);
    for (const piece of created) {
      await piece.segment.close();
      await unlink(piece.segment.path).catch((err: unknown) => {
        if (!isErrnoCode(err, 'ENOENT')) throw err;
      });
    }
    if (created.length > 0) await fsyncDir(this.dir);
    const active = this.active;
    await active.handle!.truncate(active.sizeBytes);
    await active.handle!.datasync();
  }

  /** Makes a written flush readable. Synchronous, so the log can commit all partitions of a flush at one instant. */
  commit(flush: PartitionFlush, durable: boolean): void {
    for (const piece of flush.pieces) {
      const segment = piece.segment;
      if (piece.isNewSegment) {
        this.segments.push(segment);
        this.cache.clear();
      }
      for (const position of piece.indexPositions) segment.pushIndex(position);
      segment.sizeBytes = piece.startPosition + piece.bytes.length;
      segment.recordCount += piece.recordCount;
      this.cache.add(piece.startPosition, piece.bytes);
    }
    this.endOffset += flush.recordCount;
    if (!durable) this.dirty = true;
  }

  /** Fdatasyncs the active segment if it has unsynced bytes (interval durability). */
  async sync(hooks: FaultHooks): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await hooks.beforeSync?.(this.id);
    await this.active.handle!.datasync();
  }

  /** Up to `maxRecords` committed records from `fromOffset` on. */
  async read(fromOffset: number, maxRecords: number): Promise<LogRecord[]> {
    const end = Math.min(this.endOffset, fromOffset + maxRecords);
    const out: LogRecord[] = [];
    let offset = Math.max(fromOffset, this.segments[0].baseOffset);
    let touchedSealed = false;
    while (offset < end) {
      const si = this.segmentIndexOf(offset);
      const segment = this.segments[si];
      const segmentEnd = Math.min(end, segment.baseOffset + segment.recordCount);
      touchedSealed ||= si < this.segments.length - 1;
      offset = await this.readSegment(segment, offset, segmentEnd, out);
    }
    if (touchedSealed) await this.closeIdleSealedHandles();
    return out;
  }

  /** Appends the records [offset, end) of `segment` to `out`; returns `end`. */
  private async readSegment(segment: Segment, offset: number, end: number, out: LogRecord[]): Promise<number> {
    let { offset: current, position } = segment.locate(offset);
    let handle = null;
    let wantBytes = 0;
    try {
      while (current < end) {
        let bytes = segment === this.active ? this.cache.from(position) : undefined;
        let shortRead = false;
        if (!bytes) {
          handle ??= await segment.acquire(++this.readTick);
          const length = Math.max(Math.min(segment.boundPosition(end) - position, SCAN_CHUNK_BYTES), wantBytes);
          bytes = await readAt(handle, position, length);
          shortRead = bytes.length < length;
        }
        let i = 0;
        while (current < end && i + 4 <= bytes.length) {
          const n = recordLengthAt(bytes, i);
          if (i + n > bytes.length) break;
          if (current >= offset) out.push(decodeRecord(bytes, i, this.id, current));
          current++;
          i += n;
        }
        if (i === 0) {
          // The first record is larger than the chunk: read it whole next time.
          if (shortRead || bytes.length < 4) {
            throw new CorruptDataError(`partition ${this.id}: segment ${segment.path} is shorter than its records`);
          }
          wantBytes = recordLengthAt(bytes, 0);
        } else {
          wantBytes = 0;
        }
        position += i;
      }
    } finally {
      if (handle) segment.release();
    }
    return end;
  }

  /** Index of the segment holding `offset` (binary search over base offsets). */
  private segmentIndexOf(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private async closeIdleSealedHandles(): Promise<void> {
    const open = this.segments.slice(0, -1).filter((s) => s.handle !== null);
    if (open.length <= MAX_OPEN_SEALED_SEGMENTS) return;
    open.sort((a, b) => a.lastReadTick - b.lastReadTick);
    let excess = open.length - MAX_OPEN_SEALED_SEGMENTS;
    for (const s of open) {
      if (excess === 0) break;
      if (await s.closeIfIdle()) excess--;
    }
  }

  /** Closes every segment file. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.segments.map((s) => s.close()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
