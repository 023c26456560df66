/**
 * Published full-ranking results that `feedloop eval` prints next to its own, with the protocol they were measured
 * under. Source: ../shared/datasets/README.md and baselines_sources/published_baselines.csv (LightGCN++ paper
 * supplement, RecSys 2024, Tables 9–10, MovieLens column, dim 64; split = movielens-1m/lightgcnpp_split).
 */

/** One published row; metrics the paper does not report are absent. */
export interface PublishedRow {
  model: string;
  metrics: Partial<Record<'recall@10' | 'ndcg@10' | 'recall@20' | 'ndcg@20' | 'recall@40' | 'ndcg@40', number>>;
  source: string;
}

const LIGHTGCNPP = 'LightGCN++ supplement (RecSys 2024) Tables 9-10, MovieLens column';

/** Published rows per dataset name (none are available for the KuaiRec SIGformer split here). */
export const PUBLISHED: Readonly<Record<string, readonly PublishedRow[]>> = {
  'movielens-1m-split': [
    { model: 'bpr-mf', metrics: { 'recall@10': 0.1291, 'ndcg@10': 0.2677, 'recall@40': 0.3192, 'ndcg@40': 0.2914 }, source: LIGHTGCNPP },
    { model: 'neumf', metrics: { 'recall@10': 0.1345, 'ndcg@10': 0.2707, 'recall@40': 0.332, 'ndcg@40': 0.2998 }, source: LIGHTGCNPP },
    { model: 'lightgcn', metrics: { 'recall@10': 0.1495, 'ndcg@10': 0.2977, 'recall@40': 0.3586, 'ndcg@40': 0.3265 }, source: LIGHTGCNPP },
    { model: 'simgcl', metrics: { 'recall@10': 0.1647, 'ndcg@10': 0.3186, 'recall@40': 0.381, 'ndcg@40': 0.348 }, source: LIGHTGCNPP },
    { model: 'lightgcn++', metrics: { 'recall@10': 0.1667, 'ndcg@10': 0.3243, 'recall@40': 0.3852, 'ndcg@40': 0.3534 }, source: LIGHTGCNPP },
  ],
};

/** Relative tolerance for "BPR-MF reproduced" on Recall@10 and NDCG@10. */
export const REPRODUCTION_TOLERANCE = 0.05;
