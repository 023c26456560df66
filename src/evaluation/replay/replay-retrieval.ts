/**
 * Optional learned retrieval under replay: a two-tower model trained (with `trainTwoTower`, the trainer
 * `feedloop train retrieval` uses) only on positives timed before the evaluated period starts, then served through
 * the real `RetrievalService` + `twoTowerSource` over an exact (brute-force) index, one service per variant store.
 *
 * Training data mirrors `interactionsFromLog`: each user's positives (complete, like, share, comment) in time order,
 * de-duplicated per item, the last 10 % of a user's positives (users with ≥ 3) held out for early stopping. The
 * model never sees an event of the evaluated period. At request time the user tower runs on the user's recent
 * positives read from the variant's store — live in real time, as of midnight in the daily batch — so the model is
 * the same and only the features it is fed differ.
 */
import type { StoredEvent } from '../../domain/schemas.js';
import type { FeatureStore } from '../../features/feature-store.js';
import type { InteractionData } from '../recommender.js';
import { csrFromLists } from '../split-data.js';
import { BruteForceIndex } from '../../retrieval/ann/brute-force-index.js';
import type { CandidateSource } from '../../retrieval/candidate-source.js';
import type { RetrievalModel } from '../../retrieval/retrieval-model.js';
import { RetrievalService } from '../../retrieval/retrieval-service.js';
import { twoTowerRetrievalModel } from '../../retrieval/two-tower-retrieval-model.js';
import { twoTowerSource } from '../../retrieval/two-tower-source.js';
import { trainTwoTower } from '../../training/two-tower/train.js';
import type { ReplayData } from './replay-data.js';

const POSITIVE = new Set<StoredEvent['type']>(['complete', 'like', 'share', 'comment']);

/** Positives of `events` timed strictly before `beforeMs`, as training data (see the file comment). */
export function retrievalTrainingData(data: ReplayData, beforeMs: number, validFraction = 0.1): { data: InteractionData; itemSides: ({ authorId?: string; category?: string; tags?: string[] } | undefined)[]; positives: number } {
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const userIds: string[] = [];
  const itemIds: string[] = [];
  const sides = new Map<string, { authorId?: string; category?: string; tags?: string[] }>();
  const index = (m: Map<string, number>, ids: string[], id: string) => {
    let i = m.get(id);
    if (i === undefined) m.set(id, (i = ids.push(id) - 1));
    return i;
  };
  for (const e of data.catalog) {
    if (e.kind !== 'item') continue;
    index(items, itemIds, e.item.id);
    sides.set(e.item.id, { authorId: e.item.author_id, category: e.item.category, tags: e.item.tags });
  }
  const seqs: number[][] = [];
  const seen: Set<number>[] = [];
  let positives = 0;
  for (const e of data.events) {
    if (e.ts >= beforeMs) break; // events are in time order
    if (!POSITIVE.has(e.type) || !('item_id' in e) || typeof e.item_id !== 'string') continue;
    const u = index(users, userIds, e.user_id);
    const i = index(items, itemIds, e.item_id);
    seqs[u] ??= [];
    seen[u] ??= new Set();
    if (seen[u].has(i)) continue;
    seen[u].add(i);
    seqs[u].push(i);
    positives++;
  }
  const train: number[][] = [];
  const valid: number[][] = [];
  for (let u = 0; u < userIds.length; u++) {
    const s = seqs[u] ?? [];
    const nValid = s.length >= 3 ? Math.max(1, Math.floor(s.length * validFraction)) : 0;
    train.push(s.slice(0, s.length - nValid));
    valid.push(s.slice(s.length - nValid));
  }
  const interactions: InteractionData = {
    name: `${data.name}-before-${new Date(beforeMs).toISOString()}`,
    numUsers: userIds.length,
    numItems: itemIds.length,
    train: csrFromLists(train),
    valid: csrFromLists(valid),
    test: csrFromLists(userIds.map(() => [])),
    userIds,
    itemIds,
  };
  return { data: interactions, itemSides: itemIds.map((id) => sides.get(id)), positives };
}

export interface TrainedRetrieval {
  model: RetrievalModel;
  positives: number;
  bestEpoch: number;
  trainSec: number;
}

/** Trains the two-tower model on positives before `beforeMs` (deterministic for a seed). */
export async function trainReplayRetrieval(data: ReplayData, beforeMs: number, opts: { seed: number; epochs?: number; log?: (line: string) => void }): Promise<TrainedRetrieval> {
  const td = retrievalTrainingData(data, beforeMs);
  const result = await trainTwoTower(td.data, { seed: opts.seed, epochs: opts.epochs ?? 30, itemSides: td.itemSides, threads: 1 }, (p) =>
    opts.log?.(`two-tower epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}${p.valid ? `, valid recall@20 ${(p.valid['recall@20'] ?? 0).toFixed(4)}` : ''}${p.best ? ' *' : ''}`),
  );
  return { model: twoTowerRetrievalModel(result.model), positives: td.positives, bestEpoch: result.bestEpoch, trainSec: result.wallSec };
}

/** A `two-tower` candidate source over `store` (its own exact index), ready once the returned promise resolves. */
export async function twoTowerSourceFor(store: FeatureStore, model: RetrievalModel): Promise<{ source: CandidateSource; service: RetrievalService }> {
  const service = new RetrievalService(store, { createIndex: (dim, capacity) => new BruteForceIndex({ dim, capacity }) });
  await service.load(model);
  return { source: twoTowerSource(service), service };
}
