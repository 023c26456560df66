/**
 * `feedloop simulate [--days N] [--policies a,b,c] [--items N] [--users N] [--sessions-per-day N] [--seed N]
 * [--out DIR] [--uploads-per-day N] [--categories N] [--config FILE] [--data DIR]`: policies in closed loop for N
 * simulated days on the demo world's latent model, each on a fresh in-process engine (src/simulation/). Writes a
 * report folder (report.md, SVG charts, results.json; default ./reports/simulate-<timestamp>), prints a summary table
 * and then ONE JSON object as the last stdout line; progress goes to stderr. `--data DIR`: where the per-policy
 * temporary engine directories go (default: the OS temp dir; they are removed after each policy).
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import { DEFAULT_POLICIES, parsePolicies, POLICIES } from '../simulation/policies.js';
import { simulationOptions, SIMULATION_DEFAULTS, type SimulationOptions } from '../simulation/options.js';
import { summaryJson, summaryText, writeReport } from '../simulation/report.js';
import { runSimulation } from '../simulation/simulate.js';
import { configFrom, intOption, parse } from './args.js';

export const SIMULATE_HELP = `usage: feedloop simulate [options]

Runs feed policies in closed loop for N simulated days against the real engine (in process, simulated clock) on the
demo's synthetic world, and compares engagement, coverage, exposure inequality and interest concentration.

  --days N              simulated days (default ${SIMULATION_DEFAULTS.days})
  --policies a,b,c      of ${Object.keys(POLICIES).join(', ')} (default ${DEFAULT_POLICIES.join(',')})
  --items N             items at the start (default ${SIMULATION_DEFAULTS.items}; authors = items / 20)
  --users N             users (default ${SIMULATION_DEFAULTS.users})
  --categories N        categories (default ${SIMULATION_DEFAULTS.categories})
  --sessions-per-day N  sessions per simulated day (default ${SIMULATION_DEFAULTS.sessionsPerDay})
  --uploads-per-day N   new items per simulated day (default ${SIMULATION_DEFAULTS.uploadsPerDay})
  --seed N              world, users and reactions (default ${SIMULATION_DEFAULTS.seed})
  --out DIR             report folder (default ./reports/simulate-<timestamp>)
  --data DIR            parent of the temporary engine directories (default: the OS temp dir)
  --config FILE         engine configuration (the simulator overrides deadlines, durability and models)`;

export interface SimulateHooks {
  /** Awaited before each simulated day (e.g. to pause while the machine must be quiet). */
  between?: () => Promise<void>;
}

/** Parses the options of `feedloop simulate` (exported for tests). */
export function parseSimulateArgs(argv: string[]) {
  const { values } = parse(argv, {
    days: { type: 'string' },
    policies: { type: 'string' },
    items: { type: 'string' },
    users: { type: 'string' },
    categories: { type: 'string' },
    'sessions-per-day': { type: 'string' },
    'uploads-per-day': { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  });
  const d = SIMULATION_DEFAULTS;
  const options: SimulationOptions = simulationOptions({
    days: intOption(values, 'days', d.days, 1, 365),
    items: intOption(values, 'items', d.items, 10, 2_000_000),
    users: intOption(values, 'users', d.users, 1, 2_000_000),
    categories: intOption(values, 'categories', d.categories, 1, 65_535),
    sessionsPerDay: intOption(values, 'sessions-per-day', d.sessionsPerDay, 1, 10_000_000),
    uploadsPerDay: intOption(values, 'uploads-per-day', d.uploadsPerDay, 0, 1_000_000),
    seed: intOption(values, 'seed', d.seed, 0, 0xffffffff),
  });
  if (typeof values.policies === 'boolean') throw new ValidationError('--policies needs a value', 'policies');
  const policies = parsePolicies(values.policies ?? DEFAULT_POLICIES.join(','));
  if (values.out !== undefined && (typeof values.out !== 'string' || values.out.trim() === '')) throw new ValidationError('--out needs a directory', 'out');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const out = resolve(typeof values.out === 'string' ? values.out : `reports/simulate-${stamp}`);
  const parentDir = typeof values.data === 'string' ? resolve(values.data) : undefined;
  return { options, policies, out, parentDir, values };
}

/** Runs `feedloop simulate` with `argv` (after `simulate`). */
export async function runSimulateCommand(argv: string[], hooks: SimulateHooks = {}): Promise<void> {
  const { options, policies, out, parentDir, values } = parseSimulateArgs(argv);
  if (values.help === true) {
    console.log(SIMULATE_HELP);
    return;
  }
  const config = configFrom({ config: values.config });
  if (parentDir) await mkdir(parentDir, { recursive: true });
  const log = (line: string) => process.stderr.write(`[simulate] ${line}\n`);
  const result = await runSimulation(policies, options, { config, parentDir, between: hooks.between, log });
  await writeReport(result, out);
  log(`report written to ${out}`);
  console.log(summaryText(result));
  console.log(`report: ${out}/report.md`);
  console.log(JSON.stringify(summaryJson(result, out)));
}
