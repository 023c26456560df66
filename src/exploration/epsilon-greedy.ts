/**
 * Epsilon-greedy exploration: an exploring slot shows an item drawn uniformly from its eligible set E_p, so its
 * propensity is share · 1/|E_p| exactly (the policy is documented in explorer.ts).
 */
import { exploreSlots, type PickRule } from './explore-slots.js';
import type { Explorer } from './explorer.js';

const uniform: PickRule = {
  pick(_eligible, n, rand) {
    const at = Math.min(n - 1, Math.floor(rand() * n));
    return { at, probability: 1 / n };
  },
};

export const epsilonGreedyExplorer: Explorer = {
  name: 'epsilon-greedy',
  explore(slate, pool, opts, rand) {
    return exploreSlots(slate, pool, opts, rand, () => uniform);
  },
};
