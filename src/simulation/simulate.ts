/**
 * `feedloop simulate`, the library part: runs each policy in closed loop on its own fresh engine and fresh copy of
 * the same seeded world (src/simulation/run-policy.ts), one after the other (they would compete for the CPU), and
 * collects the per-day metrics (src/simulation/exposure-metrics.ts) for the report (src/simulation/report.ts).
 */
import type { PolicySpec } from './policies.js';
import type { SimulationOptions } from './options.js';
import type { SimulationResult } from './report.js';
import { runPolicy, type PolicyRun, type PolicyRunEnv } from './run-policy.js';

export async function runSimulation(policies: readonly PolicySpec[], options: SimulationOptions, env: PolicyRunEnv): Promise<SimulationResult> {
  const t0 = performance.now();
  const runs: PolicyRun[] = [];
  for (const p of policies) {
    env.log?.(`${p.name}: ${p.description}`);
    const run = await runPolicy(p, options, env);
    env.log?.(`${p.name}: done in ${(run.wallMs / 1000).toFixed(0)} s (${run.eventsAccepted} events accepted, ${run.eventsRejected} rejected)`);
    runs.push(run);
  }
  return { options, runs, wallMs: performance.now() - t0 };
}
