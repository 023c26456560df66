/**
 * The feed service: builds a request's context (user features, config) and runs the requested pipeline variant,
 * reporting stage timings and degradations to metrics.
 */
import { randomUUID, createHash } from 'node:crypto';
import type { FeedloopConfig } from '../config/config.js';
import type { FeatureStore } from '../features/feature-store.js';
import type { Metrics } from '../engine/metrics.js';
import type { FeedContext } from './feed-context.js';
import { feedPipelines, type PipelineSpec } from './home-feed.js';
import { runPipeline, type PipelineRun } from './run-pipeline.js';
import type { SideEffect } from './side-effect.js';
import type { RetrievalService } from '../retrieval/retrieval-service.js';
import { twoTowerSource } from '../retrieval/two-tower-source.js';
import { withFaults, withStoreFault } from './faults.js';
import { PopularList } from './popular-list.js';
import { HotCache } from './hot-cache.js';
import { learnedRanker } from '../ranking/learned-ranker.js';
import type { RankingModelService } from '../ranking/ranking-model-service.js';
import type { ArmRouting, ExperimentServing } from '../experiments/serving.js';

export interface FeedQuery {
  userId: string;
  limit: number;
  sessionId?: string;
  variant: string;
  debug: boolean;
  nowMs?: number;
}

export class FeedService {
  readonly pipelines: Record<string, PipelineSpec>;
  readonly configVersion: string;
  /** The last-resort list, refreshed in the background. */
  readonly popular: PopularList;
  /** The per-user next-page cache (when `feed.hotCache.enabled`). */
  readonly cache: HotCache | undefined;
  /** The store as the pipeline sees it (with an injected `feature-store` fault, if configured). */
  private readonly servingStore: FeatureStore;
  constructor(
    store: FeatureStore,
    private readonly config: FeedloopConfig,
    sideEffects: SideEffect[],
    private readonly metrics?: Metrics,
    private readonly retrieval?: RetrievalService,
    ranking?: RankingModelService,
    /** Experiments: a user in an arm is served with its overrides (src/experiments/serving.ts). */
    private readonly experiments?: ExperimentServing,
  ) {
    const pipelines = feedPipelines({
      heuristicWeights: config.ranking.heuristicWeights,
      sideEffects,
      learnedSources: retrieval ? [twoTowerSource(retrieval)] : [],
      learnedRanker: ranking ? (heuristic) => learnedRanker(ranking, heuristic) : undefined,
    });
    this.pipelines = Object.fromEntries(Object.entries(pipelines).map(([k, spec]) => [k, withFaults(spec, config.faults)]));
    this.servingStore = withStoreFault(store, config.faults);
    // precomputed from the real store: an injected store fault models request-time unavailability
    this.popular = new PopularList(store, config.latency.popularSize);
    this.popular.start(config.latency.popularRefreshMs);
    const hc = config.feed.hotCache;
    this.cache = hc.enabled
      ? new HotCache({ ttlMs: hc.ttlMs, maxUsers: hc.maxUsers }, (outcome, ageMs) => {
          metrics?.feedCache.inc({ outcome });
          if (ageMs !== undefined) metrics?.feedCacheStaleness.observe(ageMs / 1000);
        })
      : undefined;
    this.configVersion = createHash('sha256').update(JSON.stringify({ feed: config.feed, ranking: config.ranking, features: config.features })).digest('hex').slice(0, 12);
  }

  variants(): string[] {
    return Object.keys(this.pipelines);
  }

  async serve(q: FeedQuery): Promise<PipelineRun> {
    const t0 = performance.now();
    const arm = this.experiments?.route(q.userId);
    const base = this.pipelines[arm?.variant ?? q.variant];
    if (!base) throw new Error(`unknown variant ${q.variant}`);
    const spec = arm ? arm.spec(base) : base;
    const cache = q.debug || q.nowMs !== undefined ? undefined : this.cache;
    const key = `${spec.name}|${q.limit}|${q.sessionId ?? ''}${arm ? `|${arm.key}` : ''}`;
    let run = cache?.take(q.userId, key, Date.now());
    run ??= await this.compute(spec, q, undefined, arm);
    if (cache) {
      const exclude = new Set(run.response.items.map((i) => i.item_id));
      cache.refresh(q.userId, key, () => this.compute(spec, q, exclude, arm), () => Date.now());
    }
    if (arm) {
      run.response.experiments = arm.experiments;
      arm.served(q.userId, performance.now() - t0, q.nowMs ?? Date.now());
    }
    return run;
  }

  private compute(spec: PipelineSpec, q: FeedQuery, exclude?: ReadonlySet<string>, arm?: ArmRouting): Promise<PipelineRun> {
    const nowMs = q.nowMs ?? Date.now();
    const ctx: FeedContext = {
      request: { requestId: randomUUID(), userId: q.userId, sessionId: q.sessionId, limit: q.limit, nowMs, variant: spec.name },
      store: this.servingStore,
      config: arm?.feed ?? this.config.feed,
      configVersion: arm ? arm.configVersion(this.configVersion) : this.configVersion,
      exclude,
      itemVector: this.retrieval ? (id) => this.retrieval!.itemVector(id) : undefined,
    };
    const m = this.metrics;
    return runPipeline(
      spec,
      ctx,
      q.debug,
      {
        stage: (stage, ms) => m?.feedStage.observe({ variant: spec.name, stage }, ms / 1000),
        candidates: (source, n) => m?.feedCandidates.inc({ source }, n),
        removed: (filter, reason, n) => m?.feedRemoved.inc({ filter, reason }, n),
        degraded: (component) => m?.feedDegraded.inc({ component }),
        fallback: (name) => m?.feedFallback.inc({ fallback: name }),
      },
      { sourcesMs: this.config.latency.sourcesMs, rankingMs: this.config.latency.rankingMs, popular: this.popular, exploration: arm?.exploration ?? this.config.exploration },
    );
  }

  close(): void {
    this.popular.stop();
    this.cache?.clear();
  }
}
