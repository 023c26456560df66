/** Helpers shared by the demo's comparisons (compare-rankers.ts, compare-exploration.ts): phase timing and tables. */
import type { ArmStats } from './sim-stats.js';

/**
 * A signal that aborts after `ms` or with `outer`. (Not `AbortSignal.any([outer, AbortSignal.timeout(ms)])`: Node 20
 * may garbage-collect the timeout signal of such a combination, and the phase would never end.)
 */
export function phaseSignal(outer: AbortSignal, ms: number): AbortSignal {
  const ac = new AbortController();
  const stop = () => {
    clearTimeout(timer);
    outer.removeEventListener('abort', stop);
    ac.abort();
  };
  const timer = setTimeout(stop, ms);
  if (outer.aborted) stop();
  else outer.addEventListener('abort', stop, { once: true });
  return ac.signal;
}

/** Relative difference of mean watch ratio, a/b − 1, and a normal-approximation 95% half-width (NaN when unknown). */
export function watchRatioLift(a: ArmStats | undefined, b: ArmStats | undefined): { lift: number; ci95: number } {
  if (!a || !b || !(b.meanWatchRatio > 0)) return { lift: NaN, ci95: NaN };
  const se = Math.sqrt(a.watchRatioSd ** 2 / a.watched + b.watchRatioSd ** 2 / b.watched);
  return { lift: a.meanWatchRatio / b.meanWatchRatio - 1, ci95: (1.96 * se) / b.meanWatchRatio };
}

/** Arms side by side: a header row, then one row per metric (a missing arm prints `–`), indented by two spaces. */
export function armTable(header: string[], arms: (ArmStats | undefined)[], metrics: [string, (a: ArmStats) => string][]): string[] {
  const rows = [header, ...metrics.map(([name, cell]) => [name, ...arms.map((a) => (a ? cell(a) : '–'))])];
  const width = header.map((_, col) => Math.max(...rows.map((cells) => cells[col].length)));
  const line = (cells: string[]) => `  ${cells.map((v, col) => v.padEnd(width[col])).join('   ')}`.trimEnd();
  return [line(rows[0]), `  ${width.map((w) => '-'.repeat(w)).join('   ')}`, ...rows.slice(1).map(line)];
}

export function round(x: number, digits: number): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : null;
}

export function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}
