/** GET /v1/feed: validates the query at the edge and serves a slate; the serve record is written after the reply. */
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../errors.js';
import type { FeedService } from '../pipeline/feed-service.js';
import type { FeedloopConfig } from '../config/config.js';

interface FeedQueryString {
  user_id?: string;
  limit?: string;
  session_id?: string;
  variant?: string;
  debug?: string;
}

export function registerFeedRoutes(app: FastifyInstance, feed: FeedService, cfg: FeedloopConfig['feed']): void {
  app.get<{ Querystring: FeedQueryString }>('/v1/feed', async (req, reply) => {
    const q = req.query;
    const userId = q.user_id;
    if (userId === undefined || userId === '') throw new ValidationError('user_id is required', 'user_id', 'missing_field');
    if (userId.length > 128) throw new ValidationError('user_id must be at most 128 characters', 'user_id');
    let limit = cfg.defaultLimit;
    const notices: string[] = [];
    if (q.limit !== undefined) {
      limit = Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new ValidationError(`limit must be a positive integer, got ${JSON.stringify(q.limit)}`, 'limit');
      if (limit > cfg.maxLimit) {
        notices.push(`limit ${limit} capped to ${cfg.maxLimit}`);
        limit = cfg.maxLimit;
      }
    }
    if (q.session_id !== undefined && (q.session_id.length < 1 || q.session_id.length > 128)) {
      throw new ValidationError('session_id must be 1–128 characters', 'session_id');
    }
    const variant = q.variant ?? 'home';
    if (!feed.pipelines[variant]) throw new ValidationError(`unknown variant ${JSON.stringify(variant)}; one of ${feed.variants().join(', ')}`, 'variant');
    const debug = q.debug === '1' || q.debug === 'true';
    const run = await feed.serve({ userId, limit, sessionId: q.session_id, variant, debug });
    if (notices.length) run.response.notices = notices;
    reply.raw.once('finish', () => setImmediate(() => run.finish()));
    return run.response;
  });
}
