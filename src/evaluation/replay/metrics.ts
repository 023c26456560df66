/**
 * Metrics of prequential (next-item) replay: one evaluation point has exactly one relevant item, the item the user
 * really interacted with next, so
 *
 * - HR@K (hit rate) = share of points whose target is among the first K recommendations;
 * - NDCG@K = mean over points of 1 / log2(rank + 2) when the target sits at 0-based `rank` < K, else 0 (the ideal
 *   DCG of a single relevant item is 1, so no normalisation beyond that is needed).
 *
 * Recommendations past position K are ignored; a list shorter than K simply has fewer chances to hit.
 */

/** 0-based position of `target` among the first `k` of `recs`, or -1 when it is not there. */
export function rankOf(recs: readonly string[], target: string, k: number): number {
  const n = Math.min(k, recs.length);
  for (let i = 0; i < n; i++) if (recs[i] === target) return i;
  return -1;
}

/** DCG gain of a single relevant item at 0-based `rank` (0 when missed). */
export function gainAt(rank: number): number {
  return rank < 0 ? 0 : 1 / Math.log2(rank + 2);
}

/** Running HR@K / NDCG@K over evaluation points (also split by a caller-defined boolean segment). */
export class NextItemMetrics {
  points = 0;
  hits = 0;
  dcg = 0;
  /** Points, hits and DCG restricted to points flagged `inSegment` (e.g. "the user was active earlier that day"). */
  readonly segment = { points: 0, hits: 0, dcg: 0 };

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  }

  /** Scores one point: `recs` best first, `target` the item that really came next. Returns the 0-based rank or -1. */
  add(recs: readonly string[], target: string, inSegment = false): number {
    const rank = rankOf(recs, target, this.k);
    const g = gainAt(rank);
    this.points++;
    this.dcg += g;
    if (rank >= 0) this.hits++;
    if (inSegment) {
      this.segment.points++;
      this.segment.dcg += g;
      if (rank >= 0) this.segment.hits++;
    }
    return rank;
  }

  get hitRate(): number {
    return this.points ? this.hits / this.points : 0;
  }
  get ndcg(): number {
    return this.points ? this.dcg / this.points : 0;
  }
  get segmentHitRate(): number {
    return this.segment.points ? this.segment.hits / this.segment.points : 0;
  }
  get segmentNdcg(): number {
    return this.segment.points ? this.segment.dcg / this.segment.points : 0;
  }
}
