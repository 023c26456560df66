/**
 * The growable, columnar accumulator both example builders write into, and the step that turns it into
 * `RankingExamples`: rows are appended in any time order and `finish` sorts them by `ts` (stable: rows with equal
 * `ts` keep their append order, so an exposure stays next to its sampled negatives).
 *
 * Storage is typed arrays that double when full (one Float32Array slab for the feature rows, one per task for the
 * labels), so a few million examples cost ~4·(F + 8) bytes each plus the id strings.
 */
import { RANKING_TASKS, type RankingExamples, type RankingTask } from './examples.js';

/** One label per task, in RANKING_TASKS order (NaN = unknown). */
export type LabelRow = Float32Array;

/** A fresh label row, every task unknown. */
export function unknownLabels(): LabelRow {
  return new Float32Array(RANKING_TASKS.length).fill(NaN);
}

/** Index of each task in a LabelRow. */
export const TASK_INDEX: Readonly<Record<RankingTask, number>> = Object.fromEntries(RANKING_TASKS.map((t, i) => [t, i])) as Record<
  RankingTask,
  number
>;

export class ExampleBuffer {
  n = 0;
  private cap = 0;
  private features = new Float32Array(0);
  private ts = new Float64Array(0);
  private weights = new Float32Array(0);
  private labels: Float32Array[] = RANKING_TASKS.map(() => new Float32Array(0));
  private readonly userIds: string[] = [];
  private readonly itemIds: string[] = [];
  private readonly authorIds: (string | undefined)[] = [];
  private readonly categories: (string | undefined)[] = [];
  private readonly requestIds: (string | undefined)[] = [];

  /** `featureNames` may be set later (before the first push) when the schema comes from the data. */
  constructor(public featureNames: readonly string[] | undefined) {}

  /** Appends one example; `row` must have featureNames.length values (it is copied). */
  push(
    row: Float32Array,
    ts: number,
    userId: string,
    itemId: string,
    authorId: string | undefined,
    category: string | undefined,
    labels: LabelRow,
    weight: number,
    requestId?: string,
  ): void {
    const F = this.width();
    if (row.length !== F) throw new RangeError(`feature row has ${row.length} values, schema has ${F}`);
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.features.set(row, i * F);
    this.ts[i] = ts;
    this.weights[i] = weight;
    for (let t = 0; t < RANKING_TASKS.length; t++) this.labels[t][i] = labels[t];
    this.userIds.push(userId);
    this.itemIds.push(itemId);
    this.authorIds.push(authorId);
    this.categories.push(category);
    this.requestIds.push(requestId);
  }

  /** The examples in non-decreasing `ts` order (stable), trimmed to size. */
  finish(
    source: RankingExamples['source'],
    stats: Record<string, number>,
    extra: Pick<RankingExamples, 'negativeSampling'> & { withRequestIds?: boolean } = {},
  ): RankingExamples {
    const n = this.n;
    const F = this.featureNames?.length ?? 0;
    const order = sortedOrder(this.ts, n);
    const take32 = (a: Float32Array, width: number) => {
      const out = new Float32Array(n * width);
      if (width === 1) {
        for (let k = 0; k < n; k++) out[k] = a[order[k]];
        return out;
      }
      for (let k = 0; k < n; k++) out.set(a.subarray(order[k] * width, order[k] * width + width), k * width);
      return out;
    };
    const takeArr = <T>(a: readonly T[]) => Array.from(order, (i) => a[i]);
    const ts = new Float64Array(n);
    for (let k = 0; k < n; k++) ts[k] = this.ts[order[k]];
    const labels = {} as Record<RankingTask, Float32Array>;
    RANKING_TASKS.forEach((t, j) => (labels[t] = take32(this.labels[j], 1)));
    const out: RankingExamples = {
      featureNames: [...(this.featureNames ?? [])],
      n,
      features: take32(this.features, F),
      ts,
      userIds: takeArr(this.userIds),
      itemIds: takeArr(this.itemIds),
      authorIds: takeArr(this.authorIds),
      categories: takeArr(this.categories),
      labels,
      weights: take32(this.weights, 1),
      source,
      stats,
    };
    if (extra.withRequestIds) out.requestIds = takeArr(this.requestIds);
    if (extra.negativeSampling) out.negativeSampling = extra.negativeSampling;
    return out;
  }

  private width(): number {
    if (!this.featureNames) throw new Error('ExampleBuffer: feature names must be set before the first push');
    return this.featureNames.length;
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const F = this.width();
    const f = new Float32Array(cap * F);
    f.set(this.features);
    this.features = f;
    const ts = new Float64Array(cap);
    ts.set(this.ts);
    this.ts = ts;
    const w = new Float32Array(cap);
    w.set(this.weights);
    this.weights = w;
    this.labels = this.labels.map((l) => {
      const x = new Float32Array(cap);
      x.set(l);
      return x;
    });
    this.cap = cap;
  }
}

/** Indices 0..n−1 ordered by ts, ties by index (stable); the identity when already sorted. */
function sortedOrder(ts: Float64Array, n: number): Uint32Array {
  const order = new Uint32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && ts[i] < ts[i - 1]) sorted = false;
  }
  if (!sorted) order.sort((a, b) => ts[a] - ts[b] || a - b);
  return order;
}
