/**
 * The simulation report: `report.md` (protocol, a summary table, then one table per metric — policies × days — with
 * its SVG line chart), one `<metric>.svg` per metric (one line per policy), and `results.json` (every number). Also
 * the stdout summary table and the one-line JSON summary.
 */
import { textTable } from '../util/text-table.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PeriodMetrics } from './exposure-metrics.js';
import type { SimulationOptions } from './options.js';
import type { PolicyRun } from './run-policy.js';
import { lineChartSvg } from './svg-chart.js';

export interface SimulationResult {
  options: SimulationOptions;
  runs: PolicyRun[];
  wallMs: number;
}

interface MetricDef {
  key: keyof PeriodMetrics;
  json: string;
  label: string;
  digits: number;
}

/** The per-day metrics reported, in report order. */
export const REPORT_METRICS: readonly MetricDef[] = [
  { key: 'watchRatio', json: 'watch_ratio', label: 'Mean watch ratio', digits: 3 },
  { key: 'likesPerImpression', json: 'likes_per_impression', label: 'Likes per impression', digits: 4 },
  { key: 'completionRate', json: 'completion_rate', label: 'Completion rate', digits: 3 },
  { key: 'sessionLength', json: 'session_length', label: 'Session length (impressions per session)', digits: 2 },
  { key: 'coverage', json: 'coverage', label: 'Catalog coverage (distinct items shown that day / catalog)', digits: 3 },
  { key: 'giniItems', json: 'gini_items', label: 'Gini of exposure across items', digits: 3 },
  { key: 'giniAuthors', json: 'gini_authors', label: 'Gini of exposure across authors', digits: 3 },
  { key: 'topCategoryShare', json: 'top_category_share', label: "Interest concentration: share of a user's impressions in their top category", digits: 3 },
  { key: 'categoryEntropyBits', json: 'category_entropy_bits', label: 'Category entropy of what a user is shown (bits)', digits: 3 },
  { key: 'meanAffinity', json: 'mean_affinity', label: 'Mean latent affinity of impressions (hidden relevance)', digits: 3 },
  { key: 'repeatShare', json: 'repeat_share', label: 'Repeat share (impressions of an item the user was already shown)', digits: 3 },
];

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

function snake(m: PeriodMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of REPORT_METRICS) out[d.json] = r4(m[d.key]);
  return {
    ...out,
    sessions: m.sessions,
    requests: m.requests,
    impressions: m.impressions,
    catalog_size: m.catalogSize,
    distinct_items: m.distinctItems,
    users_measured: m.usersMeasured,
    degraded_requests: m.degradedRequests,
  };
}

/** The last stdout line's policies: whole-run engagement and exposure, concentration on the first and last day. */
export function summaryJson(result: SimulationResult, reportDir: string): Record<string, unknown> {
  return {
    days: result.options.days,
    policies: result.runs.map((r) => ({
      policy: r.policy,
      watch_ratio: r4(r.total.watchRatio),
      coverage: r4(r.total.coverage),
      gini_items: r4(r.total.giniItems),
      gini_authors: r4(r.total.giniAuthors),
      concentration_day1: r4(r.days[0]?.topCategoryShare ?? 0),
      concentration_last: r4(r.days[r.days.length - 1]?.topCategoryShare ?? 0),
      likes_per_impression: r4(r.total.likesPerImpression),
      completion_rate: r4(r.total.completionRate),
      session_length: r4(r.total.sessionLength),
      entropy_day1: r4(r.days[0]?.categoryEntropyBits ?? 0),
      entropy_last: r4(r.days[r.days.length - 1]?.categoryEntropyBits ?? 0),
      repeat_share: r4(r.total.repeatShare),
    })),
    report: reportDir,
  };
}

/** Rows of the summary table (header first). */
function summaryRows(result: SimulationResult): string[][] {
  const last = result.options.days;
  const head = ['policy', 'updates', 'watch ratio', 'likes/impr', 'completion', 'session len', 'coverage', `coverage d1→d${last}`, 'gini items', 'gini authors', `top-cat share d1→d${last}`, `entropy d1→d${last}`, 'repeats'];
  const rows = result.runs.map((r) => {
    const a = r.days[0];
    const z = r.days[r.days.length - 1];
    return [
      r.policy,
      r.updates,
      r.total.watchRatio.toFixed(3),
      r.total.likesPerImpression.toFixed(4),
      r.total.completionRate.toFixed(3),
      r.total.sessionLength.toFixed(2),
      r.total.coverage.toFixed(3),
      `${a.coverage.toFixed(3)}→${z.coverage.toFixed(3)}`,
      r.total.giniItems.toFixed(3),
      r.total.giniAuthors.toFixed(3),
      `${a.topCategoryShare.toFixed(3)}→${z.topCategoryShare.toFixed(3)}`,
      `${a.categoryEntropyBits.toFixed(2)}→${z.categoryEntropyBits.toFixed(2)}`,
      r.total.repeatShare.toFixed(3),
    ];
  });
  return [head, ...rows];
}

function mdTable(cells: string[][]): string {
  const row = (r: string[]) => `| ${r.join(' | ')} |`;
  return [row(cells[0]), `|${cells[0].map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...cells.slice(1).map(row)].join('\n');
}

/** The stdout summary (before the JSON line). */
export function summaryText(result: SimulationResult): string {
  const o = result.options;
  return [
    `feedloop simulate: ${result.runs.length} policies × ${o.days} simulated days; world ${o.items} items (+${o.uploadsPerDay}/day), ${o.users} users, ` +
      `${o.categories} categories, ${o.authors} authors; ${o.sessionsPerDay} sessions/day; seed ${o.seed} (${(result.wallMs / 1000).toFixed(0)} s)`,
    textTable(summaryRows(result)),
    'watch ratio … gini: over the whole run; coverage = distinct items shown / final catalog; d1→dN = first and last simulated day.',
  ].join('\n');
}

function markdown(result: SimulationResult): string {
  const o = result.options;
  const dayHead = ['policy', ...Array.from({ length: o.days }, (_, d) => `d${d + 1}`)];
  const out: string[] = [
    '# feedloop simulate: closed-loop policy comparison',
    '',
    `${result.runs.length} policies, each on a fresh engine (embedded backends, temporary data directory) and a fresh copy of the same seeded demo world, ` +
      `for ${o.days} simulated days after a day of warm-up history. World: ${o.items} items from ${o.authors} authors in ${o.categories} categories ` +
      `(+${o.uploadsPerDay} uploads/day), ${o.users} users; ${o.sessionsPerDay} sessions/day (users by activity, uniform start times), pages of ${o.pageSize}, ` +
      `≤ ${o.maxPagesPerSession} pages/session; interests drift ${o.driftStepsPerDay} steps/user at each midnight; seed ${o.seed}. ` +
      `Every policy meets the same users at the same times with the same reaction noise. Wall time ${(result.wallMs / 1000).toFixed(0)} s.`,
    '',
    '| policy | variant | updates | what it is | events accepted / rejected | degraded requests | wall s |',
    '|---|---|---|---|---:|---:|---:|',
    ...result.runs.map((r) => `| ${r.policy} | ${r.variant} | ${r.updates} | ${r.description} | ${r.eventsAccepted} / ${r.eventsRejected} | ${r.total.degradedRequests} | ${(r.wallMs / 1000).toFixed(0)} |`),
    '',
    '## Summary',
    '',
    mdTable(summaryRows(result)),
    '',
    'Whole-run columns: engagement over every impression of the run, coverage = distinct items shown in the run / final catalog, Gini over ' +
      "the run's impressions per item (whole final catalog) and per author. d1→dN: the first and the last simulated day.",
    '',
    '## Definitions',
    '',
    'An impression is an item the user reached (shown full screen); items of a page after the session ended do not count.',
    '- watch ratio = Σ r / impressions, r from the demo user model; completion rate = share with r ≥ 0.95; likes per impression.',
    '- session length = impressions per session (sessions that started that day).',
    '- coverage = distinct items shown that day / items in the catalog at the end of the day.',
    '- Gini = Σ_k (2k − n − 1)·x_(k) / (n·Σx) over the impressions x of every item (zeros included), resp. every author.',
    `- top-category share = mean over users with ≥ ${o.minUserImpressions} impressions that day of max_k c_k / Σc (c_k: their impressions in category k); ` +
      'category entropy = mean of −Σ p log2 p over the same users. Rising share / falling entropy = the loop narrows what users see.',
    '- mean latent affinity = mean dot(user, item) of the latent vectors: how relevant the shown items really were (hidden from the engine).',
    '- repeat share = impressions of an item the same user had been shown before in the run (the user model has no satiation: a repeat of a ' +
      'relevant item is watched as well as the first time).',
  ];
  for (const m of REPORT_METRICS) {
    out.push('', `## ${m.label}`, '', `![${m.label}](${m.json}.svg)`, '');
    out.push(mdTable([dayHead, ...result.runs.map((r) => [r.policy, ...r.days.map((d) => d[m.key].toFixed(m.digits))])]));
  }
  return out.join('\n') + '\n';
}

/** Writes report.md, one SVG per metric and results.json into `dir` (created if needed). */
export async function writeReport(result: SimulationResult, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const x = Array.from({ length: result.options.days }, (_, d) => d + 1);
  for (const m of REPORT_METRICS) {
    const svg = lineChartSvg({
      title: m.label,
      xLabel: 'simulated day',
      yLabel: m.json,
      x,
      series: result.runs.map((r) => ({ name: r.policy, values: r.days.map((d) => d[m.key]) })),
    });
    await writeFile(join(dir, `${m.json}.svg`), svg);
  }
  await writeFile(join(dir, 'report.md'), markdown(result));
  const json = {
    options: result.options,
    wall_s: r4(result.wallMs / 1000),
    policies: result.runs.map((r) => ({
      policy: r.policy,
      variant: r.variant,
      updates: r.updates,
      description: r.description,
      events_accepted: r.eventsAccepted,
      events_rejected: r.eventsRejected,
      unknown_items: r.unknownItems,
      wall_s: r4(r.wallMs / 1000),
      total: snake(r.total),
      days: r.days.map((d, k) => ({ day: k + 1, ...snake(d) })),
    })),
  };
  await writeFile(join(dir, 'results.json'), JSON.stringify(json, null, 2) + '\n');
}
