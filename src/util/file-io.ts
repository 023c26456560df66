/** Small durable-file helpers for the embedded backends (positional I/O, directory fsync, atomic replace). */
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten} bytes`);
    done += bytesWritten;
  }
}

/** Reads up to `length` bytes at `position`; the result is shorter only at end of file. */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** fsyncs a directory, making the creation, rename or removal of its entries durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` atomically and durably: write a temp file, fsync it, rename it over `path`, fsync the directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}

/**
 * Replaces the folder `dir` as a whole: `fill(tmp)` writes the new contents into a temporary sibling, which is then
 * renamed into place (the old folder moved aside first and removed after), and the parent directory fsynced, so
 * readers see the old or the new folder, never half of one. On failure the temporary folder is removed.
 */
export async function replaceDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const stamp = `${process.pid}-${Date.now()}-${randomBytes(2).toString('hex')}`;
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${stamp}`);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = join(dirname(dir), `.${basename(dir)}.old-${stamp}`);
  let hadOld = true;
  try {
    await rename(dir, old);
  } catch (err) {
    if (!isErrnoCode(err, 'ENOENT')) throw err;
    hadOld = false;
  }
  await rename(tmp, dir);
  await fsyncDir(dirname(dir));
  if (hadOld) await rm(old, { recursive: true, force: true });
}

/** True when `err` is a Node system error with the given code (e.g. `ENOENT`). */
export function isErrnoCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
