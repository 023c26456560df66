/**
 * Most-popular baseline: every user gets the items ranked by their number of training interactions (ties by lower
 * index). The evaluator masks each user's own training items.
 */
import type { InteractionData, Recommender } from '../recommender.js';
import { itemCounts } from './gram.js';

/** A fitted popularity model: one shared score vector. */
export class PopularityRecommender implements Recommender {
  readonly name = 'popularity';
  constructor(readonly counts: Float32Array) {}

  scoreUser(_u: number, out: Float32Array): void {
    out.set(this.counts);
  }
}

/** Counts training interactions per item. */
export function fitPopularity(data: InteractionData): Recommender {
  return new PopularityRecommender(Float32Array.from(itemCounts(data.train, data.numItems)));
}
