/**
 * The learned ranker: the multi-task model's calibrated heads combined by the value model,
 *   score = Σ_task valueWeights[task] × head_task        (e.g. complete 1, like 2, share 4, follow 8, hide −8, watch 1)
 * Per request: the user's first-layer input is computed once (one embedding row × one weight block), the candidate
 * rows (normalised features + item/author/category embeddings) are filled in JS, and one onnxruntime call scores
 * them all. Each head is returned as a component (`p_complete`, …, `watch`) for the serve log and `debug=1`.
 * Until a model is loaded it delegates to the heuristic ranker (that is not a degradation: nothing was trained yet).
 */
import type { RankingTask } from '../training/ranking/examples.js';
import type { Ranker, RankingBatch, RankResult } from './ranker.js';
import type { RankingModelService } from './ranking-model-service.js';

/** Component name of a head in results, the serve log and explanations. */
export function headName(task: RankingTask): string {
  return task === 'watch' ? 'watch_ratio' : `p_${task}`;
}

export function learnedRanker(service: RankingModelService, valueWeights: Readonly<Record<string, number>>, untrained: Ranker): Ranker {
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
      const scores = new Float32Array(n);
      if (n === 0) return { scores };
      const x = new Float32Array(n * scorer.candidateDim);
      const eUser = model.userEmbedding(ctx.request.userId);
      model.candidateRows(n, batch.features, batch.candidates.map((c) => c.itemId), batch.attrs.authorIds, batch.attrs.categories, x, eUser);
      const logits = await scorer.logits(x, n, model.userInput(ctx.request.userId));
      const tasks = model.spec.tasks;
      const heads = tasks.map(() => new Float32Array(n));
      model.headOutputs(logits, n, heads);
      const components: Record<string, Float32Array> = {};
      tasks.forEach((task, t) => {
        components[headName(task)] = heads[t];
        const w = valueWeights[task] ?? 0;
        if (w === 0) return;
        const h = heads[t];
        for (let i = 0; i < n; i++) scores[i] += w * h[i];
      });
      return { scores, components };
    },
  };
}
