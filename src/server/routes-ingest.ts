/** Write routes: events, items, users, item deletion. All go through the Ingestor (validation, dedup, durable log). */
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../errors.js';
import type { Engine } from '../engine/engine.js';

/** Reads `body[field]` as an array, or throws a ValidationError naming the field. */
export function arrayField(body: unknown, field: string, max: number): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError(`request body must be a JSON object with a "${field}" array`, '', 'invalid_body');
  }
  const extra = Object.keys(body).find((k) => k !== field);
  if (extra !== undefined) throw new ValidationError(`unknown field ${extra}; the body is { "${field}": [...] }`, extra, 'unknown_field');
  const v = (body as Record<string, unknown>)[field];
  if (v === undefined) throw new ValidationError(`${field} is required`, field, 'missing_field');
  if (!Array.isArray(v)) throw new ValidationError(`${field} must be an array`, field, 'invalid_type');
  if (v.length > max) throw new ValidationError(`${field} holds ${v.length} elements; at most ${max} per request`, field, 'too_many_events');
  return v;
}

export function registerIngestRoutes(app: FastifyInstance, engine: Engine): void {
  const maxEvents = engine.config.ingest.maxEventsPerRequest;
  app.post('/v1/events', async (req) => {
    const events = arrayField(req.body, 'events', maxEvents);
    const result = await engine.ingestor.ingestEvents(events);
    if (result.duplicates) engine.metrics.eventsDuplicate.inc(result.duplicates);
    return result;
  });
  app.put('/v1/items', async (req) => {
    const { accepted, rejected } = await engine.ingestor.upsertItems(arrayField(req.body, 'items', 1000));
    return { accepted, rejected };
  });
  app.put('/v1/users', async (req) => {
    const { accepted, rejected } = await engine.ingestor.upsertUsers(arrayField(req.body, 'users', 1000));
    return { accepted, rejected };
  });
  app.delete<{ Params: { id: string } }>('/v1/items/:id', async (req) => {
    await engine.ingestor.deleteItem(req.params.id);
    return { id: req.params.id, deleted: true };
  });
}
