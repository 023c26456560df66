/**
 * Configuration: every default with its unit, loaded from `feedloop.config.json` (optional) and overridden by
 * environment variables named after the key path, e.g. `FEEDLOOP_SERVER_PORT=9000`, `FEEDLOOP_LOG_PARTITIONS=16`,
 * `FEEDLOOP_LOG_DURABILITY=interval`. The full reference is in README.md ("Configuration").
 */
import { readFileSync, existsSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** One injected fault (see src/pipeline/faults.ts): delay and/or fail the named component. */
export interface FaultSpec {
  component: string;
  delayMs?: number;
  fail?: boolean;
}

export const DEFAULT_CONFIG = {
  server: {
    /** TCP port of the HTTP API. */
    port: 8080,
    /** Interface to bind. */
    host: '0.0.0.0',
    /** Largest accepted request body, bytes. */
    bodyLimitBytes: 4 * 1024 * 1024,
  },
  data: {
    /** Directory of the embedded backends (log segments, snapshots). */
    dir: './data',
  },
  log: {
    /** Backend URL: `embedded:` keeps segment files under `data.dir/log`. */
    url: 'embedded:',
    /** Partitions; events are routed by hash of `user_id`. Fixed once a log exists. */
    partitions: 8,
    /** Segment file size before rolling, bytes. */
    segmentMaxBytes: 128 * 1024 * 1024,
    /** `fsync`: fsync before every acknowledgement (group commit). `interval`: ack after write, fsync periodically. */
    durability: 'fsync' as 'fsync' | 'interval',
    /** fsync period in `interval` mode, ms. */
    fsyncIntervalMs: 50,
    /** Extra wait to gather a bigger group commit, ms (0 = flush as soon as the previous flush ends). */
    maxBatchDelayMs: 0,
  },
  ingest: {
    /** Events per `POST /v1/events` request. */
    maxEventsPerRequest: 1000,
    /** Reject events whose `ts` is further than this ahead of server time, ms. */
    maxFutureSkewMs: 5 * 60 * 1000,
    /** Event ids remembered for de-duplication: at least this many of the most recent (two generations). */
    dedupCapacity: 1_000_000,
  },
  features: {
    /** Time constants of the decayed counters, seconds: a counter ≈ the count over the last window. */
    windowsSec: [3600, 86_400, 604_800],
    /** Length of each user's last-N lists (watched, completed, liked, skipped, positives). */
    lastN: 50,
    /** Impressions remembered per user for the seen filter. */
    seenMax: 500,
    /** Hidden items and hidden authors remembered per user. */
    hiddenMax: 200,
    /** Followed authors remembered per user. */
    followMax: 200,
    /** Recent uploads remembered per author. */
    authorUploadsN: 20,
    /** Recent uploads in the global fresh list. */
    freshN: 5000,
    /** Items in each category's trending list. */
    categoryTrendingK: 200,
    /** Entries of the per-user top-K maps (categories, authors). */
    userTopK: 16,
    /** Co-visited items kept per item. */
    covisTopK: 20,
    /** Earlier positives of the user an item is paired with for co-visitation. */
    covisPairs: 3,
    /** Two positives further apart than this are not co-visited, ms. */
    covisMaxGapMs: 6 * 3600 * 1000,
    /** Inactivity that ends a session when events carry no `session_id`, ms. */
    sessionGapMs: 30 * 60 * 1000,
    /** Pseudo-counts of the Bayesian smoothing of rates (prior = global rate). */
    ratePriorStrength: 20,
    /** A `view` with watch ratio ≥ this (or a `complete`, `like`, `share`) is a positive interaction. */
    positiveWatchRatio: 0.5,
    /** Items kept in the global trending list. */
    trendingTopK: 500,
    /** Write a snapshot after this many applied records… */
    snapshotEveryRecords: 500_000,
    /** …or this long after the last one when anything changed, ms. */
    snapshotIntervalMs: 60_000,
  },
  feed: {
    /** Slate size when the request gives none. */
    defaultLimit: 20,
    /** Largest slate; larger requests are capped (and say so). */
    maxLimit: 100,
    /** Candidates each source may contribute, by source name. */
    quotas: { 'two-tower': 300, trending: 200, fresh: 100, covisitation: 200, 'followed-authors': 100, 'top-categories': 200, 'local-trending': 100 } as Record<string, number>,
    /** The fresh source proposes uploads younger than this, ms. */
    freshMaxAgeMs: 48 * 3600 * 1000,
    /** Recent positives used as co-visitation seeds. */
    covisSeeds: 10,
    /** Co-visited items read per seed. */
    covisPerSeed: 20,
    /** Followed authors read by the followed-authors source. */
    followedAuthorsMax: 50,
    /** Recent uploads read per followed author. */
    uploadsPerAuthor: 5,
    /** Top categories read by the top-categories source. */
    topCategories: 3,
    /** Items impressed within this window are filtered as seen, ms. */
    seenWindowMs: 24 * 3600 * 1000,
    /** Items completed within this window are filtered, ms. */
    completedWindowMs: 7 * 24 * 3600 * 1000,
    /** At most this many items of one author… */
    maxPerAuthor: 2,
    /** …within any this many consecutive slots. */
    authorWindow: 10,
    /** At most this many items of one category… */
    maxPerCategory: 4,
    /** …within any this many consecutive slots. */
    categoryWindow: 10,
    /**
     * The re-rankers see the ranker's best this many candidates (at least the slate size); the rest are dropped before
     * re-ranking, so a freshness boost cannot lift an item from below it. Exploration still draws from all candidates.
     */
    rerankDepth: 200,
    /** Diversity (MMR): slot value = (1 − w)·relevance − w·max similarity to the items already placed; 0 = off. */
    diversityWeight: 0.15,
    /** Freshness boost: items younger than `freshnessHorizonMs` gain up to this share of the slate's score range… */
    freshnessBoost: 0.1,
    /** …decaying linearly to zero at this age, ms. */
    freshnessHorizonMs: 48 * 3600 * 1000,
    /** Feedback fatigue: an author the user skipped at least this many times (decayed, 7-day window)… */
    fatigueSkips: 3,
    /** …has its items' scores lowered by this share of the slate's score range per skip beyond it (capped at 1). */
    fatiguePenalty: 0.1,
    /**
     * Candidates a serve-log record keeps: `all` (every ranked candidate with its features and scores: what off-policy
     * evaluation of another ranker and `explain`'s ranker rank need) or `served` (the slate's items only, ~20× smaller;
     * enough for training on impressions).
     */
    serveLogCandidates: 'all' as 'all' | 'served',
    /** Serve log queue (records); when full, records are dropped and counted. */
    serveLogQueue: 2000,
    /** Serve log queue, bytes of prepared records (text and float blocks, ~250 KB at 1,000 candidates); when full, records are dropped and counted. */
    serveLogQueueBytes: 128 * 1024 * 1024,
    /** Per-user hot cache of the next page, computed in the background after each page (see src/pipeline/hot-cache.ts). */
    hotCache: {
      enabled: false,
      /** A cached page older than this is recomputed instead, ms. */
      ttlMs: 30_000,
      /** Users kept. */
      maxUsers: 100_000,
    },
  },
  latency: {
    /** Candidate sources must answer within this, ms; a late source is dropped (ledger: 3 ms for candidates). */
    sourcesMs: 3,
    /** The ranker must answer within this, ms; else the fallback ranker orders the slate (ledger: 4 ms for ranking). */
    rankingMs: 4,
    /** Refresh period of the precomputed popular list (the last-resort slate), ms. */
    popularRefreshMs: 10_000,
    /** Items in the popular list. */
    popularSize: 500,
  },
  /** Fault injection for tests and drills: `[{ "component": "ranker:learned", "delayMs": 50 }, { "component": "feature-store", "fail": true }]`. */
  faults: [] as FaultSpec[],
  exploration: {
    /** Share of the slate's slots given to exploration (0 = off). */
    share: 0.1,
    /** `thompson` (Beta posteriors of like-or-complete per impression from the real-time counters) or `epsilon-greedy`. */
    policy: 'thompson' as 'thompson' | 'epsilon-greedy',
    /** Candidates with fewer impressions than this (decayed 1-day counter) form the exploration pool… */
    maxImpressions: 200,
    /** …of at most this many, the best by ranker score. */
    poolSize: 100,
    /** Draws used to estimate a Thompson-sampled item's propensity (Monte Carlo; unbiased). */
    propensityDraws: 20,
  },
  retrieval: {
    /** Load `<data>/models/retrieval/CURRENT` at start and serve the two-tower source. */
    enabled: true,
    /** ANN index: `ivf` (IVF-Flat, built in a worker thread) or `hnsw` (hnswlib, built in time slices). */
    index: 'ivf' as 'ivf' | 'hnsw',
    /** IVF inverted lists; 0 = 2·√(items). */
    ivfLists: 0,
    /** IVF lists scanned per search. */
    ivfNprobe: 4,
    /** HNSW graph degree. */
    M: 16,
    /** HNSW build beam. */
    efConstruction: 200,
    /** HNSW search beam (≥ the two-tower quota). */
    efSearch: 320,
  },
  ranking: {
    /** Load `<data>/models/ranking/CURRENT` at start and rank with it (the heuristic ranker is the fallback). */
    enabled: true,
    /** The value model: final score = Σ weight × head (heads: complete, like, share, follow, hide, watch). */
    valueWeights: { complete: 1, like: 2, share: 4, follow: 8, hide: -8, watch: 1 } as Record<string, number>,
    /** Reactions within this time after an impression label it (training sets from the serve log), ms. */
    labelWindowMs: 30 * 60 * 1000,
    /** onnxruntime intra-op threads of the serving session. */
    threads: 1,
    /** Weights of the heuristic ranker by feature name (see README "Ranking"); a missing feature weighs 0. */
    heuristicWeights: {
      completion_rate: 1,
      like_rate: 2,
      share_rate: 4,
      skip_rate: -1,
      hide_rate: -4,
      log_engagement_1d: 0.3,
      log_engagement_1h: 0.2,
      category_affinity: 2,
      author_affinity: 1,
      follows_author: 1,
      freshness: 0.5,
      covis_score: 0.5,
      source_count: 0.2,
    } as Record<string, number>,
  },
};

export type FeedloopConfig = typeof DEFAULT_CONFIG;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Loads config: defaults ← file (if `path` exists or was given explicitly) ← environment. */
export function loadConfig(opts: { path?: string | null; env?: NodeJS.ProcessEnv; overrides?: DeepPartial<FeedloopConfig> } = {}): FeedloopConfig {
  const env = opts.env ?? process.env;
  // path null: no file at all (tests); undefined: $FEEDLOOP_CONFIG or ./feedloop.config.json when present
  const path = opts.path === null ? '' : (opts.path ?? env.FEEDLOOP_CONFIG ?? 'feedloop.config.json');
  const cfg = structuredClone(DEFAULT_CONFIG);
  if (path && existsSync(path)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ConfigError(`cannot parse ${path}: ${(e as Error).message}`);
    } 
    merge(tree(cfg), parsed, '');
  } else if (opts.path) {
    throw new ConfigError(`config file ${opts.path} not found`, 'config');
  }
  applyEnv(tree(cfg), env, 'FEEDLOOP');
  if (opts.overrides) merge(tree(cfg), opts.overrides, '');
  validate(cfg);
  return cfg;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** The config as a JSON tree (`faults` holds plain objects). */
const tree = (cfg: FeedloopConfig) => cfg as unknown as Record<string, Json>;

function merge(target: Record<string, Json>, src: unknown, path: string): void {
  if (typeof src !== 'object' || src === null || Array.isArray(src)) throw new ConfigError(`${path || 'config'} must be an object`, path);
  for (const [k, v] of Object.entries(src)) {
    const key = path ? `${path}.${k}` : k;
    if (!(k in target)) throw new ConfigError(`unknown config key ${key}`, key);
    const cur = target[k];
    if (typeof cur === 'object' && cur !== null && !Array.isArray(cur)) merge(cur, v, key);
    else {
      if (typeof v !== typeof cur || Array.isArray(v) !== Array.isArray(cur)) {
        throw new ConfigError(`config key ${key} must be ${Array.isArray(cur) ? 'an array' : `a ${typeof cur}`}`, key);
      }
      target[k] = v as Json;
    }
  }
}

function applyEnv(target: Record<string, Json>, env: NodeJS.ProcessEnv, prefix: string): void {
  for (const [k, cur] of Object.entries(target)) {
    const name = `${prefix}_${k.replace(/[A-Z]/g, (c) => `_${c}`).replace(/[^A-Za-z0-9_]/g, '_').toUpperCase()}`;
    if (typeof cur === 'object' && cur !== null && !Array.isArray(cur)) {
      applyEnv(cur, env, name);
      continue;
    }
    const raw = env[name];
    if (raw === undefined) continue;
    if (typeof cur === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got ${JSON.stringify(raw)}`, name);
      target[k] = n;
    } else if (typeof cur === 'boolean') target[k] = raw === 'true' || raw === '1';
    else if (Array.isArray(cur)) target[k] = raw.split(',').map((s) => Number(s.trim()));
    else target[k] = raw;
  }
}

function validate(cfg: FeedloopConfig): void {
  if (cfg.feed.serveLogCandidates !== 'all' && cfg.feed.serveLogCandidates !== 'served') {
    throw new ConfigError(`feed.serveLogCandidates must be "all" or "served", got ${JSON.stringify(cfg.feed.serveLogCandidates)}`, 'feed.serveLogCandidates');
  }
  for (const key of ['sourcesMs', 'rankingMs'] as const) {
    if (!(cfg.latency[key] > 0)) throw new ConfigError(`latency.${key} must be a positive number of ms, got ${cfg.latency[key]}`, `latency.${key}`);
  }
  cfg.faults.forEach((f, k) => {
    const field = `faults[${k}]`;
    if (typeof f !== 'object' || f === null || typeof f.component !== 'string' || !f.component) throw new ConfigError(`${field}.component must be a component name`, `${field}.component`);
    for (const key of Object.keys(f)) if (!['component', 'delayMs', 'fail'].includes(key)) throw new ConfigError(`unknown config key ${field}.${key}`, `${field}.${key}`);
    if (f.delayMs !== undefined && !(typeof f.delayMs === 'number' && f.delayMs >= 0)) throw new ConfigError(`${field}.delayMs must be ≥ 0`, `${field}.delayMs`);
    if (f.fail !== undefined && typeof f.fail !== 'boolean') throw new ConfigError(`${field}.fail must be a boolean`, `${field}.fail`);
  });
  const positiveInts: [string, number][] = [
    ['server.port', cfg.server.port],
    ['log.partitions', cfg.log.partitions],
    ['ranking.labelWindowMs', cfg.ranking.labelWindowMs],
    ['ranking.threads', cfg.ranking.threads],
    ['latency.popularRefreshMs', cfg.latency.popularRefreshMs],
    ['latency.popularSize', cfg.latency.popularSize],
    ['log.segmentMaxBytes', cfg.log.segmentMaxBytes],
    ['ingest.maxEventsPerRequest', cfg.ingest.maxEventsPerRequest],
    ['ingest.dedupCapacity', cfg.ingest.dedupCapacity],
    ['features.lastN', cfg.features.lastN],
    ['features.seenMax', cfg.features.seenMax],
    ['features.hiddenMax', cfg.features.hiddenMax],
    ['features.followMax', cfg.features.followMax],
    ['features.authorUploadsN', cfg.features.authorUploadsN],
    ['features.freshN', cfg.features.freshN],
    ['features.categoryTrendingK', cfg.features.categoryTrendingK],
    ['features.userTopK', cfg.features.userTopK],
    ['features.covisTopK', cfg.features.covisTopK],
    ['features.trendingTopK', cfg.features.trendingTopK],
    ['feed.serveLogQueue', cfg.feed.serveLogQueue],
    ['feed.serveLogQueueBytes', cfg.feed.serveLogQueueBytes],
  ];
  for (const [key, v] of positiveInts) {
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${key} must be a positive integer, got ${v}`, key);
  }
  if (cfg.server.port > 65535) throw new ConfigError('server.port must be ≤ 65535', 'server.port');
  if (cfg.log.durability !== 'fsync' && cfg.log.durability !== 'interval') {
    throw new ConfigError(`log.durability must be 'fsync' or 'interval', got ${JSON.stringify(cfg.log.durability)}`, 'log.durability');
  }
  if (cfg.features.windowsSec.length === 0 || cfg.features.windowsSec.some((w) => !(w > 0))) {
    throw new ConfigError('features.windowsSec must be a non-empty list of positive seconds', 'features.windowsSec');
  }
  if (cfg.retrieval.index !== 'ivf' && cfg.retrieval.index !== 'hnsw') {
    throw new ConfigError(`retrieval.index must be 'ivf' or 'hnsw', got ${JSON.stringify(cfg.retrieval.index)}`, 'retrieval.index');
  }
  if (cfg.ingest.maxEventsPerRequest > 1000) throw new ConfigError('ingest.maxEventsPerRequest must be ≤ 1000', 'ingest.maxEventsPerRequest');
}
