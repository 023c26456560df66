/**
 * Off-policy evaluation over feedloop's own serve log: what would a candidate policy's reward per impressed slot have
 * been, estimated from the requests a logging policy served, with the propensities it logged (src/exploration/).
 *
 * Rows: every served slot that was impressed, with its reward from the user's reactions (the ranking examples'
 * labels, src/training/ranking/from-serve-log.ts: `watch` = watch ratio, `complete`, `like`, …; a slot whose reward
 * is unknown, e.g. a watch ratio without a duration, is left out). p_k is the logged per-decision propensity of the
 * item served at slot k (see explorer.ts: 1 − s for a kept slot, s·q for an explored one, 1 when nothing could be
 * explored), s the logging exploration share.
 *
 * Targets:
 * - `exploration-share` s′ — the same ranker, re-rankers and pick rule with another exploration share (0 = off).
 *   Its per-decision probability of the logged item is known exactly from the log: (1 − s′) for a kept slot,
 *   s′·q = s′·p_k / s for an explored one, 1 when nothing could be explored — so the per-decision weight
 *   w_k = π_e / p_k is exact (it does not even need q). Weights are cumulative, W_k = Π_{j ≤ k} w_j (per-decision
 *   importance sampling): the earlier slots change what later ones could show, and the product makes the estimate
 *   unbiased for the target's slate, not just for one slot. s is read from the record's kept slots (1 − p); a record
 *   whose every slot explored takes the previous record's s.
 * - `value-weights` w — the logged ranker's heads re-combined by other value weights (the value model of
 *   src/ranking/): the target serves the logged candidates ordered by Σ_h w_h·head_h, t_k its k-th (deterministic, no
 *   re-rankers, no exploration). π_e(a_k) = 1[a_k = t_k], w_k = π_e / p_k, per slot (the independent-slot, or
 *   position-based, assumption: an item's reward at a slot does not depend on the items above it; p_k is then used as
 *   the marginal P(a_k at k), exact for kept slots, close for explored ones — explorer.ts). Support is the weak point: the logging policy gives t_k a chance only
 *   when it is the item its ranker kept or is in the exploration pool; `agreement` (share of slots with t_k = a_k)
 *   says how much of the log the estimate rests on. Needs the records' full candidate lists
 *   (`feed.serveLogCandidates: all`) and head scores (a learned ranker). DR uses the logged heads as the reward model:
 *   q̂ = head(reward) of the logged item and V̂ = head(reward) of t_k (the model was trained before the log, so it
 *   is not fitted on the rows it scores).
 *
 * Estimates of the mean reward per impressed slot, over requests i and their slots k:
 *   IPS   Σ W_ik r_ik / Σ 1          SNIPS Σ W_ik r_ik / Σ W_ik          DR (value-weights) Σ [V̂_ik + W_ik (r_ik − q̂_ik)] / Σ 1
 * with 95 % percentile-bootstrap intervals over users (the unit experiments randomise: a user's slots and requests
 * are not independent — resampling requests gave intervals about half as wide, too narrow) and the
 * effective sample size (Σ W)² / Σ W² over slots. The on-policy value of a policy that was really served (e.g. the
 * other arm of an experiment) is Σ r / Σ 1 over its slots, with the same bootstrap — the ground truth to compare.
 * OPE sees only the immediate effect of the policy on the slots it serves; what a policy does to later requests
 * (the users' state, the items' counters) is not in the weights.
 */
import { ValidationError } from '../../errors.js';
import type { ServeRecord } from '../../domain/feed.js';
import { bootstrapRatio } from './stats.js';

export type ServeLogTarget = { kind: 'exploration-share'; share: number } | { kind: 'value-weights'; weights: Readonly<Record<string, number>> };

export interface ServeLogOpeOptions {
  target: ServeLogTarget;
  /** The reward of the item served in a request, or undefined when the slot was not impressed or has no reward. */
  rewardOf: (requestId: string, itemId: string) => number | undefined;
  /** The logged head that predicts the reward (e.g. `watch_ratio` for `watch`), for DR with a value-weights target. */
  rewardHead?: string;
  /** Keep a record (e.g. one experiment arm); default all. */
  include?: (r: ServeRecord) => boolean;
  resamples?: number;
  seed?: number;
}

export interface OpeEstimate {
  estimator: 'ips' | 'snips' | 'dr';
  estimate: number;
  ci_low: number;
  ci_high: number;
  ess: number;
}

export interface ServeLogOpeResult {
  target: ServeLogTarget;
  requests: number;
  users: number;
  slots: number;
  /** The logging policy's own mean reward per impressed slot over the same rows. */
  logged_value: number;
  /** Share of slots whose weight is not 0 (value-weights: the target's item is the logged one). */
  agreement: number;
  /** Records left out (value-weights: only the served candidates logged, or heads missing). */
  skipped_records: number;
  estimates: OpeEstimate[];
}

/**
 * Per-user sums of a few columns (one row per user with ≥ 1 rewarded slot): the bootstrap resamples users, the unit
 * experiments randomise.
 */
class UserSums {
  private readonly rowOf = new Map<string, number>();
  readonly columns: number[][];
  requests = 0;

  constructor(width: number) {
    this.columns = Array.from({ length: width }, () => []);
  }

  get users(): number {
    return this.rowOf.size;
  }

  /** Adds one request's values (in column order) to its user's row. */
  add(userId: string, values: readonly number[]): void {
    this.requests++;
    let u = this.rowOf.get(userId);
    if (u === undefined) {
      this.rowOf.set(userId, (u = this.rowOf.size));
      for (const c of this.columns) c.push(0);
    }
    for (let k = 0; k < values.length; k++) this.columns[k][u] += values[k];
  }

  column(k: number): Float64Array {
    return Float64Array.from(this.columns[k]);
  }
}

const sum = (x: ArrayLike<number>): number => {
  let t = 0;
  for (let i = 0; i < x.length; i++) t += x[i];
  return t;
};

/** The evaluation (see the header). Records are read once, in any order. */
export async function serveLogOpe(records: AsyncIterable<ServeRecord> | Iterable<ServeRecord>, o: ServeLogOpeOptions): Promise<ServeLogOpeResult> {
  const t = o.target;
  if (t.kind === 'exploration-share' && !(t.share >= 0 && t.share <= 1)) throw new ValidationError(`target exploration share must be in [0, 1], got ${t.share}`, 'target');
  if (t.kind === 'value-weights' && Object.keys(t.weights).length === 0) throw new ValidationError('target value weights: name at least one head weight', 'target');
  const s = new UserSums(5); // reward, Σ W r, Σ W, DR terms, slots
  let w1 = 0;
  let w2 = 0;
  let nonzero = 0;
  let skipped = 0;
  let lastShare: number | undefined;
  let drAvailable = t.kind === 'value-weights' && o.rewardHead !== undefined;
  for await (const r of records) {
    if (o.include && !o.include(r)) continue;
    const logShare = loggingShare(r) ?? lastShare;
    if (logShare !== undefined) lastShare = logShare;
    const weights = t.kind === 'exploration-share' ? (logShare === undefined ? undefined : shareWeights(r, t.share, logShare)) : valueWeightChoices(r, t.weights);
    if (!weights) {
      skipped++;
      continue;
    }
    const head = o.rewardHead !== undefined ? r.scores[o.rewardHead] : undefined;
    if (t.kind === 'value-weights' && !head) drAvailable = false;
    let rw = 0;
    let ips = 0;
    let wsum = 0;
    let dr = 0;
    let n = 0;
    for (let k = 0; k < r.slate.length; k++) {
      const reward = o.rewardOf(r.request_id, r.slate[k].item_id);
      if (reward === undefined || !Number.isFinite(reward)) continue;
      const w = weights.w[k];
      rw += reward;
      ips += w * reward;
      wsum += w;
      n++;
      w1 += w;
      w2 += w * w;
      if (w > 0) nonzero++;
      if (head && weights.choice) dr += head[weights.choice[k]] + w * (reward - head[weights.logged[k]]);
    }
    if (n > 0) s.add(r.user_id, [rw, ips, wsum, dr, n]);
  }
  const resamples = o.resamples ?? 2000;
  const seed = o.seed ?? 1;
  const [rewards, ipsSum, weight, drSum, count] = [0, 1, 2, 3, 4].map((k) => s.column(k));
  const slots = sum(count);
  const estimate = (estimator: OpeEstimate['estimator'], num: Float64Array, den: Float64Array): OpeEstimate => {
    const ci = bootstrapRatio(num, den, resamples, 0.95, seed);
    const d = sum(den);
    return { estimator, estimate: d === 0 ? 0 : sum(num) / d, ci_low: ci.low, ci_high: ci.high, ess: w2 === 0 ? 0 : (w1 * w1) / w2 };
  };
  const estimates = slots === 0 ? [] : [estimate('ips', ipsSum, count), estimate('snips', ipsSum, weight)];
  if (slots > 0 && drAvailable) estimates.push(estimate('dr', drSum, count));
  return {
    target: t,
    requests: s.requests,
    users: s.users,
    slots,
    logged_value: slots === 0 ? Number.NaN : sum(rewards) / slots,
    agreement: slots === 0 ? Number.NaN : nonzero / slots,
    skipped_records: skipped,
    estimates,
  };
}

/**
 * The logging exploration share of a record: 1 − p of a kept slot; 0 when nothing could be explored; undefined when
 * every slot explored (then the share of the previous record is used — one arm logs with one share).
 */
function loggingShare(r: ServeRecord): number | undefined {
  const kept = r.slate.find((x) => !x.explored && x.propensity < 1);
  if (kept) return 1 - kept.propensity;
  return r.slate.some((x) => x.explored) ? undefined : 0;
}

/** Cumulative per-decision weights of an exploration-share target. */
function shareWeights(r: ServeRecord, target: number, share: number): { w: Float64Array; choice?: undefined; logged?: undefined } {
  const w = new Float64Array(r.slate.length);
  let cum = 1;
  r.slate.forEach((x, k) => {
    const piE = x.explored ? (target * x.propensity) / share : x.propensity < 1 ? 1 - target : 1;
    cum *= piE / x.propensity;
    w[k] = cum;
  });
  return { w };
}

/**
 * Per slot of a value-weights target: the weight 1[a_k = t_k] / p_k, the candidate index of t_k and of a_k; undefined
 * when the record lacks the full candidate list or a weighted head.
 */
function valueWeightChoices(r: ServeRecord, weights: Readonly<Record<string, number>>): { w: Float64Array; choice: Int32Array; logged: Int32Array } | undefined {
  const n = r.candidates.length;
  if (n <= r.slate.length && r.slate.length > 0) return undefined;
  const heads = Object.entries(weights).map(([h, w]) => [r.scores[h], w] as const);
  if (heads.some(([h]) => !h || h.length !== n)) return undefined;
  const value = new Float64Array(n);
  for (const [h, w] of heads) for (let i = 0; i < n; i++) value[i] += w * h[i];
  const index = new Map<string, number>();
  r.candidates.forEach((c, i) => {
    if (!index.has(c.item_id)) index.set(c.item_id, i);
  });
  // the target's own slate: its top L by value (no re-rankers), t_k = the k-th
  const top = Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => value[b] - value[a] || a - b)
    .slice(0, r.slate.length);
  const w = new Float64Array(r.slate.length);
  const choice = Int32Array.from(top);
  const logged = new Int32Array(r.slate.length);
  for (let k = 0; k < r.slate.length; k++) {
    const a = index.get(r.slate[k].item_id);
    if (a === undefined) return undefined;
    logged[k] = a;
    w[k] = a === choice[k] ? 1 / r.slate[k].propensity : 0;
  }
  return { w, choice, logged };
}

/** The on-policy mean reward per impressed slot of the records `include` keeps, with its bootstrap interval (over users). */
export async function onPolicyValue(
  records: AsyncIterable<ServeRecord> | Iterable<ServeRecord>,
  rewardOf: ServeLogOpeOptions['rewardOf'],
  include: (r: ServeRecord) => boolean,
  resamples = 2000,
  seed = 1,
): Promise<{ value: number; ci_low: number; ci_high: number; requests: number; users: number; slots: number }> {
  const s = new UserSums(2); // reward, slots
  for await (const r of records) {
    if (!include(r)) continue;
    let total = 0;
    let n = 0;
    for (const x of r.slate) {
      const v = rewardOf(r.request_id, x.item_id);
      if (v === undefined || !Number.isFinite(v)) continue;
      total += v;
      n++;
    }
    if (n > 0) s.add(r.user_id, [total, n]);
  }
  const [num, den] = [s.column(0), s.column(1)];
  const slots = sum(den);
  const ci = bootstrapRatio(num, den, resamples, 0.95, seed);
  return { value: slots === 0 ? Number.NaN : sum(num) / slots, ci_low: ci.low, ci_high: ci.high, requests: s.requests, users: s.users, slots };
}

/**
 * estimate − on-policy value with a 95 % interval that counts both samples' noise (they come from different users):
 * normal approximation, each standard error read off its bootstrap interval as width / (2 × 1.96).
 */
export function differenceInterval(e: { estimate: number; ci_low: number; ci_high: number }, t: { value: number; ci_low: number; ci_high: number }): { diff: number; low: number; high: number } {
  const z = 1.959964;
  const se = Math.hypot((e.ci_high - e.ci_low) / (2 * z), (t.ci_high - t.ci_low) / (2 * z));
  const diff = e.estimate - t.value;
  return { diff, low: diff - z * se, high: diff + z * se };
}
