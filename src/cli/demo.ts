/**
 * `feedloop demo` (what `npm start` runs): opens the engine on the embedded default in a local data directory,
 * serves the HTTP API, builds the seeded synthetic world, uploads it with a day of history, and runs simulated users
 * (in a worker thread) who request feeds and react through the real API — half on the full pipeline, half on
 * trending alone — printing a live line until Ctrl-C (or `--seconds`).
 *
 * `feedloop demo --compare-rankers` runs the learned ranker against the heuristic one on the same world instead:
 * collect (all users on the heuristic ranker), train the ranker in process and swap it in, compare (50/50); see
 * src/demo/compare-rankers.ts and DEMO_HELP.
 */
import { comparisonJson, formatComparison, runRankerComparison } from '../demo/compare-rankers.js';
import { explorationJson, formatExplorationComparison, runExplorationComparison } from '../demo/compare-exploration.js';
import { experimentsDemoJson, formatExperimentsDemo, runExperimentsDemo } from '../demo/compare-experiments.js';
import { runDemo } from '../demo/demo.js';
import { createWorld } from '../demo/world.js';
import { openEngine } from '../engine/engine.js';
import { applyServeRuntimeFlags } from '../server/node-flags.js';
import { ValidationError } from '../errors.js';
import { buildServer } from '../server/app.js';
import { configFrom, intOption, parse } from './args.js';

/** `feedloop demo --help`. */
export const DEMO_HELP = `usage: feedloop demo [--port N] [--data DIR] [--items N] [--users N] [--seconds N] [--concurrency N] [--seed N]
       feedloop demo --compare-rankers [--collect-seconds N] [--seconds N] [--epochs N] [same options]
       feedloop demo --compare-exploration [--seconds N] [--new-item-window-seconds N] [same options]
       feedloop demo --experiments [--seconds N] [same options]

Runs the engine, uploads a synthetic world (default 100000 items, 20000 users) with a day of history, and simulates
users who request feeds and react through the HTTP API. Data goes to --data (default ./data/demo).

default mode: users split between the home feed and trending alone, a live line every 2 s, until Ctrl-C or
--seconds (default 0: until Ctrl-C); per-arm watch ratios, then one JSON line.

--compare-rankers: does the learned ranker beat the heuristic one?
  1. collect  --collect-seconds (default 60): every user on home-heuristic (home pipeline, heuristic ranker), so
              the serve log and the impressions accumulate;
  2. train    the simulation is PAUSED (no users, uploads or drift) while the multi-task ranker trains in process
              on the data directory (serve log + event log; --epochs, default 10), CURRENT is set and the model
              loaded; prints the per-head test table (AUC, log-loss, ECE vs logistic regression and the heuristic)
              and the training time;
  3. compare  --seconds (default 60): users split 50/50 by user id between home (learned ranker) and
              home-heuristic, stats from zero; prints mean watch ratio, likes/impression, completion rate,
              coverage and feed latency side by side, the watch-ratio lift, and ONE JSON object as the last line:
              {"phase":"compare","arms":{"home":{…},"home-heuristic":{…}},"watch_ratio_lift":…,"ranker":{…},…}

--compare-exploration: what does exploration buy, and what does it cost?
  one phase of --seconds (default 4500): users split 50/50 by user id between home (exploration on, config
  exploration.share of the slots) and home-exploit (no exploration), a new upload every second. Prints per arm:
  catalog coverage, the share of new items shown ≥ 10 times within their first --new-item-window-seconds (default
  3600; items whose window ends after the phase are not judged), mean watch ratio and its change, and the share of
  slates within the author cap; then ONE JSON object as the last line:
  {"phase":"compare-exploration","arms":{"home":{…},"home-exploit":{…}},"watch_ratio_change":…,…}

--experiments: A/A and A/B tests through /v1/experiments: every user on home, split by three experiments in three
  layers — demo-aa (two identical arms), demo-ab (control vs trending only) and demo-ope (exploration as configured,
  0.3 and off: the ground truth for \`feedloop eval ope --serve-log\`) — for --seconds (default 600); prints each
  experiment's results (SRM check; per arm and metric the relative difference, 95% interval, Welch p-value raw and
  Benjamini–Hochberg adjusted; an A/A re-randomisation check) and ONE JSON object as the last line:
  {"phase":"experiments","experiments":[…]}. Keep --data to run the off-policy evaluation afterwards.`;

export async function runDemoCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    port: { type: 'string', short: 'p' },
    items: { type: 'string' },
    users: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
    seed: { type: 'string' },
    'compare-rankers': { type: 'boolean' },
    'collect-seconds': { type: 'string' },
    'compare-exploration': { type: 'boolean' },
    'new-item-window-seconds': { type: 'string' },
    experiments: { type: 'boolean' },
    epochs: { type: 'string' },
  });
  if (values.help === true) {
    console.log(DEMO_HELP);
    return;
  }
  const compare = values['compare-rankers'] === true;
  const exploration = values['compare-exploration'] === true;
  const experiments = values.experiments === true;
  if ([compare, exploration, experiments].filter(Boolean).length > 1) throw new ValidationError('--compare-rankers, --compare-exploration and --experiments are separate runs: choose one', 'argv');
  if (!exploration && values['new-item-window-seconds'] !== undefined) throw new ValidationError('--new-item-window-seconds needs --compare-exploration', 'argv');
  if (!compare && (values['collect-seconds'] !== undefined || values.epochs !== undefined)) {
    throw new ValidationError('--collect-seconds and --epochs need --compare-rankers', 'argv');
  }
  const cfg = configFrom({ ...values, data: values.data ?? './data/demo' });
  const items = intOption(values, 'items', 100_000);
  const users = intOption(values, 'users', 20_000);
  const seconds = intOption(values, 'seconds', compare ? 60 : exploration ? 4500 : experiments ? 600 : 0);
  const windowSeconds = intOption(values, 'new-item-window-seconds', 3600);
  const collectSeconds = intOption(values, 'collect-seconds', 60);
  const epochs = intOption(values, 'epochs', 10);
  const seed = intOption(values, 'seed', 7);
  if (compare && (seconds < 1 || collectSeconds < 1 || epochs < 1)) {
    throw new ValidationError('--compare-rankers needs --seconds, --collect-seconds and --epochs of at least 1', 'argv');
  }
  if (exploration && (seconds < 1 || windowSeconds < 1)) throw new ValidationError('--compare-exploration needs --seconds and --new-item-window-seconds of at least 1', 'argv');
  const t0 = performance.now();
  applyServeRuntimeFlags();
  const engine = await openEngine(cfg);
  const app = buildServer(engine);
  await app.listen({ port: cfg.server.port, host: cfg.server.host });
  const port = (app.server.address() as { port: number }).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  console.log(`feedloop demo: engine on ${baseUrl} (data ${cfg.data.dir}); building a world of ${items} items, ${users} users (seed ${seed})`);
  const world = createWorld({ seed, items, users, authors: Math.max(10, Math.round(items / 20)), categories: 50 });
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  process.once('SIGTERM', () => ac.abort());
  const concurrency = intOption(values, 'concurrency', 4);
  try {
    /** A comparison's report: its lines, then one JSON line with the total run time; a note if stopped early. */
    const report = <R>(result: R | undefined, phase: string, format: (r: R) => string[], json: (r: R) => Record<string, unknown>) => {
      if (!result) return console.log(`demo: stopped before the ${phase} phase`);
      for (const line of format(result)) console.log(line);
      console.log(JSON.stringify({ ...json(result), total_seconds: Math.round((performance.now() - t0) / 1000) }));
    };
    const setup = { baseUrl, world, signal: ac.signal, seed, concurrency };
    if (compare) {
      const result = await runRankerComparison({ ...setup, engine, collectMs: collectSeconds * 1000, compareMs: seconds * 1000, epochs });
      return report(result, 'compare', formatComparison, comparisonJson);
    }
    if (experiments) {
      const result = await runExperimentsDemo({ ...setup, compareMs: Math.max(1, seconds) * 1000 });
      return report(result, 'experiments', formatExperimentsDemo, experimentsDemoJson);
    }
    if (exploration) {
      const result = await runExplorationComparison({ ...setup, engine, compareMs: seconds * 1000, newItemWindowMs: windowSeconds * 1000 });
      return report(result, 'compare', formatExplorationComparison, explorationJson);
    }
    if (seconds > 0) setTimeout(() => ac.abort(), seconds * 1000).unref();
    const result = await runDemo(setup);
    const arms = Object.fromEntries(
      Object.entries(result.stats.arms).map(([k, a]) => [
        k,
        { requests: a.requests, impressions: a.impressions, mean_watch_ratio: a.meanWatchRatio, recent_watch_ratio: a.recentWatchRatio, coverage: a.coverage, feed_p99_ms: a.feedP99Ms, errors: a.errors },
      ]),
    );
    console.log(JSON.stringify({ seconds: Math.round((performance.now() - t0) / 1000), uploads: result.uploads, arms }));
  } finally {
    await app.close();
    await engine.close();
  }
}
