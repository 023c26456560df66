/**
 * Loader for the LightGCN++ split of MovieLens 1M (`<datasetsDir>/movielens-1m/lightgcnpp_split/{train,valid,test}.txt`,
 * one line per user: `uid item item …`; ratings ≥ 3 as implicit positives, random 7:1:2).
 *
 * Mapping:
 * - Events: the TRAIN interactions only (plus valid with `includeValid`), each a `like` with id `ml1m:<uid>:<item>`.
 *   The split has no timestamps: times are synthetic ({@link syntheticTs}: the user's k-th interaction in file order
 *   at base + k s, emitted round-robin over users so `ts` never decreases). Valid interactions continue after the
 *   user's train ones.
 * - Items and users: ids only (`{ id, author_id: "movielens", created_at: 0 }`, `{ id }`), the union over all three
 *   files, so full-ranking evaluation can score every item and every test user exists. The split's ids are remapped
 *   (0-based, in order of appearance), so movies.dat / users.dat (original MovieLens ids) cannot be joined to add
 *   titles, genres or demographics.
 */
import { join } from 'node:path';
import {
  type DatasetBatch,
  type DatasetLoader,
  type DatasetLoaderOptions,
  type DatasetTotals,
  compareIds,
  fields,
  inBatches,
  readLines,
  requireFiles,
  roundRobin,
  syntheticTs,
} from './dataset-source.js';
import { MOVIELENS_AUTHOR_ID } from './movielens-100k.js';

const NAME = 'movielens-1m-split';

interface Scan {
  items: string[];
  users: string[];
  /** Per user (sorted by id): the items to import as events, in file order. */
  histories: Array<[string, string[]]>;
  events: number;
}

/** Creates the MovieLens 1M LightGCN++ split loader. */
export function movielens1mSplit(opts: DatasetLoaderOptions): DatasetLoader {
  const dir = join(opts.datasetsDir, 'movielens-1m', 'lightgcnpp_split');
  const train = join(dir, 'train.txt');
  const valid = join(dir, 'valid.txt');
  const test = join(dir, 'test.txt');
  let scanned: Promise<Scan> | undefined;

  const scan = async (): Promise<Scan> => {
    await requireFiles(NAME, [train, valid, test]);
    const items = new Set<string>();
    const histories = new Map<string, string[]>();
    let events = 0;
    for (const [path, asEvents] of [[train, true], [valid, opts.includeValid === true], [test, false]] as const) {
      for await (const { line } of readLines(path)) {
        const [user, ...its] = fields(line);
        let h = histories.get(user);
        if (!h) histories.set(user, (h = []));
        for (const it of its) items.add(it);
        if (asEvents) {
          for (const it of its) h.push(it);
          events += its.length;
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
    name: NAME,
    async totals(): Promise<DatasetTotals> {
      const s = await once();
      return { items: s.items.length, users: s.users.length, events: s.events };
    },
    async *batches(): AsyncGenerator<DatasetBatch> {
      const s = await once();
      yield* inBatches('items', s.items.map((id) => ({ id, author_id: MOVIELENS_AUTHOR_ID, created_at: 0 })));
      yield* inBatches('users', s.users.map((id) => ({ id })));
      yield* inBatches('events', mapEvents(s.histories));
    },
  };
}

function* mapEvents(histories: Scan['histories']): Generator<unknown> {
  for (const { user, row: item, k } of roundRobin(histories)) {
    yield { id: `ml1m:${user}:${item}`, type: 'like', user_id: user, item_id: item, ts: syntheticTs(k) };
  }
}
