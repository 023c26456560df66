/** The one place where errors become HTTP statuses and the `{ "error": { code, message, field } }` body. */
import { FeedloopError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; field: string };
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', message: 'request body is larger than server.bodyLimitBytes' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Content-Type must be application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'request body is empty; expected a JSON object' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', message: 'Content-Length does not match the body' },
};

/** Maps any thrown value to a status and body. Server-side failures never leak internals beyond the message. */
export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof FeedloopError) {
    const status =
      err.category === 'client' ? (err.code === 'not_found' ? 404 : err.code === 'too_many_events' ? 413 : 400) : err.code === 'backend_unavailable' ? 503 : 500;
    return { status, body: { error: { code: err.code, message: err.message, field: err.field ?? '' } } };
  }
  const e = err as { code?: string; statusCode?: number; message?: string; name?: string };
  const known = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return { status: known.status, body: { error: { code: known.code, message: known.message, field: '' } } };
  if (e.name === 'SyntaxError' || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, body: { error: { code: 'invalid_json', message: `request body is not valid JSON: ${e.message ?? ''}`, field: '' } } };
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: { error: { code: 'bad_request', message: e.message ?? 'bad request', field: '' } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error', field: '' } } };
}
