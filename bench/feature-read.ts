/**
 * Candidate read benchmark, in process: two embedded feature stores with the same catalog (1M items by default,
 * `FEEDLOOP_BENCH_READ_ITEMS`) and events, one with the item serving columns column by column (the old layout), one
 * interleaved row-major (the default). Each round draws 1000 random candidates (a tenth of them from the user's
 * recent impressions, so the seen filter removes some; 70% as new id strings, as the two-tower source's are),
 * evicts the CPU caches by sweeping a buffer (`FEEDLOOP_BENCH_READ_SWEEP_MB`, default 64; 0 = none), then runs
 * the feed's filters + feature assembly on one of four paths, in rotating order:
 * - `columnar_two_reads`: column layout, itemBatch → filters → assembleFeatures reading itemFeatures (the old path);
 * - `columnar_fused`: column layout, candidateBatch → filters → assembleFeatures with the values read;
 * - `rows_two_reads`: interleaved layout, the old calls;
 * - `rows_fused`: interleaved layout, candidateBatch (the pipeline's path now).
 * Reports p50/p99 ms per path and the ratios to the old path.
 */
import { EmbeddedFeatureStore } from '../src/backends/embedded/embedded-feature-store.js';
import { loadConfig } from '../src/config/config.js';
import type { StoredEvent } from '../src/domain/schemas.js';
import { ITEM_SERVING_FEATURES } from '../src/features/definitions.js';
import { applyFilters, pickRows } from '../src/filtering/apply-filters.js';
import { completedFilter, deletedFilter, hiddenFilter, seenFilter } from '../src/filtering/standard-filters.js';
import type { LogEntry } from '../src/log/log-entry.js';
import type { Candidate, FeedContext } from '../src/pipeline/feed-context.js';
import { assembleFeatures } from '../src/ranking/feature-assembly.js';
import { mulberry32 } from '../src/util/prng.js';
import { percentile, round } from './util.js';

const FILTERS = [deletedFilter, hiddenFilter, seenFilter, completedFilter];
const EVENT_TYPES = ['impression', 'view', 'like', 'skip', 'complete', 'share'] as const;

type Path = 'columnar_two_reads' | 'columnar_fused' | 'rows_two_reads' | 'rows_fused';
const PATHS: Path[] = ['columnar_two_reads', 'columnar_fused', 'rows_two_reads', 'rows_fused'];

/** The catalog and a history of events over it, shared (same id strings) by both stores. */
function makeLog(items: number, users: number, events: number, nowMs: number): LogEntry[] {
  const rand = mulberry32(7);
  const out: LogEntry[] = [];
  for (let i = 0; i < items; i++) {
    out.push({ kind: 'item', item: { id: `i${i}`, author_id: `a${i % Math.max(10, items / 20)}`, category: `c${i % 50}`, created_at: nowMs - rand() * 30 * 86_400_000, duration_ms: 5000 + Math.floor(rand() * 60_000) }, ts: nowMs - 86_400_000 });
  }
  for (let e = 0; e < events; e++) {
    const type = EVENT_TYPES[Math.floor(rand() * EVENT_TYPES.length)];
    const event = { id: `e${e}`, type, user_id: `u${Math.floor(rand() * users)}`, item_id: `i${Math.floor(rand() * items)}`, ts: nowMs - 86_400_000 + (e / events) * 86_400_000 } as StoredEvent;
    if (type === 'view' || type === 'skip') (event as { watch_ms?: number }).watch_ms = Math.floor(rand() * 30_000);
    out.push({ kind: 'event', event });
  }
  return out;
}

/** Touches every cache line of the sweep buffer, so each round starts with cold caches. */
const sweep = new Float64Array((Number(process.env.FEEDLOOP_BENCH_READ_SWEEP_MB ?? 64) << 20) / 8);
function evictCaches(): number {
  let s = 0;
  for (let i = 0; i < sweep.length; i += 8) s += sweep[i]++;
  return s;
}

function runPath(path: Path, ctx: FeedContext, candidates: Candidate[]): number {
  const ids = candidates.map((c) => c.itemId);
  if (path.endsWith('two_reads')) {
    const attrs = ctx.store.itemBatch(ids);
    const f = applyFilters(FILTERS, ctx, candidates, attrs);
    return assembleFeatures(ctx, f.candidates, f.attrs).features.length;
  }
  const I = ITEM_SERVING_FEATURES.length;
  const values = new Float32Array(ids.length * I);
  const attrs = ctx.store.candidateBatch(ids, ctx.request.nowMs, values);
  const f = applyFilters(FILTERS, ctx, candidates, attrs);
  return assembleFeatures(ctx, f.candidates, f.attrs, f.kept.length === ids.length ? values : pickRows(values, f.kept, I)).features.length;
}

export async function benchFeatureRead(opts: { items?: number; rounds?: number } = {}): Promise<Record<string, number>> {
  const items = opts.items ?? Number(process.env.FEEDLOOP_BENCH_READ_ITEMS ?? 1_000_000);
  const rounds = opts.rounds ?? Number(process.env.FEEDLOOP_BENCH_READ_ROUNDS ?? 400);
  const users = 20_000;
  const nowMs = Date.now();
  const cfg = loadConfig({ path: null, env: {} });
  const log = makeLog(items, users, 2 * items, nowMs);
  // u0's recent impressions: the seen filter's list
  const impressed: string[] = [];
  const rand = mulberry32(11);
  for (let k = 0; k < cfg.features.seenMax; k++) {
    const itemId = `i${Math.floor(rand() * items)}`;
    impressed.push(itemId);
    log.push({ kind: 'event', event: { id: `seen${k}`, type: 'impression', user_id: 'u0', item_id: itemId, ts: nowMs - 60_000 + k } as StoredEvent });
  }
  const t0 = performance.now();
  const stores = {
    columnar: await EmbeddedFeatureStore.open({ features: cfg.features, partitionCount: 1, interleaveItems: false }),
    rows: await EmbeddedFeatureStore.open({ features: cfg.features, partitionCount: 1 }),
  };
  for (const s of Object.values(stores)) for (let at = 0; at < log.length; at += 10_000) s.apply(log.slice(at, at + 10_000), [0]);
  const buildSeconds = (performance.now() - t0) / 1000;
  const ids = stores.rows.itemIds();

  const ctxOf = (store: EmbeddedFeatureStore): FeedContext => ({
    request: { requestId: 'r', userId: 'u0', sessionId: undefined, limit: 20, nowMs, variant: 'home' },
    store,
    user: store.describe('user', 'u0', nowMs),
    config: cfg.feed,
    configVersion: 'bench',
  });
  const ctxs = { columnar: ctxOf(stores.columnar), rows: ctxOf(stores.rows) };
  const times: Record<Path, number[]> = { columnar_two_reads: [], columnar_fused: [], rows_two_reads: [], rows_fused: [] };
  let check = 0;
  for (let r = 0; r < rounds + 20; r++) {
    for (let p = 0; p < PATHS.length; p++) {
      const path = PATHS[(p + r) % PATHS.length];
      const candidates: Candidate[] = [];
      for (let k = 0; k < 1000; k++) {
        // like the two-tower source's, most ids are string objects other than the store's own (read from the model)
        const itemId = k % 10 === 0 ? impressed[Math.floor(rand() * impressed.length)] : k % 10 < 8 ? `i${Math.floor(rand() * items)}` : ids[Math.floor(rand() * ids.length)];
        candidates.push({ itemId, sources: [{ name: 'trending', score: rand() }] });
      }
      check += evictCaches();
      const t = performance.now();
      check += runPath(path, ctxs[path.startsWith('columnar') ? 'columnar' : 'rows'], candidates);
      if (r >= 20) times[path].push(performance.now() - t); // the first rounds warm up the JIT
    }
  }
  const out: Record<string, number> = { items, rounds, build_s: round(buildSeconds, 1) };
  for (const p of PATHS) {
    out[`${p}_p50_ms`] = round(percentile(times[p], 0.5), 3);
    out[`${p}_p99_ms`] = round(percentile(times[p], 0.99), 3);
  }
  for (const p of PATHS.slice(1)) out[`${p}_p50_vs_old`] = round(out[`${p}_p50_ms`] / out.columnar_two_reads_p50_ms, 3);
  out.checksum = check > 0 ? 1 : 0;
  return out;
}
