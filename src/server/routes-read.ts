/** Read routes: the online feature values of a user, item or author, and the trending list (debugging, benchmarks). */
import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import type { Entity } from '../features/feature-store.js';

/** Parses an optional `at` query parameter (ms since epoch) for "features as of"; defaults to now. */
function nowFrom(query: unknown): number {
  const at = (query as Record<string, string | undefined>)?.at;
  if (at === undefined) return Date.now();
  const n = Number(at);
  if (!Number.isFinite(n) || n < 0) throw new ValidationError('at must be a time in ms since epoch', 'at');
  return n;
}

export function registerReadRoutes(app: FastifyInstance, engine: Engine): void {
  const route = (path: string, entity: Entity) =>
    app.get<{ Params: { id: string } }>(path, async (req) => {
      const f = engine.store.describe(entity, req.params.id, nowFrom(req.query));
      if (!f) throw new NotFoundError(`no ${entity} ${req.params.id} in the feature store`, 'id');
      return f;
    });
  route('/v1/users/:id/features', 'user');
  route('/v1/items/:id/features', 'item');
  route('/v1/authors/:id/features', 'author');
  app.get('/v1/trending', async (req) => {
    const raw = (req.query as Record<string, string | undefined>).limit ?? '50';
    const limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('limit must be an integer in 1..1000', 'limit');
    return { items: engine.store.trending(limit, nowFrom(req.query)).map((x) => ({ item_id: x.itemId, score: x.score })) };
  });
}
