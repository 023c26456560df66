/**
 * IVF-Flat parameters (options, defaults and their validation), the snapshot manifest and the inverted-list storage
 * shared by `IvfIndex` (ivf-index.ts).
 */
export interface IvfOptions {
  dim: number;
  /** Number of inverted lists (k-means centroids) once trained. Default 1024; ≈ √N is a good start. */
  lists?: number;
  /** Lists scanned per search (per call via `ef`). Default 8. */
  nprobe?: number;
  /** Vectors k-means trains on (a uniform sample of the live ones). Default 64 per list. */
  trainSample?: number;
  /** Size at which an `upsert` trains automatically; `Infinity` = only by `train()`. Default 40 per list. */
  trainAt?: number;
  /** k-means iterations. Default 10. */
  iterations?: number;
  /** Seed of the sampling / initialisation. Default 1. */
  seed?: number;
  /** Initial capacity hint (vectors). */
  capacity?: number;
}

export interface IvfParams {
  dim: number;
  lists: number;
  nprobe: number;
  trainSample: number;
  trainAt: number;
  iterations: number;
  seed: number;
}

export interface IvfManifest extends Omit<IvfParams, 'trainAt'> {
  kind: 'ivf';
  version: 1;
  /** null = Infinity (JSON has no Infinity). */
  trainAt: number | null;
  trained: boolean;
  /** Number of centroids stored (0 when untrained). */
  centroids: number;
  /** Rows per list, in list order. */
  listSizes: number[];
  /** Ids in storage order (list 0's rows, then list 1's, …). */
  ids: string[];
  dataFile: string;
}

export const DATA_PREFIX = 'ivf-';

/** One inverted list: `len` rows of vectors and labels. */
export interface List {
  vecs: Float32Array;
  labels: Int32Array;
  len: number;
}

/** `a` copied into an array of twice its length, the new half filled with `fill`. */
export function doubled<T extends Int32Array | Float32Array>(a: T, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

export function newList(capacity: number, dim: number): List {
  const cap = Math.max(4, capacity);
  return { vecs: new Float32Array(cap * dim), labels: new Int32Array(cap), len: 0 };
}

/** The parameters of `opts` with their defaults; throws RangeError naming a bad one. */
export function ivfParams(opts: IvfOptions): IvfParams {
  const lists = opts.lists ?? 1024;
  const params: IvfParams = {
    dim: opts.dim,
    lists,
    nprobe: opts.nprobe ?? 8,
    trainSample: opts.trainSample ?? 64 * lists,
    trainAt: opts.trainAt ?? 40 * lists,
    iterations: opts.iterations ?? 10,
    seed: opts.seed ?? 1,
  };
  if (!Number.isInteger(params.dim) || params.dim <= 0) throw new RangeError(`dim must be a positive integer, got ${params.dim}`);
  if (!Number.isInteger(params.lists) || params.lists <= 0) throw new RangeError(`lists must be a positive integer, got ${params.lists}`);
  if (!Number.isInteger(params.nprobe) || params.nprobe <= 0) throw new RangeError(`nprobe must be a positive integer, got ${params.nprobe}`);
  if (!Number.isInteger(params.trainSample) || params.trainSample < params.lists) throw new RangeError(`trainSample must be an integer ≥ lists, got ${params.trainSample}`);
  if (!(params.trainAt >= 1)) throw new RangeError(`trainAt must be ≥ 1, got ${params.trainAt}`);
  return params;
}
