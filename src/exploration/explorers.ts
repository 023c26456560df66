/** The explorers by their config name (`exploration.policy`). */
import { epsilonGreedyExplorer } from './epsilon-greedy.js';
import type { Explorer } from './explorer.js';
import { thompsonExplorer } from './thompson.js';

export type ExplorationPolicy = 'thompson' | 'epsilon-greedy';

export const EXPLORERS: Readonly<Record<ExplorationPolicy, Explorer>> = {
  thompson: thompsonExplorer,
  'epsilon-greedy': epsilonGreedyExplorer,
};

export function explorerFor(policy: ExplorationPolicy): Explorer {
  return EXPLORERS[policy];
}
