/**
 * The slot loop shared by every explorer: eligibility under the author and category caps, the per-slot Bernoulli
 * draw, and the propensities (the policy is documented in explorer.ts). Explorers supply only the pick rule.
 * Hot path: authors and categories are interned to integer labels once per request; eligibility per slot is one pass
 * over typed arrays.
 */
import { ConfigError } from '../errors.js';
import type { SlateItem } from '../reranking/reranker.js';
import type { Rand } from '../util/prng.js';
import type { ExplorationCandidate, ExploreOptions, ServedItem } from './explorer.js';

/** How an explorer chooses one item of an eligible set, and with what probability. */
export interface PickRule {
  /**
   * Chooses among the pool indices `eligible[0 … n−1]` (n ≥ 1). Returns the chosen position in `eligible` and
   * P(this rule picks that item | the eligible set) (exact, or an unbiased estimate, as the rule documents).
   */
  pick(eligible: Int32Array, n: number, rand: Rand): { at: number; probability: number };
}

/** Builds a pick rule for one request's pool (called at most once, at the first exploring slot). */
export type PickRuleFactory = (pool: readonly ExplorationCandidate[], opts: ExploreOptions) => PickRule;

export function exploreSlots(
  slate: readonly SlateItem[],
  pool: readonly ExplorationCandidate[],
  opts: ExploreOptions,
  rand: Rand,
  makeRule: PickRuleFactory,
): ServedItem[] {
  const { share } = opts;
  if (!(share >= 0 && share <= 1)) throw new ConfigError(`exploration share must be in [0, 1], got ${share}`, 'exploration.share');
  const out: ServedItem[] = slate.map((s) => ({ ...s, propensity: 1, explored: false }));
  const L = slate.length;
  if (share === 0 || L === 0 || pool.length === 0) return out;

  const authors = new Interner();
  const categories = new Interner();
  const slateAuthor = new Int32Array(L);
  const slateCategory = new Int32Array(L);
  const inSlate = new Set<string>();
  for (let p = 0; p < L; p++) {
    const info = opts.infoOf(slate[p].itemId);
    slateAuthor[p] = authors.id(info.authorId);
    slateCategory[p] = categories.id(info.category);
    inSlate.add(slate[p].itemId);
  }
  const P = pool.length;
  const poolAuthor = new Int32Array(P);
  const poolCategory = new Int32Array(P);
  /** 1 = never eligible (in the slate, a repeated id, or already served at an earlier slot). */
  const used = new Uint8Array(P);
  const seen = new Set<string>();
  for (let i = 0; i < P; i++) {
    const c = pool[i];
    const id = c.item.itemId;
    if (inSlate.has(id) || seen.has(id)) used[i] = 1;
    seen.add(id);
    const info = c.authorId === undefined || c.category === undefined ? opts.infoOf(id) : undefined;
    poolAuthor[i] = authors.id(c.authorId ?? info?.authorId);
    poolCategory[i] = categories.id(c.category ?? info?.category);
  }
  const authorCap = new WindowCap(slateAuthor, authors.size, opts.maxPerAuthor, opts.authorWindow);
  const categoryCap = new WindowCap(slateCategory, categories.size, opts.maxPerCategory, opts.categoryWindow);

  const eligible = new Int32Array(P);
  let rule: PickRule | undefined;
  for (let p = 0; p < L; p++) {
    authorCap.prepare(p);
    categoryCap.prepare(p);
    let n = 0;
    for (let i = 0; i < P; i++) {
      if (used[i] === 0 && authorCap.allows(poolAuthor[i]) && categoryCap.allows(poolCategory[i])) eligible[n++] = i;
    }
    if (n === 0) continue; // not explorable: s_p stays with propensity 1, no draw
    if (rand() >= share) {
      out[p].propensity = 1 - share;
      continue;
    }
    rule ??= makeRule(pool, opts);
    const { at, probability } = rule.pick(eligible, n, rand);
    const i = eligible[at];
    out[p] = { ...pool[i].item, propensity: share * probability, explored: true };
    used[i] = 1;
    slateAuthor[p] = poolAuthor[i]; // the caps' views share these arrays
    slateCategory[p] = poolCategory[i];
  }
  return out;
}

/** Interns optional strings to dense non-negative ids; undefined → −1. */
class Interner {
  private readonly ids = new Map<string, number>();
  get size(): number {
    return this.ids.size;
  }
  id(s: string | undefined): number {
    if (s === undefined) return -1;
    let id = this.ids.get(s);
    if (id === undefined) this.ids.set(s, (id = this.ids.size));
    return id;
  }
}

/**
 * "At most `maxPer` items of one label in any `window` consecutive slots", evaluated for one slot at a time against
 * the current slate's labels (which the caller updates in place). `prepare(p)` marks the labels that cannot take
 * slot p: those already holding `maxPer` of the other slots of some window containing p.
 */
class WindowCap {
  private readonly off: boolean;
  private readonly allBlocked: boolean;
  private readonly counts: Int32Array;
  private readonly blocked: Uint8Array;
  private readonly touched: Int32Array;
  private nTouched = 0;

  constructor(
    private readonly labels: Int32Array,
    labelCount: number,
    private readonly maxPer: number,
    private readonly window: number,
  ) {
    this.off = !(window >= 1) || !(maxPer < Number.POSITIVE_INFINITY);
    this.allBlocked = !this.off && maxPer < 1;
    this.counts = new Int32Array(labelCount);
    this.blocked = new Uint8Array(labelCount);
    this.touched = new Int32Array(labels.length);
  }

  prepare(p: number): void {
    if (this.off || this.allBlocked) return;
    const { labels, counts, blocked, touched, maxPer } = this;
    for (let k = 0; k < this.nTouched; k++) blocked[touched[k]] = 0;
    this.nTouched = 0;
    const L = labels.length;
    const W = Math.floor(this.window);
    for (let s = Math.max(0, p - W + 1); s <= p; s++) {
      const end = Math.min(L, s + W);
      for (let q = s; q < end; q++) if (q !== p && labels[q] >= 0) counts[labels[q]]++;
      for (let q = s; q < end; q++) {
        const l = labels[q];
        if (q === p || l < 0) continue;
        if (counts[l] >= maxPer && blocked[l] === 0) {
          blocked[l] = 1;
          touched[this.nTouched++] = l;
        }
        counts[l] = 0;
      }
    }
  }

  allows(label: number): boolean {
    return this.off || label < 0 || (!this.allBlocked && this.blocked[label] === 0);
  }
}
