/**
 * Opens the whole write path on the configured backends and wires it together:
 *
 *   Ingestor ──append──▶ EventLog ──onAppend──▶ StreamProcessor ──apply──▶ FeatureStore (+ event-id index)
 *
 * On start the processor replays the log from the store's snapshot positions, so the engine is ready only once the
 * features reflect every acknowledged event.
 */
import { join, resolve } from 'node:path';
import { readdir, rm } from 'node:fs/promises';
import type { FeedloopConfig } from '../config/config.js';
import type { ServeRecord } from '../domain/feed.js';
import { ConfigError } from '../errors.js';
import { openSegmentLog } from '../backends/embedded/segment-log.js';
import type { FaultHooks } from '../backends/embedded/partition-log.js';
import { EmbeddedFeatureStore } from '../backends/embedded/embedded-feature-store.js';
import type { EventLog } from '../log/event-log.js';
import type { FeatureStore } from '../features/feature-store.js';
import { StreamProcessor } from '../features/stream-processor.js';
import { EventIdIndex } from '../ingest/event-id-index.js';
import { LogIngestor } from '../ingest/log-ingestor.js';
import { FeedService } from '../pipeline/feed-service.js';
import { openHnswIndex } from '../retrieval/ann/hnsw-index.js';
import { buildIvfInWorker } from '../retrieval/ann/ivf-build.js';
import { RetrievalService } from '../retrieval/retrieval-service.js';
import { RankingModelService } from '../ranking/ranking-model-service.js';
import { loadCurrentRetrievalModel } from '../retrieval/two-tower-retrieval-model.js';
import { openJsonlServeLog } from '../serve-log/jsonl-serve-log.js';
import type { ServeLog } from '../serve-log/serve-log.js';
import { RecentServeRecords, type RecentServeRecordsOptions } from '../serve-log/recent-records.js';
import { createMetrics, typeLabel, type Metrics } from './metrics.js';
import { ExperimentStore } from '../experiments/experiment-store.js';
import { ArmMetrics } from '../experiments/arm-metrics.js';
import { ExperimentServing } from '../experiments/serving.js';
import { feedPipelines } from '../pipeline/home-feed.js';

export interface Engine {
  readonly config: FeedloopConfig;
  readonly log: EventLog;
  readonly store: FeatureStore;
  readonly ingestor: LogIngestor;
  readonly processor: StreamProcessor;
  readonly metrics: Metrics;
  readonly feed: FeedService;
  readonly serveLog: ServeLog;
  /** Serve records by request id: recent ones in memory (a side effect), older ones from the serve log files. */
  readonly serveRecords: RecentServeRecords;
  readonly retrieval: RetrievalService;
  /** Loads the current retrieval model (CURRENT) and swaps it in once its index is built; false when there is none. */
  reloadRetrieval(): Promise<boolean>;
  readonly ranking: RankingModelService;
  /** Loads the current ranking model (CURRENT) and swaps it in; false when there is none. */
  reloadRanking(): Promise<boolean>;
  /** A/B experiments (`<data>/experiments/`) and their per-arm metrics (src/experiments/). */
  readonly experiments: ExperimentStore;
  readonly armMetrics: ArmMetrics;
  /** Set when a background component failed (e.g. the log cannot write): /readyz reports it. */
  readonly failure: () => Error | undefined;
  /** Refreshes gauges that are computed on demand (consumer lag, entity counts); call before a scrape. */
  sampleGauges(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenEngineOptions {
  /** Discard snapshots and rebuild all state from offset 0 (`feedloop replay`). */
  rebuild?: boolean;
  /** Log to stderr (default true). */
  logErrors?: boolean;
  /** Test hooks of the embedded log (throw to simulate a full disk or an fsync failure). */
  logFaults?: FaultHooks;
  /** Memory budget of the recent serve records kept for explanations (default 64 MiB, 100 000 records). */
  recentServeRecords?: RecentServeRecordsOptions;
}

export async function openEngine(config: FeedloopConfig, opts: OpenEngineOptions = {}): Promise<Engine> {
  const dataDir = resolve(config.data.dir);
  if (config.log.url !== 'embedded:' && !config.log.url.startsWith('embedded:')) {
    throw new ConfigError(`log.url ${config.log.url}: only the embedded log is available in this version`, 'log.url');
  }
  const metrics = createMetrics({ defaultMetrics: true });
  const log = await openSegmentLog({
    dir: join(dataDir, 'log'),
    partitionCount: config.log.partitions,
    segmentMaxBytes: config.log.segmentMaxBytes,
    durability: config.log.durability === 'fsync' ? { mode: 'fsync' } : { mode: 'interval', intervalMs: config.log.fsyncIntervalMs },
    maxBatchDelayMs: config.log.maxBatchDelayMs,
    faults: opts.logFaults,
  });
  const snapshotPath = join(dataDir, 'state', 'features.snap');
  if (opts.rebuild) await rm(snapshotPath, { force: true });
  const ids = new EventIdIndex(config.ingest.dedupCapacity);
  const variants = Object.keys(feedPipelines({ heuristicWeights: config.ranking.heuristicWeights, sideEffects: [] }));
  const experiments = await ExperimentStore.open({ dir: join(dataDir, 'experiments'), variants });
  const armMetrics = new ArmMetrics({
    assigner: () => experiments.assigner,
    experiment: (id) => experiments.get(id),
    sessionGapMs: config.features.sessionGapMs,
    durationOf: (itemId) => store.describe('item', itemId, Date.now())?.values.duration_ms,
    registry: metrics.registry,
  });
  const store = await EmbeddedFeatureStore.open({
    features: config.features,
    partitionCount: log.partitionCount,
    snapshotPath,
    sidecars: [
      { name: 'event-ids', serialize: () => ids.serialize(), restore: (b) => ids.restore(b) },
      // per-arm metrics are checkpointed with the features they were computed with (replay completes both)
      { name: 'experiment-metrics', serialize: () => armMetrics.serialize(), restore: (b) => armMetrics.restore(b) },
    ],
  });
  let failure: Error | undefined;
  const ivfDir = join(dataDir, 'models', 'retrieval', 'index');
  let ivfLists = 1;
  const retrieval = new RetrievalService(store, {
    // IVF: probe enough lists to scan about 4 × k vectors (the benchmark's operating point), at least ivfNprobe
    searchEf:
      config.retrieval.index === 'ivf'
        ? (k, size) => Math.max(config.retrieval.ivfNprobe, Math.ceil((4 * k * ivfLists) / Math.max(1, size)))
        : undefined,
    bulkBuild:
      config.retrieval.index === 'ivf'
        ? async (dim, ids, vectors, version, handles) => {
            const lists = config.retrieval.ivfLists || Math.max(1, Math.round(2 * Math.sqrt(ids.length)));
            const built = await buildIvfInWorker({ dim, ids, vectors, lists, listsExact: config.retrieval.ivfLists > 0, nprobe: config.retrieval.ivfNprobe, dir: join(ivfDir, version) }, handles);
            ivfLists = built.index.lists;
            // other models' saved indexes are not served again (a reload of one rebuilds it)
            for (const name of await readdir(ivfDir)) if (name !== version) await rm(join(ivfDir, name), { recursive: true, force: true });
            return { index: built.index, reused: built.outcome === 'reused' };
          }
        : undefined,
    createIndex: (dim, capacity) =>
      openHnswIndex({ dim, capacity, M: config.retrieval.M, efConstruction: config.retrieval.efConstruction, efSearch: config.retrieval.efSearch }),
    log: opts.logErrors === false ? undefined : (line) => console.log(`feedloop: ${line}`),
  });
  const logErrors = opts.logErrors ?? true;
  const processor = new StreamProcessor(
    log,
    store,
    ids,
    { group: 'features', snapshotEveryRecords: config.features.snapshotEveryRecords, snapshotIntervalMs: config.features.snapshotIntervalMs },
    {
      applied(count, newestAppendMs) {
        metrics.recordsApplied.inc(count);
        const lagMs = Math.max(0, Date.now() - newestAppendMs);
        metrics.freshness.observe(lagMs / 1000);
        metrics.freshnessLag.set(lagMs);
      },
      appliedEntries: (entries) => {
        retrieval.onEntries(entries);
        armMetrics.onEntries(entries);
      },
      checkpointed: (ms) => metrics.snapshotDuration.observe(ms / 1000),
      error(err) {
        failure = err instanceof Error ? err : new Error(String(err));
        if (logErrors) console.error('feedloop: stream processor failed:', err);
      },
    },
  );
  const ingestor = new LogIngestor(log, ids, config.ingest, {
    accepted(counts, appendMs) {
      for (const [type, n] of counts) metrics.eventsAccepted.inc({ type }, n);
      if (counts.size) metrics.logAppend.observe(appendMs / 1000);
    },
    rejected(rejections, raw) {
      for (const r of rejections) metrics.eventsRejected.inc({ type: typeLabel(raw[r.index]), code: r.code });
    },
  });
  await processor.start();
  const serveLog = await openJsonlServeLog({
    dir: join(dataDir, 'servelog'),
    maxQueueRecords: config.feed.serveLogQueue,
    maxQueueBytes: config.feed.serveLogQueueBytes,
  });
  const ranking = new RankingModelService(config.ranking.valueWeights, config.ranking.threads);
  const serveRecords = new RecentServeRecords(serveLog, join(dataDir, 'servelog'), opts.recentServeRecords);
  const sideEffects = [
    { name: 'serve-log', run: (record: ServeRecord) => void serveLog.write(record) },
    { name: 'recent-serve-records', run: (record: ServeRecord) => serveRecords.remember(record) },
  ];
  const feed = new FeedService(store, config, sideEffects, metrics, retrieval, ranking, new ExperimentServing(experiments, config, armMetrics));
  const reloadRanking = () => ranking.loadCurrent(dataDir);
  if (config.ranking.enabled) {
    try {
      await reloadRanking();
    } catch (err) {
      if (logErrors) console.error('feedloop: ranking model not loaded (serving the heuristic ranker):', err);
    }
  }
  const reloadRetrieval = async () => {
    const model = await loadCurrentRetrievalModel(dataDir);
    if (!model) return false;
    await retrieval.load(model);
    return true;
  };
  if (config.retrieval.enabled) {
    // built in the background: the feed serves without the two-tower source until the index is ready
    reloadRetrieval().catch((err: unknown) => {
      if (logErrors) console.error('feedloop: retrieval model not loaded:', err);
    });
  }

  const sampleGauges = async () => {
    const lag = await processor.lag();
    metrics.consumerLagEvents.set(lag.events);
    metrics.consumerLagMs.set(lag.ms);
    const st = store.stats();
    metrics.entities.set({ entity: 'item' }, st.items);
    metrics.entities.set({ entity: 'user' }, st.users);
    metrics.entities.set({ entity: 'author' }, st.authors);
    metrics.featureBytes.set(st.totalBytes);
    const sl = serveLog.stats();
    metrics.serveLogRecords.set({ outcome: 'written' }, sl.written);
    metrics.serveLogRecords.set({ outcome: 'dropped' }, sl.dropped);
    metrics.serveLogRecords.set({ outcome: 'queued' }, sl.queued);
    metrics.serveLogQueuedBytes.set(sl.queuedBytes);
  };

  let closed = false;
  return {
    config,
    log,
    store,
    ingestor,
    processor,
    metrics,
    feed,
    serveLog,
    serveRecords,
    retrieval,
    reloadRetrieval,
    ranking,
    reloadRanking,
    experiments,
    armMetrics,
    failure: () => failure,
    sampleGauges,
    async close() {
      if (closed) return;
      closed = true;
      feed.close();
      await serveLog.close();
      await retrieval.close();
      await ranking.close();
      await processor.stop();
      await store.close();
      await log.close();
    },
  };
}
