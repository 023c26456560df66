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
import { type DatasetLoader, type DatasetLoaderOptions, fields, splitDatasetLoader, syntheticTs } from './dataset-source.js';
import { MOVIELENS_AUTHOR_ID } from './movielens-100k.js';

/** Creates the MovieLens 1M LightGCN++ split loader. */
export function movielens1mSplit(opts: DatasetLoaderOptions): DatasetLoader {
  return splitDatasetLoader<string>(
    {
      name: 'movielens-1m-split',
      dir: ['movielens-1m', 'lightgcnpp_split'],
      parseLine(line) {
        const [user, ...items] = fields(line);
        return { user, rows: items };
      },
      itemOf: (item) => item,
      authorId: MOVIELENS_AUTHOR_ID,
      toEvent: (user, item, k) => ({
        id: `ml1m:${user}:${item}`,
        type: 'like',
        user_id: user,
        item_id: item,
        ts: syntheticTs(k),
      }),
    },
    opts,
  );
}
