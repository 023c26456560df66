/**
 * Adapts a trained `TwoTowerModel` artefact to the serving `RetrievalModel` port, and finds the current artefact:
 * `<data>/models/retrieval/CURRENT` names the version folder next to it (written last, atomically, by
 * `feedloop train retrieval`).
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/file-io.js';
import { join } from 'node:path';
import { TwoTowerModel } from '../training/two-tower/model.js';
import type { RetrievalModel } from './retrieval-model.js';

export function retrievalModelsDir(dataDir: string): string {
  return join(dataDir, 'models', 'retrieval');
}

export function twoTowerRetrievalModel(m: TwoTowerModel): RetrievalModel {
  return {
    version: m.version,
    dim: m.dim,
    userVector: (userId, recent) => m.userVector(userId, recent),
    itemVector: (itemId, side) => m.itemVector(itemId, { authorId: side.authorId, category: side.category, tags: side.tags ? [...side.tags] : undefined }),
    *trainedItems() {
      const matrix = m.itemMatrix();
      const d = m.dim;
      const ids = m.parts.itemIds;
      for (let i = 0; i < ids.length; i++) yield { itemId: ids[i], vector: matrix.subarray(i * d, i * d + d) };
    },
  };
}

/** Loads the artefact CURRENT points at; undefined when no model was trained yet. */
export async function loadCurrentRetrievalModel(dataDir: string): Promise<RetrievalModel | undefined> {
  const dir = retrievalModelsDir(dataDir);
  let version: string;
  try {
    version = (await readFile(join(dir, 'CURRENT'), 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return twoTowerRetrievalModel(await TwoTowerModel.load(join(dir, version)));
}

/** Points CURRENT at `version` (a folder in the models dir), atomically. */
export async function setCurrentRetrievalModel(dataDir: string, version: string): Promise<void> {
  await writeFileAtomic(join(retrievalModelsDir(dataDir), 'CURRENT'), `${version}\n`);
}
