/**
 * What every dataset loader produces, and the small file helpers they share. A loader turns one dataset folder under
 * `datasetsDir` into batches of raw wire records (items, then users, then events; at most {@link BATCH_SIZE} each)
 * that the importer feeds through the same `Ingestor` validation path as HTTP.
 *
 * Conventions shared by all loaders:
 * - Item and user ids are the dataset's own ids as strings, without a prefix (evaluation code can read the split files
 *   and match ids directly). Import one dataset per instance: two datasets' ids would collide.
 * - Event ids are `<dataset-tag>:<user>:<item>`, deterministic, so re-importing counts duplicates instead of doubling.
 * - `created_at: 0` on an item means "upload time unknown".
 * - Datasets without timestamps get synthetic ones (see {@link syntheticTs}).
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ValidationError } from '../../errors.js';

/** The kinds of record a loader emits, in emission order. */
export type RecordKind = 'items' | 'users' | 'events';

/** Up to {@link BATCH_SIZE} raw records of one kind (validated later by the ingestor, not here). */
export interface DatasetBatch {
  kind: RecordKind;
  records: unknown[];
}

/** Record counts per kind, for progress display. Exact for the bundled loaders; a loader may estimate. */
export interface DatasetTotals {
  items: number;
  users: number;
  events: number;
}

/** Options every loader accepts. */
export interface DatasetLoaderOptions {
  /** Folder holding the dataset folders (e.g. `../shared/datasets`); resolved by the caller. */
  datasetsDir: string;
  /** For train/valid/test splits: also import the validation interactions as events (default: train only). */
  includeValid?: boolean;
}

/**
 * One dataset, ready to stream. Both methods first check that the dataset's files exist and reject with a
 * `ValidationError` (code `dataset_file_missing`, field `datasetsDir`) naming the missing path.
 */
export interface DatasetLoader {
  readonly name: string;
  /** Counts per kind, from a quick scan of the files. */
  totals(): Promise<DatasetTotals>;
  /** All items, then all users, then all events, in batches of at most {@link BATCH_SIZE} records. */
  batches(): AsyncGenerator<DatasetBatch>;
}

/** Largest batch a loader emits: the ingest API's batch limit. */
export const BATCH_SIZE = 1000;

/** Base of synthetic event times for datasets without timestamps: 2020-01-01T00:00:00Z. */
export const SYNTHETIC_BASE_MS = Date.UTC(2020, 0, 1);
/** Gap between a user's consecutive synthetic events. */
export const SYNTHETIC_STEP_MS = 1000;

/**
 * Synthetic event time for a dataset without timestamps: the user's `k`-th interaction (0-based, in file order)
 * happens at `SYNTHETIC_BASE_MS + k * SYNTHETIC_STEP_MS`. All users thus start together and the whole dataset spans
 * only (longest user history) seconds, so time-decayed features see it as one snapshot instead of inventing a trend
 * (as one global sequence over users would).
 */
export function syntheticTs(k: number): number {
  return SYNTHETIC_BASE_MS + k * SYNTHETIC_STEP_MS;
}

/** Rejects with a `ValidationError` naming the first of `paths` that does not exist or cannot be read. */
export async function requireFiles(dataset: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    try {
      await access(p);
    } catch {
      throw new ValidationError(
        `dataset ${dataset}: missing file ${p} (is datasetsDir pointing at the shared datasets folder?)`,
        'datasetsDir',
        'dataset_file_missing',
      );
    }
  }
}

/** A `ValidationError` for a line of a dataset file that cannot be parsed. */
export function malformed(path: string, lineNo: number, what: string): ValidationError {
  return new ValidationError(`${path}:${lineNo}: ${what}`, 'datasetsDir', 'dataset_file_malformed');
}

/** Streams a text file's non-blank lines (without line terminators) with their 1-based line numbers. */
export async function* readLines(
  path: string,
  encoding: BufferEncoding = 'utf8',
): AsyncGenerator<{ line: string; lineNo: number }> {
  const input = createReadStream(path, { encoding });
  const rl = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of rl) {
      lineNo++;
      if (line.trim() !== '') yield { line, lineNo };
    }
  } finally {
    rl.close();
    input.destroy(); // releases the file descriptor when the caller stops early
  }
}

/** Number of non-blank lines in a text file (streamed). */
export async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const _ of readLines(path, 'latin1')) n++;
  return n;
}

/** Splits a line on runs of whitespace, ignoring leading/trailing blanks. */
export function fields(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** Parses a decimal integer field or throws a `malformed` error. */
export function intField(value: string | undefined, path: string, lineNo: number, name: string): number {
  const n = value === undefined ? NaN : Number(value);
  if (!Number.isInteger(n)) throw malformed(path, lineNo, `${name} is not an integer: ${JSON.stringify(value)}`);
  return n;
}

/** Cuts records (sync or async) into batches of at most {@link BATCH_SIZE}. */
export async function* inBatches(
  kind: RecordKind,
  records: Iterable<unknown> | AsyncIterable<unknown>,
): AsyncGenerator<DatasetBatch> {
  let buf: unknown[] = [];
  for await (const r of records) {
    buf.push(r);
    if (buf.length === BATCH_SIZE) {
      yield { kind, records: buf };
      buf = [];
    }
  }
  if (buf.length > 0) yield { kind, records: buf };
}

/** Orders ids numerically when both are integers, else as strings: a stable, human-friendly order. */
export function compareIds(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isInteger(x) && Number.isInteger(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Interleaves per-user histories round-robin: every user's 0th row (users in the given order), then every user's
 * 1st row, and so on, with `k` the row's index in its user's history. Paired with {@link syntheticTs} this yields
 * events in non-decreasing time.
 */
export function* roundRobin<T>(
  perUser: ReadonlyArray<readonly [user: string, rows: readonly T[]]>,
): Generator<{ user: string; row: T; k: number }> {
  let active = perUser.filter(([, rows]) => rows.length > 0);
  for (let k = 0; active.length > 0; k++) {
    for (const [user, rows] of active) yield { user, row: rows[k], k };
    active = active.filter(([, rows]) => rows.length > k + 1);
  }
}

/** What distinguishes one train/valid/test split dataset from another (see {@link splitDatasetLoader}). */
export interface SplitDatasetSpec<Row> {
  /** Loader name, as in error messages. */
  name: string;
  /** Path segments of the split folder under `datasetsDir`, holding `train.txt`, `valid.txt` and `test.txt`. */
  dir: readonly string[];
  /** Parses one non-blank line into its user and interaction rows, or throws a {@link malformed} error. */
  parseLine(line: string, path: string, lineNo: number): { user: string; rows: Row[] };
  /** The item id of a row. */
  itemOf(row: Row): string;
  /** `author_id` of every item (split ids are remapped, so real authors cannot be joined). */
  authorId: string;
  /** The event record for a user's `k`-th imported row (use {@link syntheticTs}`(k)` as its time). */
  toEvent(user: string, row: Row, k: number): unknown;
}

/**
 * A loader for a train/valid/test split without timestamps. Items and users are the union over all three files
 * (ids only, sorted by {@link compareIds}); events are the train rows (plus valid with `includeValid`) in each user's
 * file order, emitted {@link roundRobin} over users. The files are scanned once, on first use.
 */
export function splitDatasetLoader<Row>(spec: SplitDatasetSpec<Row>, opts: DatasetLoaderOptions): DatasetLoader {
  const dir = join(opts.datasetsDir, ...spec.dir);
  const train = join(dir, 'train.txt');
  const valid = join(dir, 'valid.txt');
  const test = join(dir, 'test.txt');
  let scanned: Promise<SplitScan<Row>> | undefined;

  const scan = async (): Promise<SplitScan<Row>> => {
    await requireFiles(spec.name, [train, valid, test]);
    const items = new Set<string>();
    const histories = new Map<string, Row[]>();
    let events = 0;
    for (const [path, asEvents] of [[train, true], [valid, opts.includeValid === true], [test, false]] as const) {
      for await (const { line, lineNo } of readLines(path)) {
        const { user, rows } = spec.parseLine(line, path, lineNo);
        let h = histories.get(user);
        if (!h) histories.set(user, (h = []));
        for (const row of rows) items.add(spec.itemOf(row));
        if (asEvents) {
          for (const row of rows) h.push(row);
          events += rows.length;
        }
      }
    }
    const users = [...histories.keys()].sort(compareIds);
    return {
      items: [...items].sort(compareIds),
      users,
      histories: users.map((u) => [u, histories.get(u) ?? []]),
      events,
    };
  };
  const once = () => (scanned ??= scan());

  return {
    name: spec.name,
    async totals(): Promise<DatasetTotals> {
      const s = await once();
      return { items: s.items.length, users: s.users.length, events: s.events };
    },
    async *batches(): AsyncGenerator<DatasetBatch> {
      const s = await once();
      yield* inBatches('items', s.items.map((id) => ({ id, author_id: spec.authorId, created_at: 0 })));
      yield* inBatches('users', s.users.map((id) => ({ id })));
      yield* inBatches('events', splitEvents(spec, s.histories));
    },
  };
}

interface SplitScan<Row> {
  items: string[];
  users: string[];
  /** Per user (sorted by id): the rows to import as events, in file order. */
  histories: Array<[string, Row[]]>;
  events: number;
}

function* splitEvents<Row>(spec: SplitDatasetSpec<Row>, histories: SplitScan<Row>['histories']): Generator<unknown> {
  for (const { user, row, k } of roundRobin(histories)) yield spec.toEvent(user, row, k);
}
