/** Options of a closed-loop simulation run (`feedloop simulate`), with their defaults. */

export interface SimulationOptions {
  /** Simulated days after the warm-up day. */
  days: number;
  /** World size at the start (uploads are added each day). */
  items: number;
  users: number;
  categories: number;
  /** Authors of the world (default items / 20, at least 10). */
  authors: number;
  /** Sessions started per simulated day (users drawn by activity, start times uniform over the day). */
  sessionsPerDay: number;
  seed: number;
  /** Items per feed page. */
  pageSize: number;
  /** A session ends after this many pages at the latest. */
  maxPagesPerSession: number;
  /** New items uploaded per simulated day (created at uniform times over the day). */
  uploadsPerDay: number;
  /** Interest-drift steps per user at each midnight (`World.drift`: 1 % towards a target category per step). */
  driftStepsPerDay: number;
  /** Interactions per user in the warm-up history (the day before day 1; src/demo/demo.ts `warmupHistory`). */
  warmupPerUser: number;
  /** Users with fewer impressions in a period are left out of the concentration metrics. */
  minUserImpressions: number;
  /** Simulated time of day 1, 00:00 (fixed, so a seed reproduces the run). */
  startMs: number;
}

export const SIMULATION_DEFAULTS: SimulationOptions = {
  days: 14,
  items: 5000,
  users: 2000,
  categories: 50,
  authors: 250,
  sessionsPerDay: 500,
  seed: 42,
  pageSize: 10,
  maxPagesPerSession: 20,
  uploadsPerDay: 200,
  driftStepsPerDay: 10,
  warmupPerUser: 5,
  minUserImpressions: 10,
  startMs: Date.UTC(2026, 0, 1),
};

/** The defaults with `patch` applied; `authors` follows `items` (items / 20, ≥ 10) unless given. */
export function simulationOptions(patch: Partial<SimulationOptions> = {}): SimulationOptions {
  const authors = patch.authors ?? Math.max(10, Math.round((patch.items ?? SIMULATION_DEFAULTS.items) / 20));
  return { ...SIMULATION_DEFAULTS, ...patch, authors };
}
