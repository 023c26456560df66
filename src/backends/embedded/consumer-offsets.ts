/**
 * Committed consumer-group offsets of the embedded log: one small JSON file per group, `offsets/<group>.json`
 * (group name URI-encoded), replaced atomically (temp file, fsync, rename, fsync directory). Commits of one group
 * are serialised, so the last `commit` call wins.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendUnavailableError, CorruptDataError, ValidationError } from '../../errors.js';
import { isErrnoCode, writeFileAtomic } from '../../util/file-io.js';

/** Keeps `<group>.json` and its temp-file name below the usual 255-byte file name limit. */
const MAX_ENCODED_GROUP_CHARS = 200;

export class ConsumerOffsetStore {
  private readonly chains = new Map<string, Promise<void>>();

  private constructor(
    private readonly dir: string,
    private readonly partitionCount: number,
    private readonly readOnly = false,
  ) {}

  /** Opens `dir` (created if missing) and removes temp files left by a crash mid-commit. */
  static async open(dir: string, partitionCount: number, readOnly = false): Promise<ConsumerOffsetStore> {
    if (readOnly) return new ConsumerOffsetStore(dir, partitionCount, true);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
    }
    return new ConsumerOffsetStore(dir, partitionCount);
  }

  /** Durably records `offsets` (one per partition) for `group`. */
  async commit(group: string, offsets: readonly number[]): Promise<void> {
    if (this.readOnly) throw new BackendUnavailableError('event log is open read-only');
    const path = this.pathOf(group);
    if (offsets.length !== this.partitionCount) {
      throw new ValidationError(`expected ${this.partitionCount} offsets, got ${offsets.length}`, 'offsets');
    }
    offsets.forEach((o, i) => {
      if (!Number.isSafeInteger(o) || o < 0) {
        throw new ValidationError(`offset must be a non-negative integer, got ${o}`, `offsets/${i}`);
      }
    });
    const data = JSON.stringify({ group, offsets: [...offsets] });
    const previous = this.chains.get(group) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => writeFileAtomic(path, data));
    this.chains.set(group, next);
    try {
      await next;
    } finally {
      if (this.chains.get(group) === next) this.chains.delete(group);
    }
  }

  /** Waits for the commits in progress. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.chains.values());
  }

  /** The group's committed offsets, all 0 when it never committed. */
  async committed(group: string): Promise<number[]> {
    const path = this.pathOf(group);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) return new Array<number>(this.partitionCount).fill(0);
      throw err;
    }
    let offsets: unknown;
    try {
      offsets = (JSON.parse(text) as { offsets?: unknown }).offsets;
    } catch (err) {
      throw new CorruptDataError(`consumer offsets file ${path} is not valid JSON`, { cause: err });
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== this.partitionCount ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    ) {
      throw new CorruptDataError(`consumer offsets file ${path} does not hold ${this.partitionCount} offsets`);
    }
    return offsets as number[];
  }

  private pathOf(group: string): string {
    let encoded = '';
    try {
      encoded = encodeURIComponent(group);
    } catch {
      // a lone surrogate: rejected below
    }
    if (encoded.length === 0 || encoded.length > MAX_ENCODED_GROUP_CHARS) {
      throw new ValidationError(
        `group name must be a non-empty well-formed string of at most ${MAX_ENCODED_GROUP_CHARS} URI-encoded chars`,
        'group',
      );
    }
    return join(this.dir, `${encoded}.json`);
  }
}
