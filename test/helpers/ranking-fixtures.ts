/** Synthetic ranking examples for the ranker's tests. */
import { RANKING_TASKS, type RankingExamples, type RankingTask } from '../../src/training/ranking/examples.js';
import { rng } from './fixtures.js';

/**
 * Synthetic exposures: each user likes one category (hidden); `like` = 1 when the item is in it (with noise).
 * The dense features carry a weak popularity signal only, so a model needs the user × category interaction
 * (embeddings + hidden layer) to rank well; logistic regression on the dense features cannot.
 */
export function syntheticExamples(n: number, seed = 7): RankingExamples {
  const r = rng(seed);
  const F = 4;
  const features = new Float32Array(n * F);
  const labels = Object.fromEntries(RANKING_TASKS.map((t) => [t, new Float32Array(n).fill(Number.NaN)])) as Record<RankingTask, Float32Array>;
  const userIds: string[] = [];
  const itemIds: string[] = [];
  const categories: string[] = [];
  const authorIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.floor(r() * 50);
    const item = Math.floor(r() * 500);
    const cat = item % 8;
    const pop = (item % 10) / 10;
    features.set([pop * 100, r(), r() * 5, cat === 3 ? 1 : 0], i * F);
    userIds.push(`u${u}`);
    itemIds.push(`i${item}`);
    categories.push(`c${cat}`);
    authorIds.push(`a${item % 37}`);
    const p = (cat === u % 8 ? 0.8 : 0.08) + 0.1 * pop;
    labels.like[i] = r() < p ? 1 : 0;
    labels.complete[i] = labels.like[i] === 1 || r() < 0.3 ? 1 : 0;
    labels.watch[i] = labels.complete[i] === 1 ? 1 : r() * 0.5;
  }
  return {
    featureNames: ['pop', 'noise', 'noise2', 'is_c3'],
    n,
    features,
    ts: Float64Array.from({ length: n }, (_, i) => i * 1000),
    userIds,
    itemIds,
    authorIds,
    categories,
    labels,
    weights: new Float32Array(n).fill(1),
    source: 'backfill',
    stats: {},
  };
}

