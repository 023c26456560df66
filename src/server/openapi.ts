/** The OpenAPI 3.1 document served at /openapi.json, built from the same TypeBox schemas that validate requests. */
import { EVENT_TYPES, EventSchema, ItemSchema, UserSchema } from '../domain/schemas.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errorResp = (description: string) => ({ description, ...json(ref('Error')) });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const atParam = { name: 'at', in: 'query', required: false, schema: { type: 'integer' }, description: 'Features as of this time (ms); default now.' };
const batchResult = {
  type: 'object',
  properties: {
    accepted: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: {
      type: 'array',
      items: {
        type: 'object',
        properties: { index: { type: 'integer' }, code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};
const common4xx = {
  '400': errorResp('Malformed body (invalid JSON, wrong shape); `field` names the culprit.'),
  '413': errorResp('Body over server.bodyLimitBytes or too many elements.'),
  '415': errorResp('Content-Type is not application/json.'),
  '503': errorResp('The log could not make the batch durable; nothing was acknowledged, retry with the same ids.'),
};

export function openApiDocument(version: string): object {
  const features = {
    get: {
      parameters: [idParam, atParam],
      responses: { '200': { description: 'Feature values now', ...json(ref('EntityFeatures')) }, '404': errorResp('Unknown id') },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'feedloop', version, description: 'Real-time recommendation engine: ingest and online features.' },
    paths: {
      '/v1/events': {
        post: {
          summary: `Ingest up to 1000 events (${EVENT_TYPES.join(', ')}); durable (fsync) before the response.`,
          requestBody: json({ type: 'object', required: ['events'], properties: { events: { type: 'array', maxItems: 1000, items: ref('Event') } } }),
          responses: { '200': { description: 'Per-batch counts; invalid events listed in `rejected`', ...json(batchResult) }, ...common4xx },
        },
      },
      '/v1/items': {
        put: {
          summary: 'Create or replace items.',
          requestBody: json({ type: 'object', required: ['items'], properties: { items: { type: 'array', maxItems: 1000, items: ref('Item') } } }),
          responses: { '200': { description: 'Counts', ...json(batchResult) }, ...common4xx },
        },
      },
      '/v1/users': {
        put: {
          summary: 'Create or replace user profiles.',
          requestBody: json({ type: 'object', required: ['users'], properties: { users: { type: 'array', maxItems: 1000, items: ref('User') } } }),
          responses: { '200': { description: 'Counts', ...json(batchResult) }, ...common4xx },
        },
      },
      '/v1/items/{id}': {
        delete: { summary: 'Hide an item from feeds (kept in history).', parameters: [idParam], responses: { '200': { description: 'Deleted' }, '503': common4xx['503'] } },
      },
      '/v1/users/{id}/features': features,
      '/v1/items/{id}/features': features,
      '/v1/authors/{id}/features': features,
      '/v1/trending': {
        get: {
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } }, atParam],
          responses: { '200': { description: 'Trending items, best first' } },
        },
      },
      '/v1/feed/explain': {
        get: {
          summary: 'Why an item was served (or not) in one request: sources, features, scores, value-model terms, re-ranking, filters.',
          parameters: [
            { name: 'request_id', in: 'query', required: true, schema: { type: 'string' }, description: 'The `request_id` of a feed response.' },
            { name: 'item_id', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'The explanation (recent requests from memory, older ones from the serve log)', ...json(ref('FeedExplanation')) },
            '400': errorResp('A parameter is missing or too long; `field` names it.'),
            '404': errorResp('Unknown request (`field` request_id) or an item the request never saw (`field` item_id).'),
          },
        },
      },
      '/healthz': { get: { responses: { '200': { description: 'Process is up' } } } },
      '/readyz': { get: { responses: { '200': { description: 'State restored, accepting traffic' }, '503': { description: 'Not ready or a backend failed' } } } },
      '/metrics': { get: { responses: { '200': { description: 'Prometheus text format' } } } },
    },
    components: {
      schemas: {
        Event: EventSchema,
        Item: ItemSchema,
        User: UserSchema,
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } } },
        },
        FeedExplanation: {
          type: 'object',
          properties: {
            request_id: { type: 'string' },
            item_id: { type: 'string' },
            outcome: { enum: ['served', 'filtered', 'not_served'] },
            reason: { type: 'string' },
            request: { type: 'object' },
            sources: { type: ['array', 'null'], items: { type: 'object', properties: { name: { type: 'string' }, score: { type: 'number' } } } },
            ranker: { type: 'object', properties: { version: { type: 'string' }, heads: { type: 'array', items: { type: 'string' } } } },
            features: { type: ['object', 'null'], additionalProperties: { type: ['number', 'string'] } },
            scores: { type: ['object', 'null'], additionalProperties: { type: ['number', 'string'] } },
            value_model: { type: ['object', 'null'] },
            reranking: { type: ['object', 'null'] },
            filtered: { type: ['object', 'null'], properties: { filter: { type: 'string' }, reason: { type: 'string' } } },
            record_from: { enum: ['memory', 'serve_log'] },
          },
        },
        EntityFeatures: {
          type: 'object',
          properties: {
            entity: { type: 'string' },
            id: { type: 'string' },
            values: { type: 'object', additionalProperties: { type: 'number' } },
            lists: { type: 'object' },
            maps: { type: 'object' },
            attributes: { type: 'object' },
          },
        },
      },
    },
  };
}
