/**
 * The engine under replay: the real embedded feature store (`EmbeddedFeatureStore`, in memory) and the real feed
 * pipeline (`runPipeline` over a spec from `feedPipelines`, by default `home-heuristic`: every heuristic source,
 * the standard filters, the heuristic ranker, all re-rankers), in process. Two ways to keep its state:
 *
 * - `real-time`: every event is applied to the store as it streams (decayed counters, last-N lists, co-visitation,
 *   user top categories, trending lists — all read at the request's time), as `feedloop serve` does;
 * - `daily-batch`: events are held back and applied together at the first request or event of the next UTC day, so
 *   during day D the pipeline sees the state at 00:00 D — what a system that recomputes its features (and retrains
 *   its models) once a day serves. Reads still decay to the request time; only the events seen are frozen.
 *
 * Requests are deterministic: no deadlines (a timeout would depend on machine load), no exploration, no side
 * effects, request ids numbered per variant. The user's past items are passed as the context's `exclude` set (the
 * mechanism the feed uses for items it must never propose), on top of the pipeline's own filters.
 */
import type { FeedloopConfig } from '../../config/config.js';
import type { StoredEvent } from '../../domain/schemas.js';
import { EmbeddedFeatureStore } from '../../backends/embedded/embedded-feature-store.js';
import type { LogEntry } from '../../log/log-entry.js';
import type { CandidateSource } from '../../retrieval/candidate-source.js';
import type { RetrievalModel } from '../../retrieval/retrieval-model.js';
import type { RetrievalService } from '../../retrieval/retrieval-service.js';
import type { FeedContext } from '../../pipeline/feed-context.js';
import { feedPipelines, type PipelineSpec } from '../../pipeline/home-feed.js';
import { runPipeline } from '../../pipeline/run-pipeline.js';
import { twoTowerSourceFor } from './replay-retrieval.js';
import { utcDayStart, type ReplayVariant } from './replay-variant.js';

export type FeatureFreshness = 'real-time' | 'daily-batch';

export interface EngineVariantOptions {
  /** Variant name (default: the freshness). */
  name?: string;
  freshness: FeatureFreshness;
  config: FeedloopConfig;
  /** Items and users, applied before anything else. */
  catalog: readonly LogEntry[];
  /** Pipeline variant from `feedPipelines` (default `home-heuristic`). */
  pipeline?: string;
  /**
   * A trained retrieval model: adds the `two-tower` source (its own exact index over this variant's store), whose
   * user tower reads the user's recent items from this variant's store — live or frozen like everything else.
   */
  retrieval?: RetrievalModel;
}

const NO_POSITIONS = [0];

export class EngineVariant implements ReplayVariant {
  readonly name: string;
  degradedRequests = 0;
  private readonly spec: PipelineSpec;
  private pending: LogEntry[] = [];
  private day = Number.NEGATIVE_INFINITY;
  private requests = 0;

  private constructor(
    readonly store: EmbeddedFeatureStore,
    private readonly opts: EngineVariantOptions,
    learnedSources: CandidateSource[],
    private readonly retrieval: RetrievalService | undefined,
  ) {
    this.name = opts.name ?? opts.freshness;
    const pipelines = feedPipelines({ heuristicWeights: opts.config.ranking.heuristicWeights, sideEffects: [], learnedSources });
    const key = opts.pipeline ?? 'home-heuristic';
    const spec = pipelines[key];
    if (!spec) throw new RangeError(`unknown pipeline ${key}; expected one of ${Object.keys(pipelines).join(', ')}`);
    this.spec = spec;
  }

  static async open(opts: EngineVariantOptions): Promise<EngineVariant> {
    const store = await EmbeddedFeatureStore.open({ features: opts.config.features, partitionCount: 1 });
    store.apply(opts.catalog, NO_POSITIONS);
    const tt = opts.retrieval ? await twoTowerSourceFor(store, opts.retrieval) : undefined;
    return new EngineVariant(store, opts, tt ? [tt.source] : [], tt?.service);
  }

  async close(): Promise<void> {
    await this.retrieval?.close();
    await this.store.close();
  }

  /** Events observed but not yet visible to the pipeline (always 0 in real time). */
  get heldBack(): number {
    return this.pending.length;
  }

  advanceTo(nowMs: number): void {
    const day = utcDayStart(nowMs);
    if (day <= this.day) return;
    this.day = day;
    this.flush();
  }

  observe(event: StoredEvent): void {
    const entry: LogEntry = { kind: 'event', event };
    if (this.opts.freshness === 'real-time') this.store.apply([entry], NO_POSITIONS);
    else this.pending.push(entry);
  }

  /** Applies every held-back event (the daily batch job). */
  flush(): void {
    if (this.pending.length === 0) return;
    this.store.apply(this.pending, NO_POSITIONS);
    this.pending = [];
  }

  async recommend(userId: string, nowMs: number, exclude: ReadonlySet<string>, k: number): Promise<readonly string[]> {
    const ctx: FeedContext = {
      request: { requestId: `replay-${this.name}-${this.requests++}`, userId, sessionId: undefined, limit: k, nowMs, variant: this.spec.name },
      store: this.store,
      config: this.opts.config.feed,
      configVersion: 'replay',
      exclude,
      itemVector: this.retrieval ? (id) => this.retrieval?.itemVector(id) : undefined,
    };
    const run = await runPipeline(this.spec, ctx, false);
    if (run.response.degraded?.length) this.degradedRequests++;
    return run.response.items.map((i) => i.item_id);
  }
}
