/**
 * Where a ranker's training examples come from, for `feedloop train ranking` and `feedloop eval ranking`:
 * - a data directory with a serve log: impressions joined to the logged serve rows (features exactly as served);
 * - a data directory without one (or with too few joined impressions), e.g. an imported dataset: the backfill
 *   (features recomputed as of each exposure, sampled negatives);
 * - `movielens-100k`: imported into a temporary data directory through the normal ingest path, then backfilled.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSegmentLog } from '../../backends/embedded/segment-log.js';
import type { FeedloopConfig } from '../../config/config.js';
import { openEngine } from '../../engine/engine.js';
import { importDataset } from '../../ingest/import-dataset.js';
import { backfillExamples } from './backfill.js';
import type { RankingExamples } from './examples.js';
import { examplesFromServeLog } from './from-serve-log.js';

export type ExampleSource = 'auto' | 'serve-log' | 'backfill';

export interface TrainingSetOptions {
  source?: ExampleSource;
  /** Negatives per exposure in a backfill. */
  negativesPerPositive?: number;
  seed?: number;
  /** `auto` falls back to the backfill below this many serve-log examples. */
  minServeLogExamples?: number;
}

/** Examples from the engine data directory `cfg.data.dir` (read-only: a server may keep running on it). */
export async function examplesFromDataDir(cfg: FeedloopConfig, o: TrainingSetOptions = {}): Promise<RankingExamples> {
  const dataDir = cfg.data.dir;
  const log = await openSegmentLog({ dir: join(dataDir, 'log'), partitionCount: cfg.log.partitions, readOnly: true });
  try {
    const source = o.source ?? 'auto';
    const serveDir = join(dataDir, 'servelog');
    if (source !== 'backfill' && existsSync(serveDir)) {
      const ex = await examplesFromServeLog(log, serveDir, { labelWindowMs: cfg.ranking.labelWindowMs });
      if (source === 'serve-log' || ex.n >= (o.minServeLogExamples ?? 1000)) return ex;
    }
    return await backfillExamples(log, cfg.features, { negativesPerPositive: o.negativesPerPositive ?? 4, seed: o.seed ?? 1 });
  } finally {
    await log.close();
  }
}

/** Imports a public dataset into a temporary data directory and backfills its examples. */
export async function examplesFromDataset(cfg: FeedloopConfig, dataset: string, datasetsDir: string, o: TrainingSetOptions = {}): Promise<RankingExamples> {
  const dir = await mkdtemp(join(tmpdir(), `feedloop-${dataset}-`));
  try {
    const c: FeedloopConfig = { ...cfg, data: { ...cfg.data, dir }, retrieval: { ...cfg.retrieval, enabled: false }, ranking: { ...cfg.ranking, enabled: false } };
    const engine = await openEngine(c, { logErrors: false });
    try {
      await importDataset(engine.ingestor, { dataset, datasetsDir, includeValid: false });
      await engine.processor.catchUp();
    } finally {
      await engine.close();
    }
    return await examplesFromDataDir(c, { ...o, source: 'backfill' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
