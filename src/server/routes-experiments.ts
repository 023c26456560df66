/**
 * Experiment routes: create (`POST /v1/experiments`: 201; 400 naming the field; 409 on a duplicate id), list, read,
 * change status (`PATCH /v1/experiments/:id {"status": …}`) and results (`GET /v1/experiments/:id/results`, with
 * `?aa_splits=K` also an A/A re-randomisation check of the statistics on the experiment's own users).
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/engine.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { ExperimentExistsError, type Experiment } from '../experiments/experiment.js';
import { aaCalibration, MAX_AA_SPLITS } from '../experiments/aa-calibration.js';
import { experimentResults } from '../experiments/results.js';

export function registerExperimentRoutes(app: FastifyInstance, engine: Engine): void {
  const store = engine.experiments;
  const find = (id: string): Experiment => {
    const e = store.get(id);
    if (!e) throw new NotFoundError(`no experiment ${JSON.stringify(id)}`, 'id');
    return e;
  };

  app.post('/v1/experiments', async (req, reply) => {
    try {
      const e = await store.create(req.body);
      return await reply.status(201).send(e);
    } catch (err) {
      // 409 is specific to this route; every other error goes through error-mapping.ts
      if (err instanceof ExperimentExistsError) return reply.status(409).send({ error: { code: err.code, message: err.message, field: err.field ?? '' } });
      throw err;
    }
  });
  app.get('/v1/experiments', async () => ({ experiments: store.list() }));
  app.get<{ Params: { id: string } }>('/v1/experiments/:id', async (req) => find(req.params.id));
  app.patch<{ Params: { id: string } }>('/v1/experiments/:id', async (req) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('request body must be {"status": …}', '', 'invalid_body');
    const extra = Object.keys(body).find((k) => k !== 'status');
    if (extra !== undefined) throw new ValidationError(`${extra}: only status can change`, extra, 'unknown_field');
    return store.setStatus(req.params.id, (body as { status?: unknown }).status);
  });
  app.get<{ Params: { id: string }; Querystring: { aa_splits?: string } }>('/v1/experiments/:id/results', async (req) => {
    const e = find(req.params.id);
    const stats = engine.armMetrics.stats(e.id);
    const results = experimentResults(e, stats);
    const raw = req.query.aa_splits;
    if (raw === undefined) return results;
    const splits = Number(raw);
    if (!/^\d+$/.test(raw) || splits < 1 || splits > MAX_AA_SPLITS) throw new ValidationError(`aa_splits: must be an integer from 1 to ${MAX_AA_SPLITS}, got ${JSON.stringify(raw)}`, 'aa_splits', 'invalid_query');
    return { ...results, aa_calibration: aaCalibration(e, stats, splits, results.alpha) };
  });
}
