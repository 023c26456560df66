/**
 * Fault injection, from config (`faults`: a list of `{component, delayMs?, fail?}`), for tests and drills. Components
 * are named as in `debug.degraded`: `source:<name>`, `ranker:<name>`, `reranker:<name>`, and `feature-store` (every
 * read of the store throws; a delay is not possible there, its reads are synchronous). A delay is an asynchronous
 * sleep before the component runs (it honours the stage's AbortSignal); `fail` throws `InjectedFaultError`.
 */
import type { FaultSpec } from '../config/config.js';
import type { FeatureStore } from '../features/feature-store.js';
import type { Ranker } from '../ranking/ranker.js';
import type { ReRanker } from '../reranking/reranker.js';
import type { CandidateSource } from '../retrieval/candidate-source.js';
import { sleep } from './deadline.js';
import type { PipelineSpec } from './home-feed.js';

export type { FaultSpec };

export class InjectedFaultError extends Error {
  constructor(readonly component: string) {
    super(`injected fault: ${component}`);
    this.name = 'InjectedFaultError';
  }
}

/** The pipeline with the faults applied to its named components (the spec itself is not modified). */
export function withFaults(spec: PipelineSpec, faults: readonly FaultSpec[]): PipelineSpec {
  if (faults.length === 0) return spec;
  const find = (component: string) => faults.find((f) => f.component === component);
  const source = (s: CandidateSource): CandidateSource => {
    const f = find(`source:${s.name}`);
    if (!f) return s;
    return {
      name: s.name,
      async fetch(ctx, k, signal) {
        await inject(f, signal);
        return s.fetch(ctx, k, signal);
      },
    };
  };
  const ranker = (r: Ranker): Ranker => {
    const f = find(`ranker:${r.name}`);
    if (!f) return r;
    return {
      name: r.name,
      get version() {
        return r.version;
      },
      async rank(ctx, batch, signal) {
        await inject(f, signal);
        return r.rank(ctx, batch, signal);
      },
    };
  };
  const reranker = (r: ReRanker): ReRanker => {
    const f = find(`reranker:${r.name}`);
    if (!f?.fail) return r;
    return {
      name: r.name,
      rerank() {
        throw new InjectedFaultError(`reranker:${r.name}`);
      },
    };
  };
  return { ...spec, sources: spec.sources.map(source), ranker: ranker(spec.ranker), rerankers: spec.rerankers.map(reranker) };
}

/** The store, or a stand-in whose every read throws when `feature-store` has a `fail` fault. */
export function withStoreFault(store: FeatureStore, faults: readonly FaultSpec[]): FeatureStore {
  if (!faults.some((f) => f.component === 'feature-store' && f.fail)) return store;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || prop === 'close') return v;
      return () => {
        throw new InjectedFaultError('feature-store');
      };
    },
  });
}

async function inject(f: FaultSpec, signal: AbortSignal | undefined): Promise<void> {
  if (f.delayMs) await sleep(f.delayMs, signal);
  if (f.fail) throw new InjectedFaultError(f.component);
}
