/**
 * The heuristic ranker: score = Σ weightᶠ × featureᶠ over the assembled features, with the weights in config
 * (`ranking.heuristicWeights`, keyed by feature name; features without a weight count 0). Explicit, cheap, and the
 * fallback once a learned ranker exists. Components (each feature's contribution) are kept for explanations.
 */
import type { Ranker, RankingBatch, RankResult } from './ranker.js';

export function heuristicRanker(weights: Readonly<Record<string, number>>): Ranker {
  const version = `heuristic-${hashWeights(weights)}`;
  return {
    name: 'heuristic',
    version,
    rank(_ctx, batch: RankingBatch): RankResult {
      const F = batch.featureNames.length;
      const w = batch.featureNames.map((f) => weights[f] ?? 0);
      const n = batch.candidates.length;
      const scores = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let f = 0; f < F; f++) s += w[f] * batch.features[i * F + f];
        scores[i] = s;
      }
      return { scores };
    },
  };
}

/**
 * The last-resort ranker when the main one fails: each source's scores are normalised by that source's best score
 * and summed over the sources that proposed the item.
 */
export const sourceScoreRanker: Ranker = {
  name: 'source-score',
  version: 'source-score-1',
  rank(_ctx, batch): RankResult {
    const best = new Map<string, number>();
    for (const c of batch.candidates) for (const s of c.sources) best.set(s.name, Math.max(best.get(s.name) ?? 0, s.score));
    const scores = Float32Array.from(batch.candidates, (c) => c.sources.reduce((sum, s) => sum + (best.get(s.name)! > 0 ? s.score / best.get(s.name)! : 0), 0));
    return { scores };
  },
};

function hashWeights(w: Readonly<Record<string, number>>): string {
  const text = JSON.stringify(Object.entries(w).sort());
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
