/**
 * On-disk record format of the embedded segment log, little-endian:
 *
 *   [u32 bodyLength][u32 crc32(body)][body]
 *   body = [f64 seq][f64 appendTimeMs][u16 keyByteLength][key, UTF-8][value bytes]
 *
 * A record never spans two segment files. The CRC (zlib's CRC-32) covers the whole body, so a torn write or a
 * flipped bit anywhere in the record is detected.
 */
import { crc32 } from 'node:zlib';
import type { LogRecord } from '../../log/event-log.js';
import { CorruptDataError, ValidationError } from '../../errors.js';

/** Bytes before the body: length and CRC. */
export const RECORD_HEADER_BYTES = 8;
/** Fixed part of the body: seq, appendTimeMs, keyByteLength. */
export const BODY_FIXED_BYTES = 18;
/** Largest key, in UTF-8 bytes (u16 length field). */
export const MAX_KEY_BYTES = 0xffff;
/** Largest body we accept (u32 length field, kept below 2 GiB so a record fits in one Buffer). */
export const MAX_BODY_BYTES = 0x7fff_ffff;

/** Encodes one record (header + body) into a fresh Buffer. Throws ValidationError for an oversized key or value. */
export function encodeRecord(seq: number, appendTimeMs: number, key: string, value: Uint8Array): Buffer {
  const keyBytes = Buffer.byteLength(key, 'utf8');
  if (keyBytes > MAX_KEY_BYTES) {
    throw new ValidationError(`key is ${keyBytes} UTF-8 bytes; max ${MAX_KEY_BYTES}`, 'key');
  }
  const bodyBytes = BODY_FIXED_BYTES + keyBytes + value.byteLength;
  if (bodyBytes > MAX_BODY_BYTES) {
    throw new ValidationError(`record is ${bodyBytes} bytes; max ${MAX_BODY_BYTES}`, 'value');
  }
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bodyBytes);
  buf.writeUInt32LE(bodyBytes, 0);
  buf.writeDoubleLE(seq, 8);
  buf.writeDoubleLE(appendTimeMs, 16);
  buf.writeUInt16LE(keyBytes, 24);
  const keyStart = RECORD_HEADER_BYTES + BODY_FIXED_BYTES;
  if (keyBytes > 0) buf.write(key, keyStart, keyBytes, 'utf8');
  buf.set(value, keyStart + keyBytes);
  buf.writeUInt32LE(crc32(buf.subarray(RECORD_HEADER_BYTES)), 4);
  return buf;
}

/** Outcome of checking the bytes at a position: a whole valid record, too few bytes, or garbage. */
export const INCOMPLETE = -1;
export const CORRUPT = -2;

/**
 * Checks the record starting at `pos` in `buf[pos, end)`: returns its total length (header + body) when it is
 * complete and its CRC and key length are valid, `INCOMPLETE` when the bytes end inside it, `CORRUPT` otherwise.
 */
export function checkRecord(buf: Buffer, pos: number, end: number): number {
  if (end - pos < RECORD_HEADER_BYTES) return INCOMPLETE;
  const bodyBytes = buf.readUInt32LE(pos);
  if (bodyBytes < BODY_FIXED_BYTES || bodyBytes > MAX_BODY_BYTES) return CORRUPT;
  const total = RECORD_HEADER_BYTES + bodyBytes;
  if (end - pos < total) return INCOMPLETE;
  const bodyStart = pos + RECORD_HEADER_BYTES;
  if (crc32(buf.subarray(bodyStart, pos + total)) !== buf.readUInt32LE(pos + 4)) return CORRUPT;
  if (BODY_FIXED_BYTES + buf.readUInt16LE(bodyStart + 16) > bodyBytes) return CORRUPT;
  return total;
}

/** Total length (header + body) of the record at `pos`, from its length field alone; needs 4 readable bytes. */
export function recordLengthAt(buf: Buffer, pos: number): number {
  return RECORD_HEADER_BYTES + buf.readUInt32LE(pos);
}

/** The seq stored in the (already checked) record at `pos`. */
export function seqAt(buf: Buffer, pos: number): number {
  return buf.readDoubleLE(pos + RECORD_HEADER_BYTES);
}

/**
 * Decodes the complete record at `pos` (its length must fit in `buf`), verifying its CRC. The value is copied, so
 * callers may keep or mutate it without pinning or corrupting the read buffer.
 */
export function decodeRecord(buf: Buffer, pos: number, partition: number, offset: number): LogRecord {
  const total = checkRecord(buf, pos, buf.length);
  if (total < 0) {
    throw new CorruptDataError(`partition ${partition}: record at offset ${offset} fails its length/CRC check`);
  }
  const bodyStart = pos + RECORD_HEADER_BYTES;
  const keyBytes = buf.readUInt16LE(bodyStart + 16);
  const keyStart = bodyStart + BODY_FIXED_BYTES;
  const valueStart = keyStart + keyBytes;
  const value = new Uint8Array(pos + total - valueStart);
  value.set(buf.subarray(valueStart, pos + total));
  return {
    partition,
    offset,
    seq: buf.readDoubleLE(bodyStart),
    appendTimeMs: buf.readDoubleLE(bodyStart + 8),
    key: buf.toString('utf8', keyStart, valueStart),
    value,
  };
}
