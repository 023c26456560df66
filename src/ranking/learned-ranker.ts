/**
 * The learned ranker: the multi-task model's calibrated heads combined by the value model,
 *   score = Σ_task valueWeights[task] × head_task        (e.g. complete 1, like 2, share 4, follow 8, hide −8, watch 1)
 * Per request: the user's first-layer input is computed once (one embedding row × one weight block), the candidates'
 * embedding rows are gathered in JS, and one onnxruntime call does the rest (normalising the assembled features,
 * the layers, calibration and the value model, whose weights are baked into the session). Each head is returned as a component (`p_complete`, …, `watch`) for the serve log and `debug=1`.
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
      const e = scorer.embeddingWidth > 0 ? scorer.acquireInput(n) : undefined;
      let out;
      try {
        if (e) model.embeddingRows(n, ids, batch.attrs.authorIds, batch.attrs.categories, e, model.userEmbedding(ctx.request.userId));
        out = await scorer.run(batch.features, n, e, model.userInput(ctx.request.userId));
      } finally {
        if (e) scorer.releaseInput(e);
      }
      const components: Record<string, Float32Array> = {};
      model.spec.tasks.forEach((task, t) => (components[headName(task)] = out.heads.subarray(t * n, (t + 1) * n)));
      const scores = out.score;
      return { scores, components };
    },
  };
}
