/**
 * Ranking examples for history without a serve log (imported datasets such as MovieLens): the event log is replayed,
 * in log order, into a fresh in-memory `EmbeddedFeatureStore` with the server's feature code, and just BEFORE an
 * exposure event is applied, the ranker's feature vector is assembled with the serving code
 * (`assembleFeatures`, user features via `store.describe('user', …, ts)`, candidates without sources) for the exposed
 * item and for `negativesPerPositive` sampled negatives. An example therefore never sees its own or later events.
 *
 * Choices:
 * - Exposure = an event of a type in `exposureTypes` (default impression, view, complete, like, skip) with an item.
 *   Only the FIRST exposure of a (user, item) pair makes an example; later ones are applied to the store but make
 *   none (`stats.repeatExposures`). Imported datasets have one event per pair, so nothing is lost there; for live
 *   logs with impressions and later reactions, use `examplesFromServeLog` (labels from a window after the impression).
 * - Labels come from the exposure event alone (the dataset's outcome for the pair):
 *   like = type like; complete = type complete or like (a rating ≥ 3 means it was watched), or a view with
 *   watch_ms ≥ duration; hide = type hide; share = 1 for a share event, else unknown (NaN), except 0 after a skip or
 *   hide; follow likewise. watch = NaN for items without a duration (a ratio needs one — all of MovieLens); else
 *   1 for complete/like, min(1, watch_ms / duration) for a view or a skip with watch_ms, 0 for a skip without,
 *   NaN otherwise. (So a skip is all-0 wherever a value is defined.) An impression: complete/like/hide 0.
 * - Negatives: sampled uniformly without replacement (seeded mulberry32, rejection sampling) from the catalog items
 *   known to the store at that time and not deleted, excluding the exposed item and every item the user was exposed
 *   to before. Labels complete/like/share/follow/hide 0, watch NaN; weight = 1 / keptFraction with
 *   keptFraction = kept / eligible (1 when every eligible item is kept). `eligible` counts the user's exposed items as
 *   of their exposure; an item deleted (or first catalogued) after a user's exposure to it makes the count (and thus
 *   the weight) slightly approximate — which items are excluded is always exact.
 * - Speed: entries between exposures are applied in one `store.apply` call; exposures outside [fromMs, toMs) are
 *   applied without building anything.
 */
import { DEFAULT_CONFIG, type FeedloopConfig } from '../../config/config.js';
import { EmbeddedFeatureStore } from '../../backends/embedded/embedded-feature-store.js';
import type { EventType, StoredEvent } from '../../domain/schemas.js';
import { ValidationError } from '../../errors.js';
import type { EventLog } from '../../log/event-log.js';
import { decodeEntry, type LogEntry } from '../../log/log-entry.js';
import { logRecordsInOrder } from '../../log/read-in-order.js';
import type { Candidate, FeedContext } from '../../pipeline/feed-context.js';
import { assembleFeatures, RANKING_FEATURES } from '../../ranking/feature-assembly.js';
import { mulberry32, type Rand } from '../../util/prng.js';
import { ExampleBuffer, TASK_INDEX, unknownLabels, type LabelRow } from './example-buffer.js';
import type { RankingExamples } from './examples.js';

export interface BackfillOptions {
  /** Negatives sampled per exposure (integer ≥ 0). */
  negativesPerPositive: number;
  /** Seed of the negative sampler. */
  seed: number;
  /** Only exposures at `ts >= fromMs` make examples (earlier ones still build the features). */
  fromMs?: number;
  /** Only exposures at `ts < toMs` make examples. */
  toMs?: number;
  /** Event types that count as exposures; default impression, view, complete, like, skip. */
  exposureTypes?: EventType[];
}

export const DEFAULT_EXPOSURE_TYPES: readonly EventType[] = ['impression', 'view', 'complete', 'like', 'skip'];

/** Entries applied per store call at most, even without an exposure in between. */
const MAX_APPLY_BATCH = 4096;

export async function backfillExamples(log: EventLog, features: FeedloopConfig['features'], opts: BackfillOptions): Promise<RankingExamples> {
  const k = opts.negativesPerPositive;
  if (!(Number.isInteger(k) && k >= 0)) throw new ValidationError(`negativesPerPositive must be an integer ≥ 0, got ${k}`, 'negativesPerPositive');
  if (!Number.isFinite(opts.seed)) throw new ValidationError(`seed must be a finite number, got ${opts.seed}`, 'seed');
  const fromMs = opts.fromMs ?? -Infinity;
  const toMs = opts.toMs ?? Infinity;
  const exposureTypes = new Set<string>(opts.exposureTypes ?? DEFAULT_EXPOSURE_TYPES);
  const store = await EmbeddedFeatureStore.open({ features, partitionCount: log.partitionCount });
  const rand = mulberry32(opts.seed);
  const out = new ExampleBuffer(RANKING_FEATURES);
  const catalog = new Catalog();
  const exposed = new Map<string, { items: Set<number>; known: number }>();
  const stats: Record<string, number> = {
    exposures: 0,
    repeatExposures: 0,
    outsideRange: 0,
    negatives: 0,
    exposuresWithoutNegatives: 0,
    applyCalls: 0,
  };
  let keptFractionSum = 0;
  let keptFractionCount = 0;
  const pos = new Array<number>(log.partitionCount).fill(0);
  let pending: LogEntry[] = [];
  const flush = () => {
    if (!pending.length) return;
    store.apply(pending, pos);
    stats.applyCalls++;
    pending = [];
  };

  for await (const rec of logRecordsInOrder(log)) {
    const e = decodeEntry(rec.value);
    if (e.kind === 'item') catalog.upsert(e.item.id, e.item.duration_ms);
    else if (e.kind === 'item_delete') catalog.remove(e.itemId);
    else if (e.kind === 'event' && exposureTypes.has(e.event.type) && 'item_id' in e.event && e.event.item_id !== undefined) {
      const ev = e.event;
      const item = catalog.num(ev.item_id!);
      let seen = exposed.get(ev.user_id);
      if (!seen) exposed.set(ev.user_id, (seen = { items: new Set(), known: 0 }));
      if (seen.items.has(item)) stats.repeatExposures++;
      else if (!(ev.ts >= fromMs && ev.ts < toMs)) stats.outsideRange++;
      else {
        flush(); // the store holds everything before this event, nothing from it on
        stats.exposures++;
        const eligible = Math.max(0, catalog.size - seen.known - (catalog.isKnown(item) ? 1 : 0));
        const negatives = sampleNegatives(catalog, seen.items, item, Math.min(k, eligible), rand);
        const kept = negatives.length;
        const keptFraction = eligible > 0 ? kept / eligible : 1;
        if (eligible > 0) {
          keptFractionSum += keptFraction;
          keptFractionCount++;
        }
        if (kept === 0) stats.exposuresWithoutNegatives++;
        stats.negatives += kept;
        const ids = [ev.item_id!, ...negatives.map((n) => catalog.ids[n])];
        const candidates: Candidate[] = ids.map((itemId) => ({ itemId, sources: [] }));
        const attrs = store.itemBatch(ids);
        const ctx: FeedContext = {
          request: { requestId: '', userId: ev.user_id, sessionId: ev.session_id, limit: ids.length, nowMs: ev.ts, variant: 'backfill' },
          store,
          user: store.describe('user', ev.user_id, ev.ts),
          config: DEFAULT_CONFIG.feed,
          configVersion: 'backfill',
        };
        const batch = assembleFeatures(ctx, candidates, attrs);
        const F = RANKING_FEATURES.length;
        const negLabels = negativeLabels();
        for (let c = 0; c < ids.length; c++) {
          out.push(
            batch.features.subarray(c * F, c * F + F),
            ev.ts,
            ev.user_id,
            ids[c],
            attrs.authorIds[c],
            attrs.categories[c],
            c === 0 ? exposureLabels(ev, catalog.durationMs(item)) : negLabels,
            c === 0 ? 1 : 1 / keptFraction,
          );
        }
      }
      if (!seen.items.has(item)) {
        seen.items.add(item);
        if (catalog.isKnown(item)) seen.known++;
      }
    }
    pending.push(e);
    pos[rec.partition] = rec.offset + 1;
    if (pending.length >= MAX_APPLY_BATCH) flush();
  }
  flush();
  stats.examples = out.n;
  return out.finish('backfill', stats, {
    negativeSampling: { perPositive: k, meanKeptFraction: keptFractionCount > 0 ? keptFractionSum / keptFractionCount : 0 },
  });
}

/**
 * Every item id seen (interned to an int), which of them are in the catalog and not deleted (a dense array with
 * swap-remove, for O(1) uniform draws), and their durations as of now.
 */
class Catalog {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  /** Position of each item int in `known`, −1 when not known. */
  private readonly knownPos: number[] = [];
  private readonly duration: number[] = [];
  readonly known: number[] = [];

  get size(): number {
    return this.known.length;
  }
  num(id: string): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.index.set(id, i);
      this.knownPos.push(-1);
      this.duration.push(NaN);
    }
    return i;
  }
  isKnown(i: number): boolean {
    return this.knownPos[i] >= 0;
  }
  durationMs(i: number): number {
    return this.duration[i];
  }
  upsert(id: string, durationMs: number | undefined): void {
    const i = this.num(id);
    this.duration[i] = durationMs !== undefined && durationMs > 0 ? durationMs : NaN;
    if (this.knownPos[i] < 0) {
      this.knownPos[i] = this.known.length;
      this.known.push(i);
    }
  }
  remove(id: string): void {
    const i = this.num(id);
    const p = this.knownPos[i];
    if (p < 0) return;
    const last = this.known.pop()!;
    if (last !== i) {
      this.known[p] = last;
      this.knownPos[last] = p;
    }
    this.knownPos[i] = -1;
  }
}

/**
 * `count` distinct known items other than `positive` and the user's exposed items, uniformly at random: rejection
 * sampling, falling back to enumerating the eligible items when rejections pile up (few eligible left).
 */
function sampleNegatives(catalog: Catalog, exposed: Set<number>, positive: number, count: number, rand: Rand): number[] {
  const out: number[] = [];
  if (count === 0) return out;
  const known = catalog.known;
  const chosen = new Set<number>();
  const ok = (i: number) => i !== positive && !exposed.has(i) && !chosen.has(i);
  for (let attempts = 0; out.length < count && attempts < 8 * count + 32; attempts++) {
    const i = known[Math.floor(rand() * known.length)];
    if (ok(i)) {
      chosen.add(i);
      out.push(i);
    }
  }
  if (out.length < count) {
    const rest = known.filter(ok);
    // partial Fisher–Yates over the remaining eligible items
    for (let j = 0; j < rest.length && out.length < count; j++) {
      const r = j + Math.floor(rand() * (rest.length - j));
      [rest[j], rest[r]] = [rest[r], rest[j]];
      out.push(rest[j]);
    }
  }
  return out;
}

function negativeLabels(): LabelRow {
  const l = unknownLabels();
  l[TASK_INDEX.complete] = 0;
  l[TASK_INDEX.like] = 0;
  l[TASK_INDEX.share] = 0;
  l[TASK_INDEX.follow] = 0;
  l[TASK_INDEX.hide] = 0;
  return l;
}

/** Labels of an exposure from its own event (see the module comment). */
function exposureLabels(ev: StoredEvent, durationMs: number): LabelRow {
  const l = unknownLabels();
  const hasDuration = durationMs > 0;
  const watchMs = 'watch_ms' in ev && typeof ev.watch_ms === 'number' ? ev.watch_ms : undefined;
  const viewComplete = ev.type === 'view' && hasDuration && ev.watch_ms >= durationMs;
  const complete = ev.type === 'complete' || ev.type === 'like' || viewComplete;
  l[TASK_INDEX.complete] = complete ? 1 : 0;
  l[TASK_INDEX.like] = ev.type === 'like' ? 1 : 0;
  l[TASK_INDEX.hide] = ev.type === 'hide' ? 1 : 0;
  const negative = ev.type === 'skip' || ev.type === 'hide';
  l[TASK_INDEX.share] = ev.type === 'share' ? 1 : negative ? 0 : NaN;
  l[TASK_INDEX.follow] = ev.type === 'follow' ? 1 : negative ? 0 : NaN;
  if (hasDuration) {
    if (complete) l[TASK_INDEX.watch] = 1;
    else if (watchMs !== undefined) l[TASK_INDEX.watch] = Math.min(1, watchMs / durationMs);
    else if (ev.type === 'skip') l[TASK_INDEX.watch] = 0;
  }
  return l;
}
