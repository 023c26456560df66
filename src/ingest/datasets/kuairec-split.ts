/**
 * Loader for the SIGformer split of KuaiRec (`<datasetsDir>/kuairec/sigformer_split/{train,valid,test}.txt`, one
 * interaction per line: `user item label`, label `1.00` = positive, `0.00` = negative feedback on a short video).
 *
 * Mapping:
 * - Events: the TRAIN rows only (plus valid with `includeValid`): label 1 → `complete`, label 0 → `skip`, id
 *   `kuairec:<user>:<item>`. No timestamps or watch times exist: times are synthetic ({@link syntheticTs}: the user's
 *   k-th row in file order at base + k s, emitted round-robin over users so `ts` never decreases); `skip` carries no
 *   `watch_ms`.
 * - Items and users: ids only (`{ id, author_id: "kuairec", created_at: 0 }`, `{ id }`), the union over all three
 *   files. The ids are remapped, so KuaiRand / KuaiRec feature tables (original ids) cannot be joined; every item gets
 *   the one stand-in author {@link KUAIREC_AUTHOR_ID}.
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
  malformed,
  readLines,
  requireFiles,
  roundRobin,
  syntheticTs,
} from './dataset-source.js';

const NAME = 'kuairec-split';

/** Stand-in author of every KuaiRec item in this split (remapped ids: the real authors cannot be joined). */
export const KUAIREC_AUTHOR_ID = 'kuairec';

interface Row {
  item: string;
  positive: boolean;
}
interface Scan {
  items: string[];
  users: string[];
  histories: Array<[string, Row[]]>;
  events: number;
}

/** Creates the KuaiRec SIGformer split loader. */
export function kuairecSplit(opts: DatasetLoaderOptions): DatasetLoader {
  const dir = join(opts.datasetsDir, 'kuairec', 'sigformer_split');
  const train = join(dir, 'train.txt');
  const valid = join(dir, 'valid.txt');
  const test = join(dir, 'test.txt');
  let scanned: Promise<Scan> | undefined;

  const scan = async (): Promise<Scan> => {
    await requireFiles(NAME, [train, valid, test]);
    const items = new Set<string>();
    const histories = new Map<string, Row[]>();
    let events = 0;
    for (const [path, asEvents] of [[train, true], [valid, opts.includeValid === true], [test, false]] as const) {
      for await (const { line, lineNo } of readLines(path)) {
        const [user, item, label] = fields(line);
        const value = Number(label);
        if (item === undefined || label === undefined || (value !== 0 && value !== 1)) {
          throw malformed(path, lineNo, `expected 'user item label' with label 0 or 1`);
        }
        let h = histories.get(user);
        if (!h) histories.set(user, (h = []));
        items.add(item);
        if (asEvents) {
          h.push({ item, positive: value === 1 });
          events++;
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
      yield* inBatches('items', s.items.map((id) => ({ id, author_id: KUAIREC_AUTHOR_ID, created_at: 0 })));
      yield* inBatches('users', s.users.map((id) => ({ id })));
      yield* inBatches('events', mapEvents(s.histories));
    },
  };
}

function* mapEvents(histories: Scan['histories']): Generator<unknown> {
  for (const { user, row, k } of roundRobin(histories)) {
    yield {
      id: `kuairec:${user}:${row.item}`,
      type: row.positive ? 'complete' : 'skip',
      user_id: user,
      item_id: row.item,
      ts: syntheticTs(k),
    };
  }
}
