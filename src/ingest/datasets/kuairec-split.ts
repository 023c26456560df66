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
import {
  type DatasetLoader,
  type DatasetLoaderOptions,
  fields,
  malformed,
  splitDatasetLoader,
  syntheticTs,
} from './dataset-source.js';

/** Stand-in author of every KuaiRec item in this split (remapped ids: the real authors cannot be joined). */
export const KUAIREC_AUTHOR_ID = 'kuairec';

interface Row {
  item: string;
  positive: boolean;
}

/** Creates the KuaiRec SIGformer split loader. */
export function kuairecSplit(opts: DatasetLoaderOptions): DatasetLoader {
  return splitDatasetLoader<Row>(
    {
      name: 'kuairec-split',
      dir: ['kuairec', 'sigformer_split'],
      parseLine(line, path, lineNo) {
        const [user, item, label] = fields(line);
        const value = Number(label);
        if (item === undefined || label === undefined || (value !== 0 && value !== 1)) {
          throw malformed(path, lineNo, `expected 'user item label' with label 0 or 1`);
        }
        return { user, rows: [{ item, positive: value === 1 }] };
      },
      itemOf: (row) => row.item,
      authorId: KUAIREC_AUTHOR_ID,
      toEvent: (user, row, k) => ({
        id: `kuairec:${user}:${row.item}`,
        type: row.positive ? 'complete' : 'skip',
        user_id: user,
        item_id: row.item,
        ts: syntheticTs(k),
      }),
    },
    opts,
  );
}
