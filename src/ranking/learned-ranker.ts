/**
 * The learned ranker: the multi-task model's calibrated heads combined by the value model,
 *   score = Σ_task valueWeights[task] × head_task        (e.g. complete 1, like 2, share 4, follow 8, hide −8, watch 1)
 * Per request: the user's first-layer inputs are computed once, each candidate contributes three table row numbers
 * (cached per item), and one onnxruntime call does the rest — normalisation, embeddings, layers, calibration and
 * the value model are folded into the session (src/ranking/multitask/serving.ts). Each head is returned as a component (`p_complete`, …, `watch`) for the serve log and `debug=1`.
 * Until a model is loaded it delegates to the heuristic ranker (that is not a degradation: nothing was trained yet).
 */
import type { RankingTask } from '../training/ranking/examples.js';
import type { Ranker, RankingBatch, RankResult } from './ranker.js';
import type { RankingModelService } from './ranking-model-service.js';

/** Component name of a head in results, the serve log and explanations. */
export function headName(task: RankingTask): string {
  return task === 'watch' ? 'watch_ratio' : `p_${task}`;
}

export function learnedRanker(service: RankingModelService, untrained: Ranker): Ranker {
  return {
    name: 'learned',
    get version() {
      return service.version ?? untrained.version;
    },
    async rank(ctx, batch: RankingBatch): Promise<RankResult> {
      const loaded = service.current;
      if (!loaded) return untrained.rank(ctx, batch);
      const { model, scorer } = loaded;
      const n = batch.candidates.length;
      if (n === 0) return { scores: new Float32Array(0) };
      const ids = batch.candidates.map((c) => c.itemId);
      const out = await scorer.score(ctx.request.userId, batch.features, ids, batch.attrs.authorIds, batch.attrs.categories);
      const components: Record<string, Float32Array> = {};
      model.spec.tasks.forEach((task, t) => (components[headName(task)] = out.heads.subarray(t * n, (t + 1) * n)));
      const scores = out.score;
      return { scores, components };
    },
  };
}
