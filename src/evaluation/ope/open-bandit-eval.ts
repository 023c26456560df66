/**
 * The Open Bandit validation of the OPE estimators: estimate the Bernoulli-TS policy's CTR from the uniform-random
 * logs of a campaign and compare it with BTS's on-policy CTR (the mean click of its own logs).
 *
 * Per random-log row i (item a_i at position p_i, time t_i): p_b = its logged propensity (1/#items), p_e =
 * π_e(a_i | p_i, t_i) from targetPolicyFromLog(bts logs), w = p_e / p_b. DR uses the cross-fitted smoothed-CTR
 * model fitted on the random logs only (the bts clicks are never used except as the on-policy reference):
 * q̂_i = q̂_k(a_i, p_i) and V̂_i = Σ_a π_e(a | p_i, t_i) q̂_k(a, p_i), k = the row's fold.
 */
import { mixSeed } from '../../util/prng.js';
import { ESTIMATORS, estimate, type EstimatorName, type LoggedData } from './estimators.js';
import { type BanditLog, meanClick } from './open-bandit.js';
import { crossFitSmoothedCtr } from './reward-model.js';
import { bootstrapRatio } from './stats.js';
import { distributionOffset, propensityProfile, targetPolicyFromLog, type PropensityProfile, type TargetPolicyMode } from './target-policy.js';

export interface OpenBanditOpeOptions {
  /** Bootstrap replicates per interval. */
  resamples: number;
  seed: number;
  /** Cross-fitting folds for the DR reward model. */
  folds: number;
  targetPolicy: TargetPolicyMode;
  /** Interval coverage (default 0.95). */
  level?: number;
}

/** One output row (the JSON shape of `feedloop eval ope`). */
export interface OpeRow {
  campaign: string;
  estimator: EstimatorName;
  estimate: number;
  ci_low: number;
  ci_high: number;
  ess: number;
  on_policy: number;
  covered: boolean;
}

export interface CampaignResult {
  campaign: string;
  rows: OpeRow[];
  /** BTS's on-policy CTR with its own bootstrap interval (sampling noise of the reference itself). */
  onPolicy: { value: number; ciLow: number; ciHigh: number; n: number };
  /** CTR of the random logs (the logging policy's own value). */
  randomCtr: number;
  randomRows: number;
  /** Distinct logging propensities in the random log (1 when uniform), and how BTS's logged propensities behave. */
  randomPropensities: number[];
  btsProfile: PropensityProfile;
  /** Empirical-Bayes prior strength of the reward model per fold. */
  priorStrengths: number[];
}

/**
 * Builds the estimator columns for the random-log rows under the target policy derived from `bts`, including the
 * DR columns from an `opts.folds`-fold cross-fitted reward model (fold assignment seeded by `campaignSeed`).
 */
export function openBanditLoggedData(random: BanditLog, bts: BanditLog, opts: OpenBanditOpeOptions, campaignSeed: number): { data: LoggedData; priorStrengths: number[] } {
  const numItems = Math.max(random.numItems, bts.numItems);
  const policy = targetPolicyFromLog(bts, opts.targetPolicy, numItems);
  const n = random.n;
  const reward = Float64Array.from(random.click);
  const behaviorProb = Float64Array.from(random.propensity);
  const targetProb = new Float64Array(n);
  const rewardHat = new Float64Array(n);
  const targetValueHat = new Float64Array(n);
  const fit = crossFitSmoothedCtr(random, numItems, policy.numPositions, opts.folds, mixSeed(campaignSeed, 1));
  for (let r = 0; r < n; r++) {
    const pos = random.position[r];
    const off = distributionOffset(policy, pos, random.timestampMs[r]);
    targetProb[r] = policy.prob[off + random.item[r]];
    const table = fit.models[fit.foldOf[r]].table;
    const row = pos * numItems;
    rewardHat[r] = table[row + random.item[r]];
    let v = 0;
    for (let a = 0; a < numItems; a++) v += policy.prob[off + a] * table[row + a];
    targetValueHat[r] = v;
  }
  return { data: { reward, behaviorProb, targetProb, rewardHat, targetValueHat }, priorStrengths: fit.models.map((m) => m.priorStrength) };
}

/**
 * Runs IPS, SNIPS and DR for one campaign (bootstrap intervals, replicates shared across estimators through one
 * seed) and marks each row `covered` when on_policy ∈ [ci_low, ci_high].
 */
export function evaluateOpenBanditCampaign(campaign: string, random: BanditLog, bts: BanditLog, opts: OpenBanditOpeOptions): CampaignResult {
  const level = opts.level ?? 0.95;
  const campaignSeed = mixSeed(opts.seed, [...campaign].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0, 7));
  const { data, priorStrengths } = openBanditLoggedData(random, bts, opts, campaignSeed);
  const onValue = meanClick(bts);
  const onCi = bootstrapRatio(Float64Array.from(bts.click), undefined, opts.resamples, level, mixSeed(campaignSeed, 2));
  const interval = { method: 'bootstrap' as const, level, resamples: opts.resamples, seed: mixSeed(campaignSeed, 3) };
  const rows = ESTIMATORS.map((name): OpeRow => {
    const e = estimate(name, data, interval);
    return {
      campaign,
      estimator: name,
      estimate: e.estimate,
      ci_low: e.ciLow,
      ci_high: e.ciHigh,
      ess: e.ess,
      on_policy: onValue,
      covered: onValue >= e.ciLow && onValue <= e.ciHigh,
    };
  });
  return {
    campaign,
    rows,
    onPolicy: { value: onValue, ciLow: onCi.low, ciHigh: onCi.high, n: bts.n },
    randomCtr: meanClick(random),
    randomRows: random.n,
    randomPropensities: [...new Set(random.propensity)],
    btsProfile: propensityProfile(bts),
    priorStrengths,
  };
}
