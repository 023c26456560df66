/**
 * The demo's exploration comparison (`feedloop demo --compare-exploration`): one phase on a set-up demo, users split
 * 50/50 by a hash of the user id between `home` (exploration on: `exploration.share` of the slots) and `home-exploit`
 * (the same pipeline without exploration), with new uploads every second. Reported per arm, side by side:
 * - catalog coverage (distinct items shown / items in the world);
 * - new-item reach: of the items uploaded during the phase whose first `newItemWindowMs` (default one hour) ended
 *   before the phase did, the share this arm showed ≥ `minImpressions` (default 10) times within that window;
 * - mean watch ratio, and its relative change exploration on vs off with a 95% interval;
 * - the author cap (`feed.maxPerAuthor` within `feed.authorWindow` slots), checked on every served slate.
 * Both arms share one engine, so each arm's feedback also reaches the other's counters (as in any A/B test on one
 * system): differences are, if anything, understated.
 */
import type { Engine } from '../engine/engine.js';
import { setupDemo, type DemoPhaseResult, type DemoSetupOptions } from './demo.js';
import { armTable, fmt, phaseSignal, round, watchRatioLift } from './phase-report.js';
import type { ArmStats } from './sim-stats.js';

export const EXPLORE_ARM = 'home';
export const EXPLOIT_ARM = 'home-exploit';

export interface ExplorationComparisonOptions extends DemoSetupOptions {
  engine: Pick<Engine, 'config'>;
  /** Length of the phase, ms (must exceed `newItemWindowMs` for any new item to be judged). */
  compareMs: number;
  /** The first window of a new item, ms (default one hour). */
  newItemWindowMs?: number;
  /** Impressions within the first window that count as a fair first look (default 10). */
  minImpressions?: number;
}

export interface ExplorationComparisonResult {
  compare: DemoPhaseResult;
  explorationShare: number;
  policy: string;
  authorCap: { max: number; window: number };
  newItemWindowMs: number;
  minImpressions: number;
  /** Mean watch ratio of exploration on / off − 1, and its 95% half-width (watches treated as independent). */
  watchRatioChange: number;
  watchRatioChangeCi95: number;
}

/** Runs the phase; undefined when `signal` aborts before it starts. */
export async function runExplorationComparison(opts: ExplorationComparisonOptions): Promise<ExplorationComparisonResult | undefined> {
  const { engine, signal } = opts;
  const newItemWindowMs = opts.newItemWindowMs ?? 3_600_000;
  const minImpressions = opts.minImpressions ?? 10;
  const authorCap = { max: engine.config.feed.maxPerAuthor, window: engine.config.feed.authorWindow };
  const demo = await setupDemo(opts);
  if (signal.aborted) return undefined;
  const compare = await demo.runPhase({
    name: 'compare',
    arms: { [EXPLORE_ARM]: 0.5, [EXPLOIT_ARM]: 0.5 },
    signal: phaseSignal(signal, opts.compareMs),
    until: `for ${Math.round(opts.compareMs / 1000)} s; new items judged on their first ${Math.round(newItemWindowMs / 1000)} s`,
    track: { authorCap, newItems: { windowMs: newItemWindowMs, minImpressions } },
  });
  const { lift, ci95 } = watchRatioLift(compare.stats.arms[EXPLORE_ARM], compare.stats.arms[EXPLOIT_ARM]);
  const ex = engine.config.exploration;
  return { compare, explorationShare: ex.share, policy: ex.policy, authorCap, newItemWindowMs, minImpressions, watchRatioChange: lift, watchRatioChangeCi95: ci95 };
}

const share = (n: number, of: number) => (of > 0 ? n / of : NaN);

/** The arms side by side, then the watch-ratio change. */
export function formatExplorationComparison(r: ExplorationComparisonResult): string[] {
  const arms = [r.compare.stats.arms[EXPLORE_ARM], r.compare.stats.arms[EXPLOIT_ARM]];
  const win = `${Math.round(r.newItemWindowMs / 60_000)} min`;
  const table = armTable(['', `${EXPLORE_ARM} (exploration ${r.policy} ${fmt(r.explorationShare * 100, 0)}%)`, `${EXPLOIT_ARM} (no exploration)`], arms, [
    ['catalog coverage', (a) => `${fmt(a.coverage * 100, 2)}% (${a.distinctItems} items)`],
    [`new items with ≥ ${r.minImpressions} impressions in their first ${win}`, (a) => `${fmt(share(a.newItemsReached, a.newItems) * 100, 1)}% (${a.newItemsReached} / ${a.newItems})`],
    ['mean watch ratio', (a) => `${fmt(a.meanWatchRatio, 4)} (sd ${fmt(a.watchRatioSd, 3)})`],
    ['likes / impression', (a) => fmt(a.likesPerImpression, 4)],
    [`slates within the author cap (${r.authorCap.max} per ${r.authorCap.window})`, (a) => `${fmt(share(a.slates - a.slatesOverAuthorCap, a.slates) * 100, 2)}% (${a.slates} slates)`],
    ['feed p50 / p99', (a) => `${fmt(a.feedP50Ms, 1)} / ${fmt(a.feedP99Ms, 1)} ms`],
    ['impressions / requests', (a) => `${a.impressions} / ${a.requests}`],
    ['errors', (a) => String(a.errors + a.rejectedEvents)],
  ]);
  const sign = r.watchRatioChange >= 0 ? '+' : '';
  return [
    `demo: compare: ${Math.round(r.compare.stats.elapsedMs / 1000)} s, users split 50/50 by user id, ${r.compare.uploads} uploads`,
    ...table,
    `  watch ratio exploration on vs off: ${sign}${fmt(r.watchRatioChange * 100, 2)}% (±${fmt(r.watchRatioChangeCi95 * 100, 2)}% at 95%, watches treated as independent)`,
  ];
}

/** The one-line JSON summary (the last stdout line of `feedloop demo --compare-exploration`). */
export function explorationJson(r: ExplorationComparisonResult): Record<string, unknown> {
  const arm = (a: ArmStats | undefined) =>
    a && {
      coverage: round(a.coverage, 5),
      distinct_items: a.distinctItems,
      new_items: a.newItems,
      new_items_reached: a.newItemsReached,
      new_item_reach: round(share(a.newItemsReached, a.newItems), 5),
      mean_watch_ratio: round(a.meanWatchRatio, 5),
      likes_per_impression: round(a.likesPerImpression, 5),
      slates: a.slates,
      author_cap_respected: round(share(a.slates - a.slatesOverAuthorCap, a.slates), 5),
      feed_p50_ms: round(a.feedP50Ms, 2),
      feed_p99_ms: round(a.feedP99Ms, 2),
      impressions: a.impressions,
      requests: a.requests,
      errors: a.errors + a.rejectedEvents,
    };
  return {
    phase: 'compare-exploration',
    seconds: Math.round(r.compare.stats.elapsedMs / 1000),
    uploads: r.compare.uploads,
    exploration: { share: r.explorationShare, policy: r.policy },
    new_item_window_s: Math.round(r.newItemWindowMs / 1000),
    min_impressions: r.minImpressions,
    author_cap: r.authorCap,
    arms: { [EXPLORE_ARM]: arm(r.compare.stats.arms[EXPLORE_ARM]), [EXPLOIT_ARM]: arm(r.compare.stats.arms[EXPLOIT_ARM]) },
    watch_ratio_change: round(r.watchRatioChange, 5),
    watch_ratio_change_ci95: round(r.watchRatioChangeCi95, 5),
  };
}
