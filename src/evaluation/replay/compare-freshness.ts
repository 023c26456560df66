/**
 * The experiment behind `feedloop eval replay`: the same engine (store + `home-heuristic` pipeline, same config)
 * with real-time features versus features refreshed once a day, plus a popularity baseline, on the same sampled
 * evaluation points of one period (see sampling.ts and replay.ts for the protocol).
 *
 * By default no model is trained: the heuristic sources and ranker need none. With `retrieval: 'two-tower'` one
 * two-tower model is trained on the positives before the evaluated period (replay-retrieval.ts) and serves in both
 * variants. Either way both variants use exactly the same components and models; the only difference is when events
 * become visible to them.
 */
import type { FeedloopConfig } from '../../config/config.js';
import { EngineVariant } from './engine-variant.js';
import { PopularityVariant } from './popularity-variant.js';
import { trainReplayRetrieval, type TrainedRetrieval } from './replay-retrieval.js';
import type { ReplayData } from './replay-data.js';
import { runReplay, type ReplayResult } from './replay.js';
import { sampleEvaluationPoints, type EvaluationPoints, type SamplingOptions } from './sampling.js';

export interface CompareFreshnessOptions {
  config: FeedloopConfig;
  k: number;
  sampling: SamplingOptions;
  /** Pipeline variant of `feedPipelines` (default `home-heuristic`). */
  pipeline?: string;
  onChunk?: (eventsDone: number, pointsDone: number) => Promise<void> | void;
  chunkEvents?: number;
  /** Add the two-tower source, trained before the period (default `none`). */
  retrieval?: 'none' | 'two-tower';
  /** Training epochs of the two-tower model (early stopping on its own held-out positives). */
  retrievalEpochs?: number;
  log?: (line: string) => void;
}

export interface FreshnessComparison {
  sampling: SamplingOptions & EvaluationPoints;
  result: ReplayResult;
  /** (HR@K real-time − HR@K daily-batch) / HR@K daily-batch; null when daily-batch has no hit. */
  relativeHrGain: number | null;
  /** The two-tower model's training record, when one was used. */
  retrieval?: Omit<TrainedRetrieval, 'model'>;
}

/** Runs real-time, daily-batch and popularity over `data` (see the file comment). */
export async function compareFreshness(data: ReplayData, opts: CompareFreshnessOptions): Promise<FreshnessComparison> {
  const points = sampleEvaluationPoints(data.events, opts.sampling);
  const trained = opts.retrieval === 'two-tower' ? await trainReplayRetrieval(data, points.startMs, { seed: opts.sampling.seed, epochs: opts.retrievalEpochs, log: opts.log }) : undefined;
  const common = { config: opts.config, catalog: data.catalog, pipeline: opts.pipeline, retrieval: trained?.model };
  const realTime = await EngineVariant.open({ ...common, freshness: 'real-time' });
  const daily = await EngineVariant.open({ ...common, freshness: 'daily-batch' });
  try {
    const result = await runReplay(data.events, [realTime, daily, new PopularityVariant()], {
      k: opts.k,
      points: points.indices,
      onChunk: opts.onChunk,
      chunkEvents: opts.chunkEvents,
    });
    const [rt, db] = result.variants;
    return {
      sampling: { ...opts.sampling, ...points },
      result,
      relativeHrGain: db.hitRate > 0 ? (rt.hitRate - db.hitRate) / db.hitRate : null,
      retrieval: trained && { positives: trained.positives, bestEpoch: trained.bestEpoch, trainSec: trained.trainSec },
    };
  } finally {
    await realTime.close();
    await daily.close();
  }
}
