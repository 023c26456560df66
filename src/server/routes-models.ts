/** Model routes: item-to-item similar items, the loaded models, and zero-downtime reloads of the retrieval and ranking models. */
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../errors.js';
import type { Engine } from '../engine/engine.js';

export function registerModelRoutes(app: FastifyInstance, engine: Engine): void {
  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/v1/items/:id/similar', async (req) => {
    const limit = req.query.limit === undefined ? 20 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ValidationError('limit must be an integer in 1..500', 'limit');
    const wire = (xs: { itemId: string; score: number }[]) => xs.map((x) => ({ item_id: x.itemId, score: x.score }));
    const viaModel = engine.retrieval.similar(req.params.id, limit);
    if (viaModel !== undefined && viaModel.length > 0) {
      return { item_id: req.params.id, source: 'two-tower', model: engine.retrieval.modelVersion, items: wire(viaModel) };
    }
    // no model (or the item is not indexed): co-visitation from the real-time features
    return { item_id: req.params.id, source: 'covisitation', items: wire(engine.store.covisited(req.params.id, limit, Date.now())) };
  });
  app.get('/v1/models', async () => ({
    retrieval: engine.retrieval.ready ? retrievalInfo(engine) : null,
    ranking: rankingInfo(engine),
  }));
  app.post('/v1/models/ranking/reload', async (_req, reply) => {
    const loaded = await engine.reloadRanking();
    if (!loaded) return reply.status(404).send({ error: { code: 'no_model', message: 'no ranking model: run `feedloop train ranking` first', field: '' } });
    return { ranking: rankingInfo(engine) };
  });
  app.post('/v1/models/retrieval/reload', async (_req, reply) => {
    const loaded = await engine.reloadRetrieval();
    if (!loaded) return reply.status(404).send({ error: { code: 'no_model', message: 'no retrieval model: run `feedloop train retrieval` first', field: '' } });
    return { retrieval: retrievalInfo(engine) };
  });
}

function retrievalInfo(engine: Engine): { version: string | undefined; indexed_items: number; index_reused: boolean } {
  return { version: engine.retrieval.modelVersion, indexed_items: engine.retrieval.indexSize, index_reused: engine.retrieval.indexReused };
}

function rankingInfo(engine: Engine): { version: string; kind: string; tasks: string[]; metrics: Record<string, unknown> } | null {
  const m = engine.ranking.current?.model;
  return m ? { version: m.version, kind: m.parts.meta.kind, tasks: [...m.spec.tasks], metrics: m.parts.meta.metrics } : null;
}
