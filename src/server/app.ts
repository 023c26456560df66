/** Builds the HTTP API (fastify) over an open engine. Routes live in routes-*.ts; errors map in error-mapping.ts. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Engine } from '../engine/engine.js';
import { toHttpError } from './error-mapping.js';
import { openApiDocument } from './openapi.js';
import { registerExplainRoutes } from './routes-explain.js';
import { registerExperimentRoutes } from './routes-experiments.js';
import { registerFeedRoutes } from './routes-feed.js';
import { registerIngestRoutes } from './routes-ingest.js';
import { registerModelRoutes } from './routes-models.js';
import { registerReadRoutes } from './routes-read.js';

export const VERSION = '0.1.0';

export function buildServer(engine: Engine): FastifyInstance {
  const app = Fastify({ bodyLimit: engine.config.server.bodyLimitBytes, logger: false, return503OnClosing: true });

  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = toHttpError(err);
    if (status === 503) void reply.header('retry-after', '1');
    if (status >= 500 && status !== 503) console.error('feedloop: request failed:', err);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'no_route', message: `no route ${req.method} ${req.url.split('?')[0]}`, field: '' } });
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    engine.metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  registerIngestRoutes(app, engine);
  registerReadRoutes(app, engine);
  registerFeedRoutes(app, engine.feed, engine.config.feed);
  registerExplainRoutes(app, engine);
  registerModelRoutes(app, engine);
  registerExperimentRoutes(app, engine);

  const doc = openApiDocument(VERSION);
  app.get('/openapi.json', async () => doc);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const failure = engine.failure();
    if (failure) return reply.status(503).send({ status: 'failed', error: failure.message });
    const lag = await engine.processor.lag();
    return { status: 'ready', consumer_lag_events: lag.events };
  });
  app.get('/metrics', async (_req, reply) => {
    await engine.sampleGauges();
    void reply.header('content-type', engine.metrics.registry.contentType);
    return engine.metrics.registry.metrics();
  });
  return app;
}
