/**
 * `feedloop eval replay --dataset movielens-100k [--datasets DIR] [--max-points N] [--max-per-user N] [--seed N]
 * [--period test|valid] [--retrieval none|two-tower] [--epochs N] [--config FILE]`: prequential replay of a timestamped dataset through the engine, real-time
 * features versus a daily refresh (src/evaluation/replay/). Prints a table, then ONE JSON object as the last stdout
 * line; progress goes to stderr.
 */
import { textTable } from '../util/text-table.js';
import { ValidationError } from '../errors.js';
import { compareFreshness, type FreshnessComparison } from '../evaluation/replay/compare-freshness.js';
import { REPLAY_DATASETS, loadReplayData } from '../evaluation/replay/replay-data.js';
import type { ReplayPeriod } from '../evaluation/replay/sampling.js';
import { configFrom, intOption, parse } from './args.js';
import { defaultDatasetsDir } from './import.js';

/** Defaults: the test period, at most 40 points per user, at most 8,000 points, seed 42, K 10. */
export const REPLAY_DEFAULTS = { maxPerUser: 40, maxPoints: 8000, seed: 42, k: 10, period: 'test' as ReplayPeriod };

export interface EvalReplayHooks {
  /** Awaited between chunks of events (e.g. to pause while the machine must be quiet). */
  between?: () => Promise<void>;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const day = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'end');

function table(c: FreshnessComparison): string {
  const k = c.result.k;
  const head = ['variant', `HR@${k}`, `NDCG@${k}`, 'points', `HR@${k} same-day`, `HR@${k} other`, 'ms/request'];
  const rows = c.result.variants.map((v) => {
    const other = v.points - v.sameDayPoints;
    const otherHr = other ? (v.hitRate * v.points - v.sameDayHitRate * v.sameDayPoints) / other : 0;
    const f = (x: number) => r4(x).toFixed(4);
    return [v.variant, f(v.hitRate), f(v.ndcg), String(v.points), f(v.sameDayHitRate), f(otherHr), v.meanRequestMs.toFixed(2)];
  });
  return textTable([head, ...rows]);
}

/** Runs `feedloop eval replay` with `argv` (after `replay`). */
export async function runEvalReplay(argv: string[], hooks: EvalReplayHooks = {}): Promise<void> {
  const { values } = parse(argv, {
    dataset: { type: 'string' },
    datasets: { type: 'string' },
    'max-points': { type: 'string' },
    'max-per-user': { type: 'string' },
    seed: { type: 'string' },
    period: { type: 'string' },
    retrieval: { type: 'string' },
    epochs: { type: 'string' },
  });
  if (typeof values.dataset !== 'string') throw new ValidationError(`--dataset is required: one of ${REPLAY_DATASETS.join(', ')}`, 'dataset');
  const rawPeriod = values.period ?? REPLAY_DEFAULTS.period;
  if (rawPeriod !== 'test' && rawPeriod !== 'valid') throw new ValidationError(`--period must be test or valid, got ${String(rawPeriod)}`, 'period');
  const period: ReplayPeriod = rawPeriod === 'valid' ? 'valid' : 'test';
  const retrieval = values.retrieval ?? 'none';
  if (retrieval !== 'none' && retrieval !== 'two-tower') throw new ValidationError(`--retrieval must be none or two-tower, got ${String(retrieval)}`, 'retrieval');
  const epochs = values.epochs === undefined ? undefined : intOption(values, 'epochs', 0);
  if (epochs === 0) throw new ValidationError('--epochs must be at least 1', 'epochs');
  const sampling = {
    period,
    maxPerUser: intOption(values, 'max-per-user', REPLAY_DEFAULTS.maxPerUser),
    maxPoints: intOption(values, 'max-points', REPLAY_DEFAULTS.maxPoints),
    seed: intOption(values, 'seed', REPLAY_DEFAULTS.seed),
  };
  const config = configFrom(values);
  const log = (msg: string) => process.stderr.write(`[eval replay] ${msg}\n`);

  const t0 = performance.now();
  const data = await loadReplayData(values.dataset, defaultDatasetsDir(values.datasets as string | undefined));
  const days = data.events.length ? Math.round((data.events[data.events.length - 1].ts - data.events[0].ts) / 86_400_000) : 0;
  log(`${data.name}: ${data.events.length} events over ${days} days, ${data.catalog.length} catalog records, ${data.rejected} rejected (${Math.round(performance.now() - t0)} ms)`);
  const c = await compareFreshness(data, {
    config,
    k: REPLAY_DEFAULTS.k,
    sampling,
    retrieval,
    retrievalEpochs: epochs,
    log,
    onChunk: async (done, pts) => {
      log(`${done}/${data.events.length} events, ${pts} points scored (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      await hooks.between?.();
    },
  });
  const s = c.sampling;
  const [rt, db] = c.result.variants;
  console.log(
    `${data.name} prequential replay: ${c.result.events} events in time order; ${s.period} period ${day(s.startMs)} … ${day(s.endMs)} ` +
      `(${s.eligible} events, ${s.users} users); ${c.result.points} points (≤ ${s.maxPerUser || '∞'} per user, ≤ ${s.maxPoints || '∞'} in all, seed ${s.seed}); ` +
      `the user's earlier items excluded; pipeline home-heuristic, ` +
      (c.retrieval
        ? `+ two-tower source trained on the ${c.retrieval.positives} positives before the period (best epoch ${c.retrieval.bestEpoch}, ${c.retrieval.trainSec.toFixed(0)} s)`
        : 'no trained model'),
  );
  console.log(table(c));
  console.log(
    `same-day = the user had already interacted earlier that UTC day (${rt.sameDayPoints} of ${rt.points} points): a daily refresh cannot know that session. ` +
      `real-time vs daily-batch: HR@${c.result.k} ${c.relativeHrGain === null ? 'n/a' : `${c.relativeHrGain >= 0 ? '+' : ''}${(c.relativeHrGain * 100).toFixed(1)} %`} relative` +
      (rt.degradedRequests + db.degradedRequests ? `; degraded requests: ${rt.degradedRequests} / ${db.degradedRequests}` : '') +
      ` (${(c.result.elapsedMs / 1000).toFixed(0)} s)`,
  );
  const row = (v: (typeof c.result.variants)[number]) => ({ variant: v.variant, 'hr@10': r4(v.hitRate), 'ndcg@10': r4(v.ndcg) });
  console.log(
    JSON.stringify({
      dataset: data.name,
      points: c.result.points,
      rows: [row(rt), row(db)],
      relative_hr_gain: c.relativeHrGain === null ? null : r4(c.relativeHrGain),
      baselines: c.result.variants.slice(2).map(row),
      protocol: {
        period: s.period,
        period_start: new Date(s.startMs).toISOString(),
        max_per_user: s.maxPerUser,
        max_points: s.maxPoints,
        seed: s.seed,
        k: c.result.k,
        pipeline: 'home-heuristic',
        retrieval,
        refresh: 'daily-batch applies held-back events at each UTC midnight',
      },
    }),
  );
}
