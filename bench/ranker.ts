/**
 * `npm run bench -- ranker`: the ranking stage on 1000 candidates, in process, against the bare onnxruntime call on
 * the same shapes measured in the same run.
 *
 * Setup: an engine on the embedded default with the demo world (20k items, 5k users, a day of history); a
 * multi-task ranker of the serving shape trained for one epoch on examples backfilled from that log (its weights
 * do not change the cost), loaded into the model service exactly as the server does.
 * Measured per request, for random users and 1000 random catalog items:
 * - `p50_ms`/`p99_ms`: feature assembly (store reads + cross features) + the learned ranker — what the pipeline's
 *   features + ranking stages cost;
 * - `ranker_p50_ms`/`ranker_p99_ms`: the learned ranker alone (features already assembled): table rows and user
 *   inputs in JS, the onnxruntime call (normalisation, embeddings, layers, calibration, value model), components;
 * - `bare_onnx_p50_ms`/`bare_onnx_p99_ms`: the onnxruntime call alone (`session.run`) on the same prepared inputs
 *   (f [1000, F], rows [1000, 3], w0e, u);
 * - `inputs_p50_ms`: preparing the graph's inputs alone (table rows, user inputs);
 * - `stage_over_bare`: ranker_p50 / bare_onnx_p50 (goal ≤ 2).
 */
import { warmupHistory } from '../src/demo/demo.js';
import { createWorld } from '../src/demo/world.js';
import { openEngine } from '../src/engine/engine.js';
import type { Candidate, FeedContext } from '../src/pipeline/feed-context.js';
import { assembleFeatures } from '../src/ranking/feature-assembly.js';
import { heuristicRanker } from '../src/ranking/heuristic-ranker.js';
import { learnedRanker } from '../src/ranking/learned-ranker.js';
import { RankingModelService } from '../src/ranking/ranking-model-service.js';
import { backfillExamples } from '../src/training/ranking/backfill.js';
import { timeSplit } from '../src/training/ranking/time-split.js';
import { trainRanker } from '../src/training/ranking/train-ranker.js';
import { loadConfig } from '../src/config/config.js';
import { mulberry32 } from '../src/util/prng.js';
import { percentile, round, tempBenchDir } from './util.js';

export async function benchRanker(opts: { candidates?: number; iterations?: number } = {}): Promise<Record<string, number>> {
  const N = opts.candidates ?? 1000;
  const iterations = opts.iterations ?? 2000;
  const { dir, cleanup } = await tempBenchDir();
  const cfg = loadConfig({ path: null, env: {} });
  cfg.data.dir = dir;
  cfg.retrieval.enabled = false;
  cfg.ranking.enabled = false;
  const now = Date.now();
  const world = createWorld({ seed: 42, items: 20_000, users: 5_000, authors: 1000, categories: 50, nowMs: now });
  const engine = await openEngine(cfg, { logErrors: false });
  const service = new RankingModelService(cfg.ranking.valueWeights, 1);
  try {
    const B = 1000;
    for (let u = 0; u < world.userCount; u += B) {
      await engine.ingestor.upsertUsers(Array.from({ length: Math.min(B, world.userCount - u) }, (_, k) => world.userRecord(u + k)));
    }
    for (let i = 0; i < world.itemCount; i += B) {
      await engine.ingestor.upsertItems(Array.from({ length: Math.min(B, world.itemCount - i) }, (_, k) => world.itemRecord(i + k)));
    }
    const history = warmupHistory(world, 20, 42, now);
    for (let i = 0; i < history.length; i += B) await engine.ingestor.ingestEvents(history.slice(i, i + B));
    await engine.processor.catchUp();
    const ex = await backfillExamples(engine.log, cfg.features, { negativesPerPositive: 1, seed: 1 });
    const { model } = await trainRanker(ex, timeSplit(ex.ts, { validFraction: 0.1, testFraction: 0.1 }), { epochs: 1 });
    await service.swap(model);
    const ranker = learnedRanker(service, heuristicRanker(cfg.ranking.heuristicWeights));
    const scorer = service.current!.scorer;

    const rand = mulberry32(7);
    const ids = engine.store.itemIds();
    const request = (): { ctx: FeedContext; candidates: Candidate[] } => {
      const userId = world.userId(Math.floor(rand() * world.userCount));
      const ctx: FeedContext = {
        request: { requestId: 'bench', userId, sessionId: undefined, limit: 20, nowMs: now, variant: 'home' },
        store: engine.store,
        config: cfg.feed,
        configVersion: 'bench',
      };
      ctx.user = engine.store.describe('user', userId, now);
      const candidates = Array.from({ length: N }, () => ({ itemId: ids[Math.floor(rand() * ids.length)], sources: [{ name: 'trending', score: rand() }] }));
      return { ctx, candidates };
    };
    const full: number[] = [];
    const rankOnly: number[] = [];
    const bare: number[] = [];
    const prep: number[] = [];
    for (let it = -200; it < iterations; it++) {
      const { ctx, candidates } = request();
      const ids = candidates.map((c) => c.itemId);
      const t0 = performance.now();
      const batch = assembleFeatures(ctx, candidates, engine.store.itemBatch(ids));
      const t1 = performance.now();
      // the learned ranker and the bare call on the same inputs, in alternating order (neither always runs with
      // the other's warm caches)
      const rankIt = async () => {
        const a = performance.now();
        const res = await ranker.rank(ctx, batch);
        if (res.scores.length !== N) throw new Error('ranker returned the wrong number of scores');
        return performance.now() - a;
      };
      const bareIt = async () => {
        const a = performance.now();
        const prepared = scorer.prepare(ctx.request.userId, batch.features, ids, batch.attrs.authorIds, batch.attrs.categories);
        const b = performance.now();
        await scorer.runFeeds(prepared.feeds);
        const c = performance.now();
        prepared.done();
        return [b - a, c - b];
      };
      let rankMs: number;
      let bareMs: number[];
      if (it % 2 === 0) {
        rankMs = await rankIt();
        bareMs = await bareIt();
      } else {
        bareMs = await bareIt();
        rankMs = await rankIt();
      }
      if (it < 0) continue;
      full.push(t1 - t0 + rankMs);
      rankOnly.push(rankMs);
      prep.push(bareMs[0]);
      bare.push(bareMs[1]);
    }
    const p = (a: number[], q: number) => round(percentile(a, q), 3);
    return {
      candidates: N,
      iterations,
      p50_ms: p(full, 0.5),
      p99_ms: p(full, 0.99),
      ranker_p50_ms: p(rankOnly, 0.5),
      ranker_p99_ms: p(rankOnly, 0.99),
      bare_onnx_p50_ms: p(bare, 0.5),
      bare_onnx_p99_ms: p(bare, 0.99),
      inputs_p50_ms: p(prep, 0.5),
      stage_over_bare: round(percentile(rankOnly, 0.5) / percentile(bare, 0.5), 2),
      input_width: scorer.plan.F + 3 * scorer.plan.d,
      hidden: model.spec.hidden.join('x') === '' ? 0 : model.spec.hidden[0],
    };
  } finally {
    await service.close();
    await engine.close();
    await cleanup();
  }
}
