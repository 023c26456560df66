/**
 * Prometheus metrics (prom-client), one registry per engine so tests can run several engines in one process.
 * Every metric name starts with `feedloop_`; see README.md ("Metrics") for the list.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EVENT_TYPES } from '../domain/schemas.js';

const MS_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'feedloop_process_' });
  const r = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: 'feedloop_http_request_duration_seconds',
      help: 'HTTP request latency by route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: MS_BUCKETS,
      registers: r,
    }),
    eventsAccepted: new Counter({ name: 'feedloop_events_accepted_total', help: 'Events appended to the log, by type.', labelNames: ['type'], registers: r }),
    eventsRejected: new Counter({
      name: 'feedloop_events_rejected_total',
      help: 'Events rejected by validation, by type (or "unknown") and error code.',
      labelNames: ['type', 'code'],
      registers: r,
    }),
    eventsDuplicate: new Counter({ name: 'feedloop_events_duplicate_total', help: 'Events dropped as duplicates of an accepted id.', registers: r }),
    logAppend: new Histogram({
      name: 'feedloop_log_append_duration_seconds',
      help: 'Time to make an ingest batch durable in the log (group commit incl. fsync).',
      buckets: MS_BUCKETS,
      registers: r,
    }),
    recordsApplied: new Counter({ name: 'feedloop_records_applied_total', help: 'Log records applied to the feature store.', registers: r }),
    freshness: new Histogram({
      name: 'feedloop_feature_freshness_seconds',
      help: 'Time from a record being appended to the log to its features being readable.',
      buckets: MS_BUCKETS,
      registers: r,
    }),
    freshnessLag: new Gauge({ name: 'feedloop_feature_freshness_lag_ms', help: 'Freshness lag of the last applied batch, ms.', registers: r }),
    consumerLagEvents: new Gauge({ name: 'feedloop_consumer_lag_events', help: 'Log records not yet applied to the feature store.', registers: r }),
    consumerLagMs: new Gauge({ name: 'feedloop_consumer_lag_ms', help: 'Age of the newest applied record while behind, ms (0 when caught up).', registers: r }),
    snapshotDuration: new Histogram({
      name: 'feedloop_snapshot_duration_seconds',
      help: 'Feature store checkpoint time.',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 20],
      registers: r,
    }),
    feedStage: new Histogram({
      name: 'feedloop_feed_stage_seconds',
      help: 'Feed pipeline time per stage (sources, filters, features, ranking, reranking, total; after-response: the serve record and side effects, run once the reply is sent).',
      labelNames: ['variant', 'stage'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1],
      registers: r,
    }),
    feedCandidates: new Counter({ name: 'feedloop_feed_candidates_total', help: 'Candidates proposed, by source.', labelNames: ['source'], registers: r }),
    feedRemoved: new Counter({ name: 'feedloop_feed_filtered_total', help: 'Candidates removed, by filter and reason.', labelNames: ['filter', 'reason'], registers: r }),
    feedCache: new Counter({ name: 'feedloop_feed_cache_requests_total', help: 'Hot-cache lookups by outcome (hit, miss, stale).', labelNames: ['outcome'], registers: r }),
    feedCacheStaleness: new Histogram({
      name: 'feedloop_feed_cache_staleness_seconds',
      help: 'Age of a cached page when served (hit) or discarded (stale).',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers: r,
    }),
    feedFallback: new Counter({
      name: 'feedloop_feed_fallback_total',
      help: 'Requests served with a fallback: fallback-ranker, feature-store, trending+fresh, popular-list.',
      labelNames: ['fallback'],
      registers: r,
    }),
    feedDegraded: new Counter({
      name: 'feedloop_feed_degraded_total',
      help: 'Components that failed during a request and were dropped or replaced by their fallback.',
      labelNames: ['component'],
      registers: r,
    }),
    serveLogRecords: new Gauge({ name: 'feedloop_serve_log_records', help: 'Serve log records by outcome (written, dropped, queued).', labelNames: ['outcome'], registers: r }),
    serveLogQueuedBytes: new Gauge({ name: 'feedloop_serve_log_queued_bytes', help: 'Memory held by the serve log queue (prepared records), bytes.', registers: r }),
    entities: new Gauge({ name: 'feedloop_entities', help: 'Entities in the feature store.', labelNames: ['entity'], registers: r }),
    featureBytes: new Gauge({ name: 'feedloop_feature_store_bytes', help: 'Bytes held by feature slabs.', registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const KNOWN_TYPES = new Set<string>(EVENT_TYPES);
/** The metric label for a raw event's type: itself when known, else "unknown". */
export function typeLabel(raw: unknown): string {
  const t = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return typeof t === 'string' && KNOWN_TYPES.has(t) ? t : 'unknown';
}
