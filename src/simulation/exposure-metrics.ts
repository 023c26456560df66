/**
 * What the simulator measures, per policy and per simulated day (and over the whole run). An impression is an item
 * the simulated user reached in the feed (was shown full screen): every item of a page up to and including the one
 * after which the session ended; items of a page after the session ended were never seen and do not count.
 *
 * Engagement, over the impressions I of the period (r = watch ratio from src/demo/user-model.ts):
 * - watch ratio = Σ r / |I|;  likes per impression = likes / |I|;  completion rate = |{r ≥ 0.95}| / |I|
 * - session length = impressions of the sessions that started in the period / those sessions
 * - mean affinity = Σ dot(user, item) / |I| (latent relevance of what was shown; not observable by the engine)
 * - repeat share = impressions of an item the same user had already been shown earlier in the run / |I| (the user
 *   model has no satiation: a repeat of a relevant item is watched as well as the first time)
 *
 * Exposure (x_j = impressions of item j in the period, over every item of the catalog at the period's end, zeros
 * included; authors likewise over every author of the world):
 * - coverage = |{j : x_j > 0}| / catalog size
 * - Gini = Σ_k (2k − n − 1)·x_(k) / (n · Σ x), x sorted ascending, k = 1..n (0: equal exposure; → 1: all on one)
 *
 * Interest concentration, over the users with at least `minUserImpressions` impressions in the period
 * (c_{u,k} = impressions of user u in category k, n_u = Σ_k c_{u,k}):
 * - top-category share = mean_u max_k c_{u,k} / n_u
 * - category entropy = mean_u −Σ_k p log2 p, p = c_{u,k} / n_u (bits; log2 of the categories for a uniform spread)
 * A feedback loop that narrows what users are shown raises the share and lowers the entropy day after day.
 */
import type { Reaction } from '../demo/user-model.js';
import type { World } from '../demo/world.js';

/** One period's numbers (a simulated day, or the whole run). */
export interface PeriodMetrics {
  sessions: number;
  requests: number;
  impressions: number;
  watchRatio: number;
  likesPerImpression: number;
  completionRate: number;
  sessionLength: number;
  meanAffinity: number;
  repeatShare: number;
  catalogSize: number;
  distinctItems: number;
  coverage: number;
  giniItems: number;
  giniAuthors: number;
  topCategoryShare: number;
  categoryEntropyBits: number;
  /** Users the concentration is averaged over. */
  usersMeasured: number;
  /** Feed responses that named a degraded component (should stay 0: the simulator sets no deadlines). */
  degradedRequests: number;
}

/** Gini coefficient of non-negative values (0 when they are all equal or all zero). */
export function gini(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  const x = Float64Array.from(values).sort();
  let sum = 0;
  let weighted = 0;
  for (let k = 0; k < n; k++) {
    sum += x[k];
    weighted += (2 * (k + 1) - n - 1) * x[k];
  }
  return sum > 0 ? weighted / (n * sum) : 0;
}

/** Shannon entropy in bits of the distribution proportional to `counts[from..from+len)`. */
export function entropyBits(counts: ArrayLike<number>, from = 0, len = counts.length): number {
  let total = 0;
  for (let k = 0; k < len; k++) total += counts[from + k];
  if (total <= 0) return 0;
  let h = 0;
  for (let k = 0; k < len; k++) {
    const c = counts[from + k];
    if (c > 0) h -= (c / total) * Math.log2(c / total);
  }
  return h;
}

/** Counters of one period; `finish` turns them into `PeriodMetrics`. Columnar: no object per item or user. */
export class PeriodStats {
  sessions = 0;
  sessionImpressions = 0;
  requests = 0;
  degradedRequests = 0;
  impressions = 0;
  private watchSum = 0;
  private affinitySum = 0;
  private likes = 0;
  private repeats = 0;
  private completes = 0;
  private readonly itemImpressions: Uint32Array;
  private readonly userCategory: Uint32Array;
  private readonly userTotal: Uint32Array;

  constructor(
    private readonly world: World,
    private readonly minUserImpressions: number,
  ) {
    this.itemImpressions = new Uint32Array(world.itemCapacity);
    this.userCategory = new Uint32Array(world.userCount * world.categoryCount);
    this.userTotal = new Uint32Array(world.userCount);
  }

  /** User u reached item i and reacted with r; `repeat`: u had been shown i before. */
  impression(u: number, i: number, r: Reaction, repeat = false): void {
    this.impressions++;
    if (repeat) this.repeats++;
    this.watchSum += r.watchRatio;
    this.affinitySum += this.world.affinity(u, i);
    if (r.like) this.likes++;
    if (r.complete) this.completes++;
    this.itemImpressions[i]++;
    this.userCategory[u * this.world.categoryCount + this.world.itemCategory[i]]++;
    this.userTotal[u]++;
  }

  /** A session that started in this period ended after `impressions` items. */
  session(impressions: number): void {
    this.sessions++;
    this.sessionImpressions += impressions;
  }

  /** The metrics, with the catalog as it is now (`world.itemCount`). */
  finish(): PeriodMetrics {
    const w = this.world;
    const n = w.itemCount;
    const items = this.itemImpressions.subarray(0, n);
    const authors = new Float64Array(w.authorCount);
    let distinct = 0;
    for (let i = 0; i < n; i++) {
      if (items[i] > 0) distinct++;
      authors[w.itemAuthor[i]] += items[i];
    }
    const K = w.categoryCount;
    let users = 0;
    let shareSum = 0;
    let entropySum = 0;
    for (let u = 0; u < w.userCount; u++) {
      const total = this.userTotal[u];
      if (total === 0 || total < this.minUserImpressions) continue;
      let top = 0;
      for (let k = 0; k < K; k++) top = Math.max(top, this.userCategory[u * K + k]);
      users++;
      shareSum += top / total;
      entropySum += entropyBits(this.userCategory, u * K, K);
    }
    const per = (x: number) => (this.impressions > 0 ? x / this.impressions : 0);
    return {
      sessions: this.sessions,
      requests: this.requests,
      impressions: this.impressions,
      watchRatio: per(this.watchSum),
      likesPerImpression: per(this.likes),
      completionRate: per(this.completes),
      sessionLength: this.sessions > 0 ? this.sessionImpressions / this.sessions : 0,
      meanAffinity: per(this.affinitySum),
      repeatShare: per(this.repeats),
      catalogSize: n,
      distinctItems: distinct,
      coverage: n > 0 ? distinct / n : 0,
      giniItems: gini(items),
      giniAuthors: gini(authors),
      topCategoryShare: users > 0 ? shareSum / users : 0,
      categoryEntropyBits: users > 0 ? entropySum / users : 0,
      usersMeasured: users,
      degradedRequests: this.degradedRequests,
    };
  }
}
