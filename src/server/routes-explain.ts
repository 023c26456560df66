/**
 * GET /v1/feed/explain?request_id=…&item_id=…: why an item was served (or not) in one request, from its serve record
 * (recent requests from memory, older ones from the serve log files; see src/serve-log/recent-records.ts and
 * src/serve-log/explain.ts for the response).
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { explainItem } from '../serve-log/explain.js';

interface ExplainQueryString {
  request_id?: string;
  item_id?: string;
}

function requiredParam(q: ExplainQueryString, name: keyof ExplainQueryString): string {
  const v = q[name];
  if (v === undefined || v === '') throw new ValidationError(`${name} is required`, name, 'missing_field');
  if (typeof v !== 'string') throw new ValidationError(`${name} must be given once`, name);
  if (v.length > 256) throw new ValidationError(`${name} must be at most 256 characters`, name);
  return v;
}

export function registerExplainRoutes(app: FastifyInstance, engine: Pick<Engine, 'config' | 'feed' | 'serveRecords'>): void {
  app.get<{ Querystring: ExplainQueryString }>('/v1/feed/explain', async (req) => {
    const requestId = requiredParam(req.query, 'request_id');
    const itemId = requiredParam(req.query, 'item_id');
    const found = await engine.serveRecords.find(requestId);
    if (!found) throw new NotFoundError(`no served request ${requestId} in memory or in the serve log`, 'request_id');
    const explanation = explainItem(found.record, itemId, { valueWeights: engine.config.ranking.valueWeights, configVersion: engine.feed.configVersion });
    if (!explanation) throw new NotFoundError(`item ${itemId} was neither a candidate nor served in request ${requestId}`, 'item_id');
    return { ...explanation, record_from: found.from };
  });
}
