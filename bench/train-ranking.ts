/**
 * `npm run bench -- train-ranking`: training throughput of the multi-task ranker on MovieLens-100K examples
 * (imported through the ingest path and backfilled: 100k exposures + 4 sampled negatives each), time split 80/10/10,
 * the default shape (8-wide id embeddings, 64×32 shared layers, 6 heads), 3 epochs without early stopping.
 * `examples_per_s` = training examples per second of wall time (batch assembly, onnxruntime forward + backward,
 * Adam and sparse AdaGrad updates), over all epochs. Goal: ≥ 20,000 on 2 cores.
 */
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { timeSplit } from '../src/training/ranking/time-split.js';
import { examplesFromDataset } from '../src/training/ranking/training-set.js';
import { trainRanker } from '../src/training/ranking/train-ranker.js';
import { round } from './util.js';

export async function benchTrainRanking(opts: { datasetsDir?: string; epochs?: number } = {}): Promise<Record<string, number>> {
  const datasetsDir = opts.datasetsDir ?? join(process.cwd(), '..', 'shared', 'datasets');
  const cfg = loadConfig({ path: null, env: {} });
  const t0 = performance.now();
  const ex = await examplesFromDataset(cfg, 'movielens-100k', datasetsDir, { negativesPerPositive: 4, seed: 1 });
  const prepSec = (performance.now() - t0) / 1000;
  const split = timeSplit(ex.ts, { validFraction: 0.1, testFraction: 0.1 });
  const epochs = opts.epochs ?? 3;
  const t1 = performance.now();
  const res = await trainRanker(ex, split, { epochs, patience: epochs, onEpoch: (e) => console.error(`epoch ${e.epoch}: ${Math.round(e.examplesPerSec)} ex/s, train loss ${e.trainLoss.toFixed(4)}, valid loss ${e.validLoss.toFixed(4)}`) });
  const wall = (performance.now() - t1) / 1000;
  return {
    examples: ex.n,
    train_examples: split.train.length,
    epochs: res.epochs.length,
    examples_per_s: Math.round(res.examplesPerSec),
    wall_examples_per_s: Math.round((split.train.length * res.epochs.length) / wall),
    train_wall_s: round(wall, 1),
    backfill_s: round(prepSec, 1),
  };
}
