/**
 * The synthetic short-video world of the demo (and of benchmarks and the future simulator): items with latent
 * vectors around their category's centroid, Zipf-sized authors, Zipf popularity, users with latent interests
 * concentrated on a few categories and Zipf activity. Everything lives in typed arrays over SharedArrayBuffers, so a
 * worker thread can read the same world (`handle()` / `World.fromHandle`) while the main thread appends uploads and
 * drifts interests. Deterministic for (seed, nowMs, sizes).
 */
import type { Item, User } from '../domain/schemas.js';
import { gaussian, mixSeed, mulberry32, shuffle, WeightedSampler, zipfWeights, type Rand } from '../util/prng.js';

export interface WorldOptions {
  seed: number;
  /** Items at creation (uploads are appended later). */
  items?: number;
  authors?: number;
  categories?: number;
  users?: number;
  /** Latent dimension. */
  dim?: number;
  /** "Now" of the world: items are spread over the 7 days before it. Default: Date.now(). */
  nowMs?: number;
  /** Room for `newUpload` beyond the initial items (default one day at one upload per second). */
  uploadCapacity?: number;
}

/** Everything needed to re-open the same world in another thread (structured-clonable; buffers are shared). */
export interface WorldHandle {
  params: WorldParams;
  buffers: Record<string, SharedArrayBuffer>;
}

interface WorldParams {
  seed: number;
  items: number;
  authors: number;
  categories: number;
  users: number;
  dim: number;
  nowMs: number;
  itemCapacity: number;
}

const DAY_MS = 86_400_000;
/** Author sizes ∝ 1/(rank+1)^0.8; category popularity ∝ 1/(rank+1)^0.6; item popularity prior ∝ 1/(rank+1). */
const AUTHOR_ZIPF = 0.8;
const CATEGORY_ZIPF = 0.6;
const POPULARITY_ZIPF = 1.0;
const USER_ACTIVITY_ZIPF = 0.8;
/** Share of an author's items in their main category; spread of item vectors around the centroid (per component). */
const AUTHOR_MAIN_CATEGORY_PROB = 0.85;
const ITEM_SPREAD = 0.15;
const USER_SPREAD = 0.1;
/** Weights of a user's 1st, 2nd, 3rd interest category. */
const USER_CATEGORY_WEIGHTS = [1, 0.6, 0.35];
/** Drift: step towards the user's drift-target category per call, noise per component, chance the target changes. */
const DRIFT_STEP = 0.01;
const DRIFT_NOISE = 0.005;
const DRIFT_SWITCH_PROB = 0.02;
const COUNTRIES = ['US', 'BR', 'IN', 'ID', 'DE', 'FR', 'GB', 'JP', 'MX', 'TR'];
const LANGUAGES = ['en', 'pt', 'hi', 'id', 'de', 'fr', 'en', 'ja', 'es', 'tr'];
const AGE_BUCKETS = ['13-17', '18-24', '25-34', '35-44', '45-54', '55+'];
const AGE_WEIGHTS = [0.08, 0.3, 0.3, 0.17, 0.1, 0.05];

/** A synthetic world; create with `createWorld`, re-open in a worker with `World.fromHandle`. */
export class World {
  readonly seed: number;
  readonly dim: number;
  readonly categoryCount: number;
  readonly authorCount: number;
  readonly userCount: number;
  /** Items the arrays have room for (initial + upload capacity). */
  readonly itemCapacity: number;
  readonly createdAtMs: number;

  /** Per item (length itemCapacity, × dim for vectors); valid up to `itemCount`. */
  readonly itemVec: Float32Array;
  readonly itemCategory: Uint16Array;
  readonly itemAuthor: Uint32Array;
  readonly itemQuality: Float32Array;
  readonly itemDurationMs: Uint32Array;
  readonly itemCreatedAtMs: Float64Array;
  readonly itemPopularity: Float32Array;
  /** Per category / author. */
  readonly categoryCentroid: Float32Array;
  readonly categoryWeight: Float64Array;
  readonly authorCategory: Uint16Array;
  readonly authorWeight: Float64Array;
  /** Per user (× dim for vectors; × 3 for categories, −1 = none). */
  readonly userVec: Float32Array;
  readonly userActivity: Float32Array;
  readonly userCategories: Int16Array;
  readonly userDriftTarget: Uint16Array;
  readonly userCountry: Uint8Array;
  readonly userAge: Uint8Array;
  readonly userCreatedAtMs: Float64Array;

  private readonly params: WorldParams;
  private readonly buffers: Record<string, SharedArrayBuffer>;
  private readonly meta: Int32Array;
  private uploadRand: Rand;
  private samplers?: { author: WeightedSampler; category: WeightedSampler };

  private constructor(params: WorldParams, buffers: Record<string, SharedArrayBuffer> = {}) {
    this.params = params;
    this.buffers = buffers;
    const { dim, itemCapacity: C, categories: K, authors: A, users: U } = params;
    this.seed = params.seed;
    this.dim = dim;
    this.categoryCount = K;
    this.authorCount = A;
    this.userCount = U;
    this.itemCapacity = C;
    this.createdAtMs = params.nowMs;
    const buf = (name: string, bytes: number) => (buffers[name] ??= new SharedArrayBuffer(Math.max(8, bytes)));
    this.meta = new Int32Array(buf('meta', 16));
    this.itemVec = new Float32Array(buf('itemVec', C * dim * 4));
    this.itemCategory = new Uint16Array(buf('itemCategory', C * 2));
    this.itemAuthor = new Uint32Array(buf('itemAuthor', C * 4));
    this.itemQuality = new Float32Array(buf('itemQuality', C * 4));
    this.itemDurationMs = new Uint32Array(buf('itemDurationMs', C * 4));
    this.itemCreatedAtMs = new Float64Array(buf('itemCreatedAtMs', C * 8));
    this.itemPopularity = new Float32Array(buf('itemPopularity', C * 4));
    this.categoryCentroid = new Float32Array(buf('categoryCentroid', K * dim * 4));
    this.categoryWeight = new Float64Array(buf('categoryWeight', K * 8));
    this.authorCategory = new Uint16Array(buf('authorCategory', A * 2));
    this.authorWeight = new Float64Array(buf('authorWeight', A * 8));
    this.userVec = new Float32Array(buf('userVec', U * dim * 4));
    this.userActivity = new Float32Array(buf('userActivity', U * 4));
    this.userCategories = new Int16Array(buf('userCategories', U * 3 * 2));
    this.userDriftTarget = new Uint16Array(buf('userDriftTarget', U * 2));
    this.userCountry = new Uint8Array(buf('userCountry', U));
    this.userAge = new Uint8Array(buf('userAge', U));
    this.userCreatedAtMs = new Float64Array(buf('userCreatedAtMs', U * 8));
    this.uploadRand = mulberry32(mixSeed(params.seed, 2));
  }

  /** Builds a world; see `createWorld`. */
  static generate(opts: WorldOptions): World {
    const items = opts.items ?? 100_000;
    const params: WorldParams = {
      seed: opts.seed,
      items,
      authors: opts.authors ?? 5_000,
      categories: opts.categories ?? 50,
      users: opts.users ?? 20_000,
      dim: opts.dim ?? 16,
      nowMs: opts.nowMs ?? Date.now(),
      itemCapacity: items + (opts.uploadCapacity ?? 86_400),
    };
    if (params.categories > 65_535) throw new RangeError('at most 65535 categories');
    const w = new World(params);
    w.fill();
    return w;
  }

  /** Re-opens a world shared by another thread (same memory: uploads and drift there are visible here). */
  static fromHandle(h: WorldHandle): World {
    return new World(h.params, h.buffers);
  }

  /** What another thread needs for `World.fromHandle`. Only one thread should call `newUpload`/`drift`. */
  handle(): WorldHandle {
    return { params: { ...this.params }, buffers: this.buffers };
  }

  /** Items currently in the world (initial + uploads). */
  get itemCount(): number {
    return Atomics.load(this.meta, 0);
  }

  itemId(i: number): string {
    return `item-${i}`;
  }
  userId(u: number): string {
    return `user-${u}`;
  }
  authorId(a: number): string {
    return `author-${a}`;
  }
  categoryId(c: number): string {
    return `cat-${c}`;
  }

  /** Index of an `item-N` id, or −1 when the id is not an item of this world. */
  itemIndex(id: string): number {
    return parseIndex(id, 'item-', this.itemCount);
  }
  /** Index of a `user-N` id, or −1. */
  userIndex(id: string): number {
    return parseIndex(id, 'user-', this.userCount);
  }

  /** dot(user vector, item vector): the latent affinity, in [−1, 1] (both are unit vectors). */
  affinity(u: number, i: number): number {
    const d = this.dim;
    let s = 0;
    for (let k = 0, uo = u * d, io = i * d; k < d; k++) s += this.userVec[uo + k] * this.itemVec[io + k];
    return s;
  }

  /** The item as sent to PUT /v1/items. */
  itemRecord(i: number): Item {
    const d = this.dim;
    let topic = 0;
    for (let k = 1; k < d; k++) if (Math.abs(this.itemVec[i * d + k]) > Math.abs(this.itemVec[i * d + topic])) topic = k;
    const author = this.itemAuthor[i];
    return {
      id: this.itemId(i),
      author_id: this.authorId(author),
      created_at: Math.round(this.itemCreatedAtMs[i]),
      duration_ms: this.itemDurationMs[i],
      category: this.categoryId(this.itemCategory[i]),
      tags: [`topic-${topic}`],
      text: `Clip ${i} by ${this.authorId(author)}`,
    };
  }

  /** The user as sent to PUT /v1/users. */
  userRecord(u: number): User {
    const c = this.userCountry[u];
    return {
      id: this.userId(u),
      country: COUNTRIES[c],
      language: LANGUAGES[c],
      age_bucket: AGE_BUCKETS[this.userAge[u]],
      created_at: Math.round(this.userCreatedAtMs[u]),
    };
  }

  /**
   * Appends a new upload (created at `nowMs`) by a Zipf-drawn author; returns its index, or −1 when the upload
   * capacity is used up. Deterministic for the seed and the sequence of calls.
   */
  newUpload(nowMs: number): number {
    const n = this.itemCount;
    if (n >= this.itemCapacity) return -1;
    this.makeItem(n, this.uploadRand, nowMs);
    this.itemPopularity[n] = 1 / Math.pow(1 + Math.floor(this.uploadRand() * (n + 1)), POPULARITY_ZIPF);
    Atomics.store(this.meta, 0, n + 1);
    return n;
  }

  /**
   * Interest drift, one small step for user u: v ← normalise(v + 0.01·(centroid(target) − v) + 0.005·ε), ε ~ N(0, I);
   * with probability 0.02 the drift target becomes a new category drawn by category popularity.
   */
  drift(u: number, rand: Rand): void {
    if (rand() < DRIFT_SWITCH_PROB) this.userDriftTarget[u] = this.sampler().category.sample(rand);
    const d = this.dim;
    const c = this.userDriftTarget[u] * d;
    const o = u * d;
    for (let k = 0; k < d; k++) {
      const v = this.userVec[o + k];
      this.userVec[o + k] = v + DRIFT_STEP * (this.categoryCentroid[c + k] - v) + DRIFT_NOISE * gaussian(rand);
    }
    normalise(this.userVec, o, d);
  }

  /** Items grouped by category, most popular first: category c's items are items[offsets[c] .. offsets[c+1]). */
  itemsByCategory(): { offsets: Int32Array; items: Int32Array } {
    const n = this.itemCount;
    const K = this.categoryCount;
    const offsets = new Int32Array(K + 1);
    for (let i = 0; i < n; i++) offsets[this.itemCategory[i] + 1]++;
    for (let c = 0; c < K; c++) offsets[c + 1] += offsets[c];
    const fill = offsets.slice(0, K);
    const items = new Int32Array(n);
    for (let i = 0; i < n; i++) items[fill[this.itemCategory[i]]++] = i;
    for (let c = 0; c < K; c++) items.subarray(offsets[c], offsets[c + 1]).sort((a, b) => this.itemPopularity[b] - this.itemPopularity[a] || a - b);
    return { offsets, items };
  }

  private sampler(): { author: WeightedSampler; category: WeightedSampler } {
    return (this.samplers ??= { author: new WeightedSampler(this.authorWeight), category: new WeightedSampler(this.categoryWeight) });
  }

  private makeItem(i: number, rand: Rand, createdAtMs: number): void {
    const d = this.dim;
    const author = this.sampler().author.sample(rand);
    const cat = rand() < AUTHOR_MAIN_CATEGORY_PROB ? this.authorCategory[author] : this.sampler().category.sample(rand);
    this.itemAuthor[i] = author;
    this.itemCategory[i] = cat;
    for (let k = 0; k < d; k++) this.itemVec[i * d + k] = this.categoryCentroid[cat * d + k] + ITEM_SPREAD * gaussian(rand);
    normalise(this.itemVec, i * d, d);
    this.itemQuality[i] = 0.5 * gaussian(rand);
    // log-normal, median 20 s, clamped to 5–90 s
    this.itemDurationMs[i] = Math.round(Math.min(90_000, Math.max(5_000, Math.exp(Math.log(20_000) + 0.6 * gaussian(rand)))));
    this.itemCreatedAtMs[i] = createdAtMs;
  }

  private fill(): void {
    const { seed, dim: d, categories: K, authors: A, users: U, items: N, nowMs } = this.params;
    const rand = mulberry32(mixSeed(seed, 1));
    for (let c = 0; c < K; c++) {
      for (let k = 0; k < d; k++) this.categoryCentroid[c * d + k] = gaussian(rand);
      normalise(this.categoryCentroid, c * d, d);
    }
    this.categoryWeight.set(zipfWeights(K, CATEGORY_ZIPF));
    this.authorWeight.set(zipfWeights(A, AUTHOR_ZIPF));
    const catSampler = this.sampler().category;
    for (let a = 0; a < A; a++) this.authorCategory[a] = catSampler.sample(rand);
    for (let i = 0; i < N; i++) this.makeItem(i, rand, nowMs - Math.floor(rand() * 7 * DAY_MS));
    // popularity prior: Zipf over a rank that favours quality (rank by quality + noise)
    const key = new Float64Array(N);
    for (let i = 0; i < N; i++) key[i] = this.itemQuality[i] + gaussian(rand);
    const order = Int32Array.from({ length: N }, (_, i) => i).sort((a, b) => key[b] - key[a] || a - b);
    for (let r = 0; r < N; r++) this.itemPopularity[order[r]] = 1 / Math.pow(r + 1, POPULARITY_ZIPF);
    Atomics.store(this.meta, 0, N);

    const activityRank = shuffle(Int32Array.from({ length: U }, (_, i) => i), rand);
    const ageSampler = new WeightedSampler(AGE_WEIGHTS);
    const countrySampler = new WeightedSampler(zipfWeights(COUNTRIES.length, 1));
    for (let u = 0; u < U; u++) {
      const o = u * d;
      const nCats = 1 + Math.floor(rand() * USER_CATEGORY_WEIGHTS.length);
      for (let j = 0; j < 3; j++) {
        const cat = j < nCats ? catSampler.sample(rand) : -1;
        this.userCategories[u * 3 + j] = cat;
        if (cat >= 0) for (let k = 0; k < d; k++) this.userVec[o + k] += USER_CATEGORY_WEIGHTS[j] * this.categoryCentroid[cat * d + k];
      }
      for (let k = 0; k < d; k++) this.userVec[o + k] += USER_SPREAD * gaussian(rand);
      normalise(this.userVec, o, d);
      this.userActivity[u] = 1 / Math.pow(activityRank[u] + 1, USER_ACTIVITY_ZIPF);
      this.userDriftTarget[u] = catSampler.sample(rand);
      this.userCountry[u] = countrySampler.sample(rand);
      this.userAge[u] = ageSampler.sample(rand);
      this.userCreatedAtMs[u] = nowMs - Math.floor(rand() * 730 * DAY_MS);
    }
  }
}

/**
 * Creates a seeded world. Defaults: 100k items, 5k authors, 50 categories, 20k users, 16 dimensions; ~100 B per
 * item slot and ~90 B per user in shared typed arrays.
 */
export function createWorld(opts: WorldOptions): World {
  return World.generate(opts);
}

function normalise(a: Float32Array, offset: number, dim: number): void {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[offset + k] * a[offset + k];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let k = 0; k < dim; k++) a[offset + k] *= inv;
}

function parseIndex(id: string, prefix: string, count: number): number {
  if (!id.startsWith(prefix) || id.length > prefix.length + 10) return -1;
  const s = id.slice(prefix.length);
  if (!/^(0|[1-9][0-9]*)$/.test(s)) return -1;
  const n = Number(s);
  return n < count ? n : -1;
}
