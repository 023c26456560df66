/**
 * The demo's ranker comparison (`feedloop demo --compare-rankers`): three phases on one set-up demo (world and a day
 * of history uploaded once).
 * 1. collect: every user on `home-heuristic` (the home pipeline, heuristic ranker) for `collectMs`, so that the serve
 *    log and the impressions accumulate;
 * 2. train: the simulation is paused (no simulated users, no uploads, no drift: training runs on the server's thread
 *    and would otherwise slow the feed down). The serve log is flushed, the multi-task ranker is trained on the
 *    engine's data directory (`trainRankerFromDataDir`: impressions joined to the serve log, time split, test metrics
 *    next to logistic regression and the heuristic), CURRENT is set and the model swapped in (`reloadRanking`);
 * 3. compare: users split 50/50 by a hash of the user id between `home` (now the learned ranker) and `home-heuristic`
 *    for `compareMs`, with counters that start at zero; the arms are printed side by side with the relative
 *    difference of mean watch ratio.
 */
import type { Engine } from '../engine/engine.js';
import { NotFoundError } from '../errors.js';
import { rankingTable, type HeadMetrics } from '../evaluation/ranking-eval.js';
import { trainRankerFromDataDir } from '../training/ranking/train-from-data-dir.js';
import { setupDemo, type DemoPhaseResult, type DemoSetupOptions } from './demo.js';
import { armTable, fmt, phaseSignal, round, watchRatioLift } from './phase-report.js';
import type { ArmStats } from './sim-stats.js';

/** The arm served by the learned ranker (the `home` variant with a model loaded) and its baseline. */
export const LEARNED_ARM = 'home';
export const HEURISTIC_ARM = 'home-heuristic';

export interface RankerComparisonOptions extends DemoSetupOptions {
  /** What the comparison needs of the engine the demo's server runs on. */
  engine: Pick<Engine, 'config' | 'serveLog' | 'reloadRanking'>;
  /** Length of the collect phase (all users on the heuristic ranker), ms. */
  collectMs: number;
  /** Length of the compare phase, ms. */
  compareMs: number;
  /** Training epochs (early stopping may end sooner). */
  epochs?: number;
}

/** What the training phase produced. */
export interface TrainedRankerSummary {
  version: string;
  source: string;
  examples: number;
  train: number;
  valid: number;
  test: number;
  bestEpoch: number;
  /** Wall time of example building + training + evaluation + artefact write, s. */
  trainSeconds: number;
  /** Wall time of loading the artefact into the serving session, s. */
  loadSeconds: number;
  /** Per head and model: AUC, log-loss, ECE on the test part. */
  rows: HeadMetrics[];
}

export interface RankerComparisonResult {
  collect: DemoPhaseResult;
  ranker: TrainedRankerSummary;
  compare: DemoPhaseResult;
  /** Mean watch ratio of the learned arm / the heuristic arm − 1. */
  watchRatioLift: number;
  /** Half-width of a 95% interval of the lift, treating every watch as independent (sessions make it wider). */
  watchRatioLiftCi95: number;
}

/** Runs the three phases; undefined when `signal` aborts before the compare phase has started. */
export async function runRankerComparison(opts: RankerComparisonOptions): Promise<RankerComparisonResult | undefined> {
  const { engine, signal } = opts;
  const log = opts.log ?? ((line: string) => console.log(line));
  const demo = await setupDemo(opts);
  if (signal.aborted) return undefined;

  const collectSec = Math.round(opts.collectMs / 1000);
  const collect = await demo.runPhase({
    name: 'collect',
    arms: { [HEURISTIC_ARM]: 1 },
    signal: phaseSignal(signal, opts.collectMs),
    until: `for ${collectSec} s`,
  });
  const c = collect.stats.total;
  log(`demo: collect: ${c.requests} feed requests, ${c.impressions} impressions, ${c.watched} watched, ${c.errors} errors in ${Math.round(collect.stats.elapsedMs / 1000)} s`);
  if (signal.aborted) return undefined;

  log('demo: train: simulation paused while the ranker trains on the serve log and the event log');
  await engine.serveLog.flush();
  const t0 = performance.now();
  const trained = await trainRankerFromDataDir(engine.config, { epochs: opts.epochs ?? 10, log: (line) => log(`demo: train: ${line}`) });
  const trainSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  if (!(await engine.reloadRanking())) throw new NotFoundError('no ranking model under CURRENT after training', 'models/ranking/CURRENT');
  const loadSeconds = (performance.now() - t1) / 1000;
  const { model, split, examples, evaluation } = trained;
  const ranker: TrainedRankerSummary = {
    version: model.version,
    source: examples.source,
    examples: examples.n,
    train: split.train.length,
    valid: split.valid.length,
    test: split.test.length,
    bestEpoch: evaluation.multitask.bestEpoch,
    trainSeconds,
    loadSeconds,
    rows: evaluation.rows,
  };
  log(`demo: train: ranker ${ranker.version} from ${ranker.examples} ${ranker.source} examples (train/valid/test ${ranker.train}/${ranker.valid}/${ranker.test}), best epoch ${ranker.bestEpoch}`);
  for (const line of rankingTable(evaluation.rows).split('\n')) log(`  ${line}`);
  log(`demo: train: trained in ${trainSeconds.toFixed(1)} s, loaded in ${loadSeconds.toFixed(2)} s; ${LEARNED_ARM} now ranks with it`);
  if (signal.aborted) return undefined;

  const compare = await demo.runPhase({
    name: 'compare',
    arms: { [LEARNED_ARM]: 0.5, [HEURISTIC_ARM]: 0.5 },
    signal: phaseSignal(signal, opts.compareMs),
    until: `for ${Math.round(opts.compareMs / 1000)} s, fresh stats`,
  });
  const { lift, ci95 } = watchRatioLift(compare.stats.arms[LEARNED_ARM], compare.stats.arms[HEURISTIC_ARM]);
  return { collect, ranker, compare, watchRatioLift: lift, watchRatioLiftCi95: ci95 };
}

/** The compare phase side by side: one row per metric, one column per arm, then the watch-ratio lift. */
export function formatComparison(r: RankerComparisonResult): string[] {
  const arms = [LEARNED_ARM, HEURISTIC_ARM];
  const stats = arms.map((k) => r.compare.stats.arms[k]);
  const table = armTable(['', `${LEARNED_ARM} (learned ranker)`, `${HEURISTIC_ARM} (heuristic ranker)`], stats, [
    ['mean watch ratio', (a) => `${fmt(a.meanWatchRatio, 4)} (sd ${fmt(a.watchRatioSd, 3)})`],
    ['likes / impression', (a) => fmt(a.likesPerImpression, 4)],
    ['completion rate', (a) => fmt(a.completionRate, 4)],
    ['coverage', (a) => `${fmt(a.coverage * 100, 2)}% (${a.distinctItems} items)`],
    ['feed p50 / p99', (a) => `${fmt(a.feedP50Ms, 1)} / ${fmt(a.feedP99Ms, 1)} ms`],
    ['watched / impressions', (a) => `${a.watched} / ${a.impressions}`],
    ['sessions / requests', (a) => `${a.sessions} / ${a.requests}`],
    ['errors', (a) => String(a.errors + a.rejectedEvents)],
  ]);
  const sec = Math.round(r.compare.stats.elapsedMs / 1000);
  const sign = r.watchRatioLift >= 0 ? '+' : '';
  return [
    `demo: compare: ${sec} s, users split 50/50 by user id; ranker ${r.ranker.version} (${r.ranker.examples} examples, trained in ${r.ranker.trainSeconds.toFixed(1)} s)`,
    ...table,
    `  watch ratio ${LEARNED_ARM} vs ${HEURISTIC_ARM}: ${sign}${fmt(r.watchRatioLift * 100, 2)}% ` +
      `(±${fmt(r.watchRatioLiftCi95 * 100, 2)}% at 95%, watches treated as independent)`,
  ];
}

/** The one-line JSON summary (the last stdout line of `feedloop demo --compare-rankers`). */
export function comparisonJson(r: RankerComparisonResult): Record<string, unknown> {
  const arm = (a: ArmStats | undefined) =>
    a && {
      mean_watch_ratio: round(a.meanWatchRatio, 5),
      watch_ratio_sd: round(a.watchRatioSd, 5),
      likes_per_impression: round(a.likesPerImpression, 5),
      completion_rate: round(a.completionRate, 5),
      coverage: round(a.coverage, 5),
      distinct_items: a.distinctItems,
      feed_p50_ms: round(a.feedP50Ms, 2),
      feed_p99_ms: round(a.feedP99Ms, 2),
      sessions: a.sessions,
      requests: a.requests,
      impressions: a.impressions,
      watched: a.watched,
      errors: a.errors + a.rejectedEvents,
    };
  const auc: Record<string, Record<string, number | null>> = {};
  for (const row of r.ranker.rows) (auc[row.head] ??= {})[row.model] = round(row.auc, 4);
  const c = r.collect.stats.total;
  return {
    phase: 'compare',
    seconds: Math.round(r.compare.stats.elapsedMs / 1000),
    arms: { [LEARNED_ARM]: arm(r.compare.stats.arms[LEARNED_ARM]), [HEURISTIC_ARM]: arm(r.compare.stats.arms[HEURISTIC_ARM]) },
    watch_ratio_lift: round(r.watchRatioLift, 5),
    watch_ratio_lift_ci95: round(r.watchRatioLiftCi95, 5),
    ranker: {
      version: r.ranker.version,
      source: r.ranker.source,
      examples: r.ranker.examples,
      train: r.ranker.train,
      valid: r.ranker.valid,
      test: r.ranker.test,
      best_epoch: r.ranker.bestEpoch,
      train_s: round(r.ranker.trainSeconds, 1),
      load_s: round(r.ranker.loadSeconds, 2),
      test_auc: auc,
    },
    collect: {
      seconds: Math.round(r.collect.stats.elapsedMs / 1000),
      requests: c.requests,
      impressions: c.impressions,
      watched: c.watched,
      mean_watch_ratio: round(c.meanWatchRatio, 5),
    },
  };
}
