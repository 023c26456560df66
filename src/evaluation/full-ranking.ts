/**
 * Full-ranking offline evaluation (the LightGCN-family protocol): every user with at least one item in the evaluated
 * split gets a score for every item; the user's training items (and, optionally, validation items when scoring test)
 * are masked; the top max(K) items are selected by partial selection; per K:
 * - Recall@K = hits in the top K / |user's relevant items|,
 * - NDCG@K with binary relevance, DCG = Σ 1/log2(rank + 2) over hits, ideal DCG over min(K, |relevant items|),
 * - HitRate@K = 1 if any hit,
 * averaged over the evaluated users; plus catalog coverage@K = distinct items in any user's top K / numItems.
 * Relevant items that are also training items are masked like the rest, so they can never be hit (none exist in the
 * shipped splits).
 */
import { ValidationError } from '../errors.js';
import type { Csr, InteractionData, Recommender } from './recommender.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Which split holds the relevant items. */
  split: 'valid' | 'test';
  /** Cutoffs, e.g. [10, 20, 40]. */
  ks: readonly number[];
  /** When `split` is `test`, also mask the user's validation items (they are known, non-test positives). */
  maskValidWhenTesting: boolean;
  /** Further per-user items to mask in both splits, e.g. KuaiRec's train negatives (shown and not liked). */
  extraMask?: Csr | null;
  /** Called every `progressEvery` users (default 500) and at the end with (users done, users to evaluate). */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

/** Metrics at one cutoff. */
export interface MetricsAtK {
  k: number;
  recall: number;
  ndcg: number;
  hitRate: number;
  coverage: number;
}

/** Result of {@link evaluate}. */
export interface EvaluationResult {
  model: string;
  split: 'valid' | 'test';
  /** Users with at least one relevant item (the denominator of the averages). */
  users: number;
  atK: MetricsAtK[];
  elapsedMs: number;
}

/** The default protocol: see README "Offline evaluation" (reproduces published BPR-MF on the ML-1M split). */
export const DEFAULT_MASK_VALID_WHEN_TESTING = false;

/**
 * Partial selection of the `k` highest scores of `scores` into `outIdx` / `outScore` (descending; ties keep the lower
 * index first). Entries equal to -Infinity or NaN are never selected; unfilled slots get index -1. Returns the number
 * of selected items.
 */
export function selectTopK(scores: Float32Array, k: number, outIdx: Int32Array, outScore: Float32Array): number {
  let n = 0;
  let thr = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s > thr)) continue;
    // insert s into the sorted prefix (strictly greater than later entries keeps lower index first on ties)
    let p = n < k ? n : k - 1;
    while (p > 0 && outScore[p - 1] < s) {
      outScore[p] = outScore[p - 1];
      outIdx[p] = outIdx[p - 1];
      p--;
    }
    outScore[p] = s;
    outIdx[p] = i;
    if (n < k) n++;
    if (n === k) thr = outScore[k - 1];
  }
  for (let p = n; p < k; p++) outIdx[p] = -1;
  return n;
}

function maskRow(csr: Csr, u: number, scores: Float32Array): void {
  for (let p = csr.offsets[u]; p < csr.offsets[u + 1]; p++) scores[csr.items[p]] = -Infinity;
}

/**
 * Evaluates `model` on `data` (see the module comment for the protocol). Deterministic for a deterministic model.
 * Reuses one Float32Array score buffer across users.
 */
export function evaluate(model: Recommender, data: InteractionData, opts: EvaluateOptions): EvaluationResult {
  const t0 = performance.now();
  const ks = [...opts.ks].sort((a, b) => a - b);
  if (ks.length === 0 || !ks.every((k) => Number.isInteger(k) && k >= 1)) throw new ValidationError(`cutoffs must be positive integers, got [${ks.join(', ')}]`, 'ks');
  const kMax = ks[ks.length - 1];
  const rel = opts.split === 'valid' ? data.valid : data.test;
  const maskValid = opts.split === 'test' && opts.maskValidWhenTesting;
  const scores = new Float32Array(data.numItems);
  const topIdx = new Int32Array(kMax);
  const topScore = new Float32Array(kMax);
  const isRel = new Uint8Array(data.numItems);
  const covered = ks.map(() => new Uint8Array(data.numItems));
  const sumRecall = new Float64Array(ks.length);
  const sumNdcg = new Float64Array(ks.length);
  const sumHit = new Float64Array(ks.length);
  const discount = Float64Array.from({ length: kMax }, (_, r) => 1 / Math.log2(r + 2));
  const idealPrefix = new Float64Array(kMax + 1);
  for (let r = 0; r < kMax; r++) idealPrefix[r + 1] = idealPrefix[r] + discount[r];
  let total = 0;
  for (let u = 0; u < data.numUsers; u++) if (rel.offsets[u + 1] > rel.offsets[u]) total++;
  const every = opts.progressEvery ?? 500;
  let users = 0;
  for (let u = 0; u < data.numUsers; u++) {
    const a = rel.offsets[u];
    const b = rel.offsets[u + 1];
    if (b === a) continue;
    model.scoreUser(u, scores);
    maskRow(data.train, u, scores);
    if (maskValid) maskRow(data.valid, u, scores);
    if (opts.extraMask) maskRow(opts.extraMask, u, scores);
    const n = selectTopK(scores, kMax, topIdx, topScore);
    for (let p = a; p < b; p++) isRel[rel.items[p]] = 1;
    const nRel = b - a;
    let hits = 0;
    let dcg = 0;
    let ki = 0;
    for (let r = 0; r < kMax; r++) {
      if (r < n && isRel[topIdx[r]] === 1) {
        hits++;
        dcg += discount[r];
      }
      while (ki < ks.length && ks[ki] === r + 1) {
        sumRecall[ki] += hits / nRel;
        sumNdcg[ki] += dcg / idealPrefix[Math.min(ks[ki], nRel)];
        if (hits > 0) sumHit[ki] += 1;
        const cov = covered[ki];
        for (let q = 0; q < Math.min(ks[ki], n); q++) cov[topIdx[q]] = 1;
        ki++;
      }
    }
    for (let p = a; p < b; p++) isRel[rel.items[p]] = 0;
    users++;
    if (opts.onProgress && (users % every === 0 || users === total)) opts.onProgress(users, total);
  }
  const atK = ks.map((k, j) => {
    let c = 0;
    for (const x of covered[j]) c += x;
    const d = Math.max(users, 1);
    return { k, recall: sumRecall[j] / d, ndcg: sumNdcg[j] / d, hitRate: sumHit[j] / d, coverage: c / data.numItems };
  });
  return { model: model.name, split: opts.split, users, atK, elapsedMs: performance.now() - t0 };
}

/** Options shared by models that tune hyperparameters or stop early on valid. */
export interface TuneOptions {
  /** Cutoff of the tuning metric, valid Recall@K (default 20). */
  tuneK?: number;
  /** Masked besides the train items, as in the reported evaluation (see {@link EvaluateOptions.extraMask}). */
  extraMask?: Csr | null;
  /** Progress lines. */
  log?: (msg: string) => void;
}

/** The tuning metric: valid Recall@`tuneK` under the same masking as the reported evaluation. */
export function validScore(model: Recommender, data: InteractionData, opts: TuneOptions): number {
  const k = opts.tuneK ?? 20;
  return evaluate(model, data, { split: 'valid', ks: [k], maskValidWhenTesting: false, extraMask: opts.extraMask }).atK[0].recall;
}

/** The metrics at cutoff `k` of a result (throws if `k` was not evaluated). */
export function atK(result: EvaluationResult, k: number): MetricsAtK {
  const m = result.atK.find((x) => x.k === k);
  if (!m) throw new ValidationError(`cutoff ${k} was not evaluated (have ${result.atK.map((x) => x.k).join(', ')})`, 'ks');
  return m;
}
