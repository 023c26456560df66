/**
 * The feed pipelines, declared as data. A request runs: sources (merged with per-source quotas, de-duplicated
 * keeping every source that proposed an item) → filters → feature assembly → ranker (fallback ranker if it fails
 * or misses its deadline) → re-rankers (fatigue, freshness boost, diversity, category and author caps) → side
 * effects (see run-pipeline.ts for deadlines and fallbacks). Variants are alternative policies selectable per request (`variant=`), e.g. to
 * compare against trending alone.
 */
import { completedFilter, deletedFilter, hiddenFilter, seenFilter } from '../filtering/standard-filters.js';
import type { Filter } from '../filtering/filter.js';
import { heuristicRanker, sourceScoreRanker } from '../ranking/heuristic-ranker.js';
import type { Ranker } from '../ranking/ranker.js';
import { authorCapReRanker } from '../reranking/author-cap.js';
import { categoryCapReRanker } from '../reranking/category-cap.js';
import { diversityReRanker } from '../reranking/diversity.js';
import { fatigueReRanker } from '../reranking/fatigue.js';
import { freshnessBoostReRanker } from '../reranking/freshness-boost.js';
import type { ReRanker } from '../reranking/reranker.js';
import type { CandidateSource } from '../retrieval/candidate-source.js';
import { covisitationSource, followedAuthorsSource, freshSource, localTrendingSource, topCategoriesSource, trendingSource } from '../retrieval/heuristic-sources.js';
import type { SideEffect } from './side-effect.js';

export interface PipelineSpec {
  name: string;
  sources: CandidateSource[];
  filters: Filter[];
  ranker: Ranker;
  fallbackRanker: Ranker;
  rerankers: ReRanker[];
  /** Give a share of slots to exploration (config `exploration`), logging propensities. */
  explore?: boolean;
  sideEffects: SideEffect[];
}

export function feedPipelines(deps: {
  heuristicWeights: Record<string, number>;
  /** The learned ranker of the home feed (it delegates to the heuristic one until a model is loaded). */
  learnedRanker?: (heuristic: Ranker) => Ranker;
  sideEffects: SideEffect[];
  /** Model-backed sources (two-tower); they return nothing until a model is loaded. */
  learnedSources?: CandidateSource[];
}): Record<string, PipelineSpec> {
  const filters = [deletedFilter, hiddenFilter, seenFilter, completedFilter];
  const heuristic = heuristicRanker(deps.heuristicWeights);
  const sources = [...(deps.learnedSources ?? []), trendingSource, localTrendingSource, freshSource, covisitationSource, followedAuthorsSource, topCategoriesSource];
  // score adjustments first (whole list re-sorted), then diversity (order), then the hard caps (the slate's length)
  const rerankers = [fatigueReRanker, freshnessBoostReRanker, diversityReRanker, categoryCapReRanker, authorCapReRanker];
  return {
    home: {
      name: 'home',
      sources,
      filters,
      ranker: deps.learnedRanker?.(heuristic) ?? heuristic,
      fallbackRanker: heuristic,
      rerankers,
      explore: true,
      sideEffects: deps.sideEffects,
    },
    // the home feed without exploration: the baseline exploration is compared with (`feedloop demo --compare-exploration`)
    'home-exploit': {
      name: 'home-exploit',
      sources,
      filters,
      ranker: deps.learnedRanker?.(heuristic) ?? heuristic,
      fallbackRanker: heuristic,
      rerankers,
      sideEffects: deps.sideEffects,
    },
    // the home feed with the heuristic ranker: the baseline the learned ranker is compared with
    'home-heuristic': {
      name: 'home-heuristic',
      sources,
      filters,
      ranker: heuristic,
      fallbackRanker: sourceScoreRanker,
      rerankers,
      explore: true,
      sideEffects: deps.sideEffects,
    },
    trending: {
      name: 'trending',
      sources: [trendingSource],
      filters,
      ranker: sourceScoreRanker,
      fallbackRanker: sourceScoreRanker,
      rerankers: [],
      sideEffects: deps.sideEffects,
    },
  };
}
