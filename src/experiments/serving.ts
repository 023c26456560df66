/**
 * The serving side of experiments: for a user, the arms they are in (assignment.ts) turned into what their feed
 * request runs with — an `ArmRouting`, built once per combination of arms and reused:
 * - `variant`: the pipeline variant an arm names (it replaces the request's `variant`), else the request's;
 * - `feed` / `exploration`: the config sections with the arms' overrides applied (`feed.quotas` merged per source);
 * - `spec(base)`: the pipeline with the arm's value weights (a re-weighting wrapper around the ranker: score =
 *   Σ weight × head over the ranker's head components — the learned ranker's; a ranker without them is left as is)
 *   and side effects that stamp `experiments: [{id, arm}]` on the serve record;
 * - `configVersion(base)`: the base config version + `~` + a hash of the overrides, logged with every request.
 * Holdout users get no overrides but are tagged (arm `holdout`).
 */
import { createHash } from 'node:crypto';
import type { FeedloopConfig } from '../config/config.js';
import type { ExperimentArm, ServeRecord } from '../domain/feed.js';
import type { PipelineSpec } from '../pipeline/home-feed.js';
import { headName } from '../ranking/learned-ranker.js';
import type { Ranker, RankResult } from '../ranking/ranker.js';
import { RANKING_TASKS } from '../training/ranking/examples.js';
import { armName, type Membership } from './assignment.js';
import type { ArmMetrics } from './arm-metrics.js';
import type { ExperimentStore } from './experiment-store.js';

/** What a request of a user in experiments runs with (shared by every user in the same arms). */
export interface ArmRouting {
  /** Identifies the combination of arms (e.g. for cache keys). */
  readonly key: string;
  /** For the feed response and the serve record (shared: do not mutate). */
  readonly experiments: ExperimentArm[];
  /** The variant an arm sets, if any. */
  readonly variant: string | undefined;
  readonly feed: FeedloopConfig['feed'];
  readonly exploration: FeedloopConfig['exploration'];
  /** The config version to log: `base` plus a hash of the overrides. */
  configVersion(base: string): string;
  /** The pipeline to run in place of `base` (cached per base). */
  spec(base: PipelineSpec): PipelineSpec;
  /** Reports a served request for the per-arm metrics. */
  served(userId: string, ms: number, nowMs: number): void;
}

export class ExperimentServing {
  private readonly profiles = new Map<string, ArmRouting>();

  constructor(
    private readonly store: ExperimentStore,
    private readonly config: Pick<FeedloopConfig, 'feed' | 'exploration' | 'ranking'>,
    private readonly metrics?: ArmMetrics,
  ) {
    store.onChange(() => this.profiles.clear());
  }

  /** The user's routing, or undefined when they are in no running experiment. */
  route(userId: string): ArmRouting | undefined {
    const assigner = this.store.assigner;
    if (assigner.empty) return undefined;
    const members = assigner.assign(userId);
    if (members.length === 0) return undefined;
    let key = '';
    for (const m of members) key += `${key ? ';' : ''}${m.compiled.experiment.id}=${m.arm}`;
    let r = this.profiles.get(key);
    if (!r) {
      r = this.build(key, members);
      this.profiles.set(key, r);
    }
    return r;
  }

  private build(key: string, members: Membership[]): ArmRouting {
    let feed = this.config.feed;
    let exploration = this.config.exploration;
    let variant: string | undefined;
    let valueWeights: Record<string, number> | undefined;
    const applied: unknown[] = [];
    for (const m of members) {
      const e = m.compiled.experiment;
      const o = m.arm < e.arms.length ? e.arms[m.arm].overrides : {};
      applied.push([e.id, armName(e, m.arm), o]);
      if (o.variant !== undefined) variant = o.variant;
      if (o.feed) feed = { ...feed, ...o.feed, quotas: { ...feed.quotas, ...o.feed.quotas } };
      if (o.exploration) exploration = { ...exploration, ...o.exploration };
      if (o.ranking?.valueWeights) valueWeights = { ...(valueWeights ?? this.config.ranking.valueWeights), ...o.ranking.valueWeights };
    }
    const experiments = members.map((m) => ({ id: m.compiled.experiment.id, arm: armName(m.compiled.experiment, m.arm) }));
    const overridesHash = createHash('sha256').update(JSON.stringify(applied)).digest('hex').slice(0, 8);
    const specs = new Map<PipelineSpec, PipelineSpec>();
    const versions = new Map<string, string>();
    const metrics = this.metrics;
    return {
      key,
      experiments,
      variant,
      feed,
      exploration,
      configVersion(base) {
        let v = versions.get(base);
        if (v === undefined) versions.set(base, (v = `${base}~${overridesHash}`));
        return v;
      },
      spec(base) {
        let s = specs.get(base);
        if (!s) {
          s = {
            ...base,
            ranker: valueWeights ? reweighted(base.ranker, valueWeights) : base.ranker,
            sideEffects: base.sideEffects.map((se) => ({
              name: se.name,
              run: (record: ServeRecord) => {
                record.experiments ??= experiments.map((x) => ({ ...x }));
                se.run(record);
              },
            })),
          };
          specs.set(base, s);
        }
        return s;
      },
      served: (userId, ms, nowMs) => metrics?.onServed(members, userId, ms, nowMs),
    };
  }
}

/** The ranker with its score recomputed from its head components under other value weights. */
export function reweighted(inner: Ranker, weights: Readonly<Record<string, number>>): Ranker {
  return {
    name: inner.name,
    get version() {
      return inner.version;
    },
    async rank(ctx, batch, signal): Promise<RankResult> {
      const out = await inner.rank(ctx, batch, signal);
      const heads = RANKING_TASKS.map((t) => [out.components?.[headName(t)], weights[t] ?? 0] as const).filter(([h]) => h !== undefined);
      if (heads.length === 0) return out;
      const scores = new Float32Array(out.scores.length);
      for (const [h, w] of heads) for (let i = 0; i < scores.length; i++) scores[i] += w * h![i];
      return { scores, components: out.components };
    },
  };
}
