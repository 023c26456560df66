/**
 * `feedloop eval ope --serve-log [--data DIR] --target exploration.share=S | value-weights=task:w,…
 * [--arm exp=arm,…] [--on-policy-arm exp=arm,…] [--reward watch|complete|like|share|follow|hide] [--bootstrap N] [--seed N]`:
 * off-policy evaluation of a candidate policy over the engine's own serve log (src/evaluation/ope/serve-log-ope.ts).
 * `--arm` keeps the requests served to users in those experiment arms (the logging policy); `--on-policy-arm` names
 * requests that really ran the candidate policy, whose measured reward is printed next to the estimates (`covered`:
 * inside the estimate's 95 % interval; `consistent`: the interval of estimate − on-policy, which also counts the
 * on-policy sample's noise — another arm, other users — contains 0; intervals are bootstrapped over users). Reads the data directory read-only (a server may keep running on it).
 * Prints a table, then ONE JSON object as the last stdout line.
 */
import { join } from 'node:path';
import { openSegmentLog } from '../backends/embedded/segment-log.js';
import type { ServeRecord } from '../domain/feed.js';
import { ValidationError } from '../errors.js';
import { differenceInterval, onPolicyValue, serveLogOpe, type ServeLogTarget } from '../evaluation/ope/serve-log-ope.js';
import { headName } from '../ranking/learned-ranker.js';
import { readServeLog } from '../serve-log/read-serve-log.js';
import { RANKING_TASKS, type RankingTask } from '../training/ranking/examples.js';
import { examplesFromServeLog } from '../training/ranking/from-serve-log.js';
import { textTable } from '../util/text-table.js';
import { configFrom, intOption, parse } from './args.js';

const r6 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null);

/** `exp=arm,exp=arm` → a record filter (every pair must match); undefined → all records. */
export function armFilter(raw: string | undefined, field: string): ((r: ServeRecord) => boolean) | undefined {
  if (raw === undefined) return undefined;
  const pairs = raw.split(',').map((p) => {
    const [id, arm, extra] = p.split('=');
    if (!id || !arm || extra !== undefined) throw new ValidationError(`--${field} must be experiment=arm[,experiment=arm…], got ${JSON.stringify(p)}`, field);
    return [id, arm] as const;
  });
  return (r) => pairs.every(([id, arm]) => r.experiments?.some((x) => x.id === id && x.arm === arm) === true);
}

/** `exploration.share=0.05` or `value-weights=like:4,complete:1` (tasks as in ranking.valueWeights). */
export function parseTarget(raw: string | undefined): ServeLogTarget {
  if (raw === undefined) throw new ValidationError('--target is required: exploration.share=S or value-weights=task:w,…', 'target');
  const eq = raw.indexOf('=');
  const key = raw.slice(0, eq);
  const value = raw.slice(eq + 1);
  if (key === 'exploration.share') {
    const share = Number(value);
    if (value.trim() === '' || !(share >= 0 && share <= 1)) throw new ValidationError(`--target exploration.share must be a number in [0, 1], got ${JSON.stringify(value)}`, 'target');
    return { kind: 'exploration-share', share };
  }
  if (key === 'value-weights') {
    const weights: Record<string, number> = {};
    for (const part of value.split(',')) {
      const [task, w] = part.split(':');
      const x = Number(w);
      if (!(RANKING_TASKS as readonly string[]).includes(task) || w === undefined || w.trim() === '' || !Number.isFinite(x)) {
        throw new ValidationError(`--target value-weights: "${part}" must be task:weight with task one of ${RANKING_TASKS.join(', ')}`, 'target');
      }
      weights[headName(task as RankingTask)] = x;
    }
    return { kind: 'value-weights', weights };
  }
  throw new ValidationError(`--target must be exploration.share=S or value-weights=task:w,…, got ${JSON.stringify(raw)}`, 'target');
}

export async function runEvalOpeServeLog(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    'serve-log': { type: 'boolean' },
    target: { type: 'string' },
    arm: { type: 'string' },
    'on-policy-arm': { type: 'string' },
    reward: { type: 'string' },
    bootstrap: { type: 'string' },
    seed: { type: 'string' },
  });
  const cfg = configFrom(values);
  const target = parseTarget(values.target as string | undefined);
  const include = armFilter(values.arm as string | undefined, 'arm');
  const onPolicy = armFilter(values['on-policy-arm'] as string | undefined, 'on-policy-arm');
  const reward = (values.reward ?? 'watch') as RankingTask;
  if (!RANKING_TASKS.includes(reward)) throw new ValidationError(`--reward must be one of ${RANKING_TASKS.join(', ')}, got ${String(reward)}`, 'reward');
  const resamples = intOption(values, 'bootstrap', 2000, 1);
  const seed = intOption(values, 'seed', 1);
  const serveDir = join(cfg.data.dir, 'servelog');
  const log = await openSegmentLog({ dir: join(cfg.data.dir, 'log'), partitionCount: cfg.log.partitions, readOnly: true });
  const t0 = performance.now();
  let ex;
  try {
    ex = await examplesFromServeLog(log, serveDir, { labelWindowMs: cfg.ranking.labelWindowMs });
  } finally {
    await log.close();
  }
  const labels = ex.labels[reward];
  const byKey = new Map<string, number>();
  for (let i = 0; i < ex.n; i++) byKey.set(`${ex.requestIds?.[i] ?? ''}\u0000${ex.itemIds[i]}`, labels[i]);
  const rewardOf = (requestId: string, itemId: string) => byKey.get(`${requestId}\u0000${itemId}`);
  process.stderr.write(`[eval ope] ${ex.n} impressions joined to the serve log (${Math.round(performance.now() - t0)} ms)\n`);

  const result = await serveLogOpe(readServeLog(serveDir), { target, rewardOf, rewardHead: headName(reward), include, resamples, seed });
  const truth = onPolicy ? await onPolicyValue(readServeLog(serveDir), rewardOf, onPolicy, resamples, seed) : undefined;
  const rows = result.estimates.map((e) => {
    const d = truth ? differenceInterval(e, truth) : undefined;
    return {
      estimator: e.estimator,
      estimate: r6(e.estimate),
      ci_low: r6(e.ci_low),
      ci_high: r6(e.ci_high),
      ess: Math.round(e.ess),
      on_policy: truth ? r6(truth.value) : null,
      covered: truth ? e.ci_low <= truth.value && truth.value <= e.ci_high : null,
      diff: d ? r6(d.diff) : null,
      diff_ci_low: d ? r6(d.low) : null,
      diff_ci_high: d ? r6(d.high) : null,
      consistent: d ? d.low <= 0 && 0 <= d.high : null,
    };
  });
  const targetText = target.kind === 'exploration-share' ? `exploration.share=${target.share}` : `value-weights ${JSON.stringify(target.weights)}`;
  console.log(
    `serve-log OPE of ${targetText}, reward ${reward} per impressed slot: logging rows ${result.users} users / ${result.requests} requests / ${result.slots} slots` +
      `${values.arm ? ` (${String(values.arm)})` : ''}, logged value ${result.logged_value.toFixed(5)}, non-zero weights ${(result.agreement * 100).toFixed(1)} %, records skipped ${result.skipped_records}`,
  );
  if (truth) console.log(`on-policy (${String(values['on-policy-arm'])}): ${truth.value.toFixed(5)} [${truth.ci_low.toFixed(5)}, ${truth.ci_high.toFixed(5)}] over ${truth.users} users / ${truth.requests} requests / ${truth.slots} slots`);
  const cols = ['estimator', 'estimate', 'ci_low', 'ci_high', 'ess', 'on_policy', 'covered', 'diff', 'diff_ci_low', 'diff_ci_high', 'consistent'] as const;
  console.log(textTable([[...cols], ...rows.map((r) => cols.map((c) => (r[c] === null ? '-' : typeof r[c] === 'boolean' ? (r[c] ? 'yes' : 'NO') : String(r[c]))))], 2));
  console.log(
    JSON.stringify({
      source: 'serve-log',
      target,
      reward,
      arm: values.arm ?? null,
      on_policy_arm: values['on-policy-arm'] ?? null,
      users: result.users,
      requests: result.requests,
      slots: result.slots,
      logged_value: r6(result.logged_value),
      agreement: r6(result.agreement),
      skipped_records: result.skipped_records,
      on_policy: truth ? { value: r6(truth.value), ci_low: r6(truth.ci_low), ci_high: r6(truth.ci_high), users: truth.users, requests: truth.requests, slots: truth.slots } : null,
      rows,
    }),
  );
}
