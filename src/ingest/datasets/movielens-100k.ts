/**
 * Loader for MovieLens 100K (`<datasetsDir>/movielens-100k`: u.item, u.user, u.data), the dataset with real
 * timestamps, for time-ordered replay.
 *
 * Mapping:
 * - u.item (pipe-separated, latin-1) → item `{ id, author_id: "movielens", created_at, text, category, tags }`:
 *   text = title, tags = all flagged genres (u.genre order), category = the first of them, created_at = release date
 *   (UTC midnight, ms) or 0 when missing. MovieLens has no creators: every item gets the one stand-in author
 *   {@link MOVIELENS_AUTHOR_ID}, so author features, author follows and per-author caps are meaningless on it.
 * - u.user (`id|age|gender|occupation|zip`) → user `{ id, age_bucket }` ({@link ageBucket}); gender, occupation and
 *   zip have no field in the user schema and are dropped; there is no country.
 * - u.data (`user\titem\trating\tunix_ts`) → exactly one event per rating, sorted by time (ties keep file order),
 *   `ts = unix_ts * 1000`, type by {@link ratingToEventType}, id `ml100k:<user>:<item>` (a user rates an item once).
 */
import { join } from 'node:path';
import type { EventType } from '../../domain/schemas.js';
import {
  type DatasetBatch,
  type DatasetLoader,
  type DatasetLoaderOptions,
  countLines,
  fields,
  inBatches,
  intField,
  malformed,
  readLines,
  requireFiles,
} from './dataset-source.js';

const NAME = 'movielens-100k';

/** Stand-in author of every MovieLens item (the data has no creators). */
export const MOVIELENS_AUTHOR_ID = 'movielens';

/** The 19 genre flags of u.item, in column order (as listed in u.genre). */
export const ML100K_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Explicit rating → implicit event: ≥ 4 `like`, 3 `complete` (watched, lukewarm), ≤ 2 `skip`. */
export function ratingToEventType(rating: number): Extract<EventType, 'like' | 'complete' | 'skip'> {
  if (rating >= 4) return 'like';
  if (rating === 3) return 'complete';
  return 'skip';
}

/** Age in years → bucket: `0-17`, `18-24`, `25-34`, `35-44`, `45-54`, `55-64`, `65+`. */
export function ageBucket(age: number): string {
  if (age < 18) return '0-17';
  if (age < 25) return '18-24';
  if (age >= 65) return '65+';
  const lo = Math.floor((age - 5) / 10) * 10 + 5;
  return `${lo}-${lo + 9}`;
}

/** `01-Jan-1995` → ms since epoch at UTC midnight; empty or unparseable → 0 (unknown). */
export function parseReleaseDate(s: string): number {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(s.trim());
  if (!m) return 0;
  const month = MONTHS.indexOf(m[2]);
  if (month < 0) return 0;
  const ms = Date.UTC(Number(m[3]), month, Number(m[1]));
  return ms >= 0 ? ms : 0;
}

/** Creates the MovieLens 100K loader. */
export function movielens100k(opts: DatasetLoaderOptions): DatasetLoader {
  const dir = join(opts.datasetsDir, NAME);
  const itemPath = join(dir, 'u.item');
  const userPath = join(dir, 'u.user');
  const dataPath = join(dir, 'u.data');
  const check = () => requireFiles(NAME, [itemPath, userPath, dataPath]);
  return {
    name: NAME,
    async totals() {
      await check();
      const [items, users, events] = await Promise.all([countLines(itemPath), countLines(userPath), countLines(dataPath)]);
      return { items, users, events };
    },
    async *batches(): AsyncGenerator<DatasetBatch> {
      await check();
      yield* inBatches('items', readItems(itemPath));
      yield* inBatches('users', readUsers(userPath));
      yield* inBatches('events', await readEvents(dataPath));
    },
  };
}

async function* readItems(path: string): AsyncGenerator<unknown> {
  for await (const { line, lineNo } of readLines(path, 'latin1')) {
    const f = line.split('|');
    if (f.length < 5 + ML100K_GENRES.length) throw malformed(path, lineNo, `expected 24 '|'-separated fields, got ${f.length}`);
    const tags = ML100K_GENRES.filter((_, g) => f[5 + g] === '1');
    const item: Record<string, unknown> = {
      id: f[0],
      author_id: MOVIELENS_AUTHOR_ID,
      created_at: parseReleaseDate(f[2]),
      text: f[1],
    };
    if (tags.length > 0) {
      item.category = tags[0];
      item.tags = tags;
    }
    yield item;
  }
}

async function* readUsers(path: string): AsyncGenerator<unknown> {
  for await (const { line, lineNo } of readLines(path, 'latin1')) {
    const f = line.split('|');
    if (f.length < 2) throw malformed(path, lineNo, `expected 'id|age|gender|occupation|zip'`);
    const age = Number(f[1]);
    yield Number.isFinite(age) && f[1].trim() !== '' ? { id: f[0], age_bucket: ageBucket(age) } : { id: f[0] };
  }
}

/** Reads all ratings (100K rows: small), sorts them by time, and maps them to events lazily. */
async function readEvents(path: string): Promise<Iterable<unknown>> {
  const rows: Array<{ user: string; item: string; rating: number; ts: number }> = [];
  for await (const { line, lineNo } of readLines(path)) {
    const f = fields(line);
    if (f.length < 4) throw malformed(path, lineNo, `expected 'user item rating unix_ts', got ${f.length} fields`);
    const rating = intField(f[2], path, lineNo, 'rating');
    const ts = intField(f[3], path, lineNo, 'unix_ts') * 1000;
    rows.push({ user: f[0], item: f[1], rating, ts });
  }
  rows.sort((a, b) => a.ts - b.ts); // stable: ties keep file order
  return (function* () {
    for (const r of rows) {
      yield { id: `ml100k:${r.user}:${r.item}`, type: ratingToEventType(r.rating), user_id: r.user, item_id: r.item, ts: r.ts };
    }
  })();
}
