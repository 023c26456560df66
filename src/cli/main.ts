#!/usr/bin/env node
/**
 * The `feedloop` command: serve, replay, import. Each subcommand lives in its own file; errors with a `field`
 * are printed as usage errors (exit 2), anything else as a failure (exit 1).
 */
import { runSimulateCommand, SIMULATE_HELP } from './simulate.js';
import { FeedloopError } from '../errors.js';
import { runConfig } from './config.js';
import { DEMO_HELP, runDemoCommand } from './demo.js';
import { runEval } from './eval.js';
import { runImport } from './import.js';
import { runReplay } from './replay.js';
import { runServe } from './serve.js';
import { runTrain } from './train.js';

const USAGE = `usage: feedloop <command> [options]

commands:
  demo    [--port N] [--data DIR] [--items N] [--users N] [--seconds N] [--concurrency N] [--seed N]
                                                    engine + synthetic world + simulated users, live stats (npm start)
  demo    --compare-rankers [--collect-seconds N] [--seconds N] [--epochs N]
                                                    collect on the heuristic ranker, train, then learned vs heuristic
  demo    --compare-exploration [--seconds N] [--new-item-window-seconds N]
                                                    exploration on vs off: coverage, new-item reach, watch ratio
  serve   [--port N] [--data DIR] [--config FILE]   run the engine (HTTP API on the embedded backends)
  replay  [--data DIR] [--config FILE]              rebuild all state (features, dedup index) from log offset 0
  import  --dataset NAME [--datasets DIR] [--data DIR]
                                                    load movielens-100k | movielens-1m-split | kuairec-split
  eval    --dataset NAME [--datasets DIR] [--models a,b] [--epochs N] [--seed N] [--quick] [--mask-valid]
                                                    full-ranking offline evaluation: movielens-1m-split | kuairec-split
  eval    ranking [--data DIR | --dataset movielens-100k] [--source auto|serve-log|backfill] [--epochs N]
                                                    multi-task ranker vs logistic regression vs heuristic, per head
  eval    ope --dataset open-bandit [--datasets DIR] [--bootstrap N] [--seed N] [--folds K] [--target-policy P]
                                                    off-policy IPS / SNIPS / DR of Bernoulli-TS from uniform-random logs
  eval    ope --serve-log [--data DIR] --target exploration.share=S|value-weights=task:w,… [--arm exp=arm,…]
              [--on-policy-arm exp=arm,…] [--reward watch|complete|like|…] [--bootstrap N] [--seed N]
                                                    off-policy IPS / SNIPS / DR of a candidate policy from the serve log
  eval    replay --dataset movielens-100k [--datasets DIR] [--max-points N] [--seed N] [--period test|valid]
                                                    prequential replay: real-time vs daily-batch features, HR@10 / NDCG@10
  train   retrieval [--data DIR] [--epochs N] [--seed N] [--notify URL]
                                                    train the two-tower model on the event log; CURRENT → new version
  train   ranking [--data DIR] [--source auto|serve-log|backfill] [--epochs N] [--notify URL]
                                                    train the multi-task ranker (serve log or backfill); CURRENT → new version
  simulate [--days N] [--policies a,b,c] [--items N] [--users N] [--sessions-per-day N] [--seed N] [--out DIR]
                                                    policies in closed loop for N simulated days on the demo world → report folder
  config  [--config FILE] [--data DIR] [--port N]   print the effective configuration as JSON

Defaults: port 8080, data ./data; every setting can come from feedloop.config.json or FEEDLOOP_* variables.`;

const commands: Record<string, (argv: string[]) => Promise<void>> = { demo: runDemoCommand, eval: runEval, serve: runServe, train: runTrain, replay: runReplay, import: runImport, config: runConfig, simulate: runSimulateCommand };

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return;
  }
  const run = commands[cmd];
  if (!run) {
    console.error(`feedloop: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd === 'demo' ? DEMO_HELP : cmd === 'simulate' ? SIMULATE_HELP : USAGE);
    return;
  }
  await run(rest);
}

main().catch((err: unknown) => {
  if (err instanceof FeedloopError && err.category === 'client') {
    console.error(`feedloop: ${err.message}${err.field ? ` (field: ${err.field})` : ''}`);
    process.exit(2);
  }
  console.error('feedloop:', err);
  process.exit(1);
});
