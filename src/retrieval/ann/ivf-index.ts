/**
 * IVF-Flat `AnnIndex`: a coarse quantiser (spherical k-means centroids, inner product) splits the vectors into
 * `lists` inverted lists; a search scores every centroid, then scans the best `nprobe` lists exactly.
 *
 * - Storage: per list one growable Float32Array slab (row-major, `dim` floats a row) with an Int32Array of labels;
 *   label → (list, row) in two Int32Arrays, label ↔ id through a Map and an array, freed labels reused. `remove`
 *   moves the list's last row into the hole (the scan stays dense); replacing a vector is remove + insert.
 * - Untrained (fewer vectors than `trainAt`, or never trained): one list without a centroid, every search scans it
 *   all — the index behaves exactly like brute force. `train()` (or the first `upsert` that reaches `trainAt`)
 *   runs k-means on a sample of `trainSample` live vectors and reassigns every vector to its best centroid;
 *   afterwards each `upsert` assigns to the best centroid (lists × dim multiply-adds). Training a large index is
 *   not request-path work: build, `train()` off the request path, then `save` + load (or set `trainAt` high
 *   enough that it happens at bulk load).
 * - `search(…, { ef })`: `ef` is the number of lists probed for this call (default `nprobe`), clamped to the
 *   number of lists; `ef ≥ lists` is an exact search. Scores are float32 inner products (float64 sums, rounded),
 *   top-k by a bounded min-heap; the filter is asked only about items that would enter it.
 * - Snapshot: `manifest.json` (parameters, ids in storage order, list sizes) + one raw little-endian float32 file
 *   (centroids, then the lists' rows in order), manifest renamed into place last. A loaded index keeps the list
 *   and row order, so its searches give the same results.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptDataError } from '../../errors.js';
import { mulberry32 } from '../../util/prng.js';
import { dot, nearestCentroid, sphericalKMeans } from './ivf-kmeans.js';
import { siftDown, siftUp } from '../../util/top-k-heap.js';
import type { AnnIndex, AnnResult, AnnSearchOptions } from './ann-index.js';
import { writeFileAtomic } from '../../util/file-io.js';
import { checkK, checkVector, commitManifest, newGeneration, readManifest } from './ann-index.js';
import { DATA_PREFIX, doubled, ivfParams, newList, type IvfManifest, type IvfOptions, type IvfParams, type List } from './ivf-params.js';

export type { IvfOptions } from './ivf-params.js';

/** Opens an empty IVF-Flat index. */
export function openIvfIndex(opts: IvfOptions): IvfIndex {
  return new IvfIndex(ivfParams(opts), opts.capacity ?? 1024);
}

export class IvfIndex implements AnnIndex {
  readonly name = 'ivf';
  readonly dim: number;
  readonly lists: number;
  readonly nprobe: number;
  readonly trainSample: number;
  readonly trainAt: number;
  readonly iterations: number;
  readonly seed: number;
  /** `nCentroids × dim`, unit rows; empty while untrained. */
  private centroids = new Float32Array(0);
  private nCentroids = 0;
  private invLists: List[];
  private idOf: string[] = [];
  private readonly labelOf = new Map<string, number>();
  private listOf: Int32Array;
  /** The caller's handle per label (−1: none), returned by `search`. */
  private handleOf: Int32Array;
  private rowOf: Int32Array;
  private readonly free: number[] = [];
  private closed = false;

  /** Use `openIvfIndex` or `IvfIndex.load`. */
  constructor(params: IvfParams, capacity: number) {
    this.dim = params.dim;
    this.lists = params.lists;
    this.nprobe = params.nprobe;
    this.trainSample = params.trainSample;
    this.trainAt = params.trainAt;
    this.iterations = params.iterations;
    this.seed = params.seed;
    const cap = Math.max(16, capacity);
    this.invLists = [newList(cap, this.dim)];
    this.listOf = new Int32Array(cap);
    this.rowOf = new Int32Array(cap);
    this.handleOf = new Int32Array(cap).fill(-1);
  }

  /**
   * Loads a snapshot written by `save`. Handles are not part of a snapshot: `resolve(id, at)` (`at`: the id's
   * position in `storedIds()` order) gives each stored id's handle, and may give the caller's own string for the id
   * (e.g. the feature store's, so lookups by those ids compare string identity, not characters); without it the ids
   * are the manifest's and have no handle.
   */
  static async load(dir: string, resolve?: (id: string, at: number) => { id: string; handle: number }): Promise<IvfIndex> {
    const m = await readManifest<IvfManifest>(dir, 'ivf');
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, m.dataFile));
    } catch (err) {
      throw new CorruptDataError(`snapshot in ${dir} lacks ${m.dataFile}`, { cause: err });
    }
    const total = m.listSizes.reduce((s, x) => s + x, 0);
    const floats = (m.centroids + total) * m.dim;
    if (total !== m.ids.length || bytes.byteLength !== floats * 4 || m.listSizes.length !== (m.trained ? m.centroids : 1)) {
      throw new CorruptDataError(`${m.dataFile} does not match its manifest`);
    }
    const data = new Float32Array(floats);
    new Uint8Array(data.buffer).set(bytes);
    const index = new IvfIndex({ ...m, trainAt: m.trainAt ?? Infinity }, total);
    const dim = m.dim;
    if (m.trained) {
      index.centroids = data.slice(0, m.centroids * dim);
      index.nCentroids = m.centroids;
    }
    index.invLists = m.listSizes.map((len) => newList(Math.ceil(len * 1.25) + 16, dim));
    let off = m.centroids * dim;
    let label = 0;
    m.listSizes.forEach((len, li) => {
      const list = index.invLists[li];
      list.vecs.set(data.subarray(off, off + len * dim));
      off += len * dim;
      for (let r = 0; r < len; r++, label++) {
        const found = resolve?.(m.ids[label], label);
        const id = found ? found.id : m.ids[label];
        if (found) index.handleOf[label] = found.handle;
        list.labels[r] = label;
        index.idOf.push(id);
        index.labelOf.set(id, label);
        index.listOf[label] = li;
        index.rowOf[label] = r;
      }
      list.len = len;
    });
    return index;
  }

  get size(): number {
    return this.labelOf.size;
  }

  get trained(): boolean {
    return this.nCentroids > 0;
  }

  upsert(id: string, vector: Float32Array, handle = -1): void {
    this.open();
    checkVector(vector, this.dim, 'vector');
    let label = this.labelOf.get(id);
    if (label === undefined) {
      label = this.free.pop() ?? this.idOf.length;
      if (label === this.idOf.length) {
        this.idOf.push(id);
        if (label >= this.listOf.length) {
          this.listOf = doubled(this.listOf);
          this.rowOf = doubled(this.rowOf);
          this.handleOf = doubled(this.handleOf, -1);
        }
      } else {
        this.idOf[label] = id;
      }
      this.labelOf.set(id, label);
    } else {
      this.detach(label);
    }
    this.handleOf[label] = handle;
    this.append(this.nCentroids ? this.bestCentroid(vector, 0) : 0, label, vector, 0);
    if (!this.trained && this.size >= this.trainAt && this.size >= this.lists) this.train();
  }

  remove(id: string): boolean {
    this.open();
    const label = this.labelOf.get(id);
    if (label === undefined) return false;
    this.detach(label);
    this.labelOf.delete(id);
    this.idOf[label] = '';
    this.handleOf[label] = -1;
    this.free.push(label);
    return true;
  }

  has(id: string): boolean {
    this.open();
    return this.labelOf.has(id);
  }

  /** The live ids in storage order (list by list): the order `save` writes them in and `load` numbers them by. */
  storedIds(): string[] {
    this.open();
    return Array.from(this.storageOrder(), (label) => this.idOf[label]);
  }

  vector(id: string): Float32Array | undefined {
    return this.vectorView(id)?.slice();
  }

  vectorView(id: string): Float32Array | undefined {
    this.open();
    const label = this.labelOf.get(id);
    if (label === undefined) return undefined;
    const off = this.rowOf[label] * this.dim;
    return this.invLists[this.listOf[label]].vecs.subarray(off, off + this.dim);
  }

  /**
   * Runs spherical k-means on a sample of the live vectors and reassigns every vector to its best centroid
   * (re-training replaces the centroids). Needs at least `lists` live vectors; O(sample · lists · dim · iterations
   * + size · lists · dim): off the request path.
   */
  train(): void {
    this.open();
    const n = this.size;
    const k = this.lists;
    if (n < k) throw new RangeError(`training needs at least lists = ${k} vectors, the index has ${n}`);
    const dim = this.dim;
    const rand = mulberry32(this.seed);
    // all live rows as (list, row) in storage order, then a uniform sample of them (partial Fisher–Yates)
    const all = this.storageOrder();
    const m = Math.min(n, this.trainSample);
    for (let i = 0; i < m; i++) {
      const j = i + Math.floor(rand() * (n - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    const sample = new Float32Array(m * dim);
    for (let i = 0; i < m; i++) {
      const label = all[i];
      const off = this.rowOf[label] * dim;
      sample.set(this.invLists[this.listOf[label]].vecs.subarray(off, off + dim), i * dim);
    }
    this.centroids = sphericalKMeans(sample, m, k, dim, this.iterations, rand);
    this.nCentroids = k;
    // reassign everything into fresh lists
    const old = this.invLists;
    const target = new Int32Array(all.length);
    const counts = new Int32Array(k);
    for (let i = 0; i < all.length; i++) {
      const label = all[i];
      const c = this.bestCentroid(old[this.listOf[label]].vecs, this.rowOf[label] * dim);
      target[i] = c;
      counts[c]++;
    }
    this.invLists = Array.from(counts, (cnt) => newList(Math.ceil(cnt * 1.25) + 16, dim));
    // storage order of the old lists keeps the new lists' row order independent of the sample shuffle
    const ordered = this.storageOrder(old);
    const where = new Int32Array(this.listOf.length);
    for (let i = 0; i < all.length; i++) where[all[i]] = target[i];
    for (const label of ordered) {
      this.append(where[label], label, old[this.listOf[label]].vecs, this.rowOf[label] * dim);
    }
  }

  search(query: Float32Array, k: number, opts: AnnSearchOptions = {}): AnnResult {
    this.open();
    checkVector(query, this.dim, 'query');
    checkK(k);
    const cap = Math.min(k, this.size);
    if (cap === 0) return { ids: [], scores: new Float32Array(0) };
    const dim = this.dim;
    const { filter } = opts;
    // lists to scan
    let probe: Int32Array;
    const nLists = this.invLists.length;
    const want = Math.min(nLists, Math.max(1, Math.floor(opts.ef ?? this.nprobe)));
    if (!this.nCentroids || want >= nLists) {
      probe = Int32Array.from({ length: nLists }, (_, i) => i);
    } else {
      const cs = new Float32Array(want);
      const cl = new Int32Array(want);
      let size = 0;
      const cents = this.centroids;
      for (let c = 0, off = 0; c < nLists; c++, off += dim) {
        const s = dot(cents, off, query, dim);
        if (size < want) siftUp(cs, cl, size++, s, c);
        else if (s > cs[0]) siftDown(cs, cl, size, s, c);
      }
      probe = cl;
    }
    const heapScores = new Float32Array(cap);
    const heapLabels = new Int32Array(cap);
    let size = 0;
    for (let p = 0; p < probe.length; p++) {
      const list = this.invLists[probe[p]];
      const { vecs, labels, len } = list;
      for (let r = 0, off = 0; r < len; r++, off += dim) {
        let s = 0;
        let j = 0;
        for (; j + 3 < dim; j += 4) {
          s += vecs[off + j] * query[j] + vecs[off + j + 1] * query[j + 1] + vecs[off + j + 2] * query[j + 2] + vecs[off + j + 3] * query[j + 3];
        }
        for (; j < dim; j++) s += vecs[off + j] * query[j];
        s = Math.fround(s);
        if (size === cap && s <= heapScores[0]) continue;
        const label = labels[r];
        if (filter && !filter(this.idOf[label])) continue;
        if (size < cap) siftUp(heapScores, heapLabels, size++, s, label);
        else siftDown(heapScores, heapLabels, size, s, label);
      }
    }
    const ids = new Array<string>(size);
    const handles = new Int32Array(size);
    const scores = new Float32Array(size);
    for (let i = size - 1; i >= 0; i--) {
      ids[i] = this.idOf[heapLabels[0]];
      handles[i] = this.handleOf[heapLabels[0]];
      scores[i] = heapScores[0];
      if (i > 0) siftDown(heapScores, heapLabels, i, heapScores[i], heapLabels[i]);
    }
    return { ids, scores, handles };
  }

  async save(dir: string): Promise<void> {
    this.open();
    await mkdir(dir, { recursive: true });
    const dim = this.dim;
    const total = this.size;
    const data = new Float32Array((this.nCentroids + total) * dim);
    data.set(this.centroids.subarray(0, this.nCentroids * dim));
    let off = this.nCentroids * dim;
    const ids = this.storedIds();
    for (const list of this.invLists) {
      data.set(list.vecs.subarray(0, list.len * dim), off);
      off += list.len * dim;
    }
    const dataFile = `${DATA_PREFIX}${newGeneration()}.f32`;
    await writeFileAtomic(join(dir, dataFile), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const manifest: IvfManifest = {
      kind: 'ivf',
      version: 1,
      dim,
      lists: this.lists,
      nprobe: this.nprobe,
      trainSample: this.trainSample,
      trainAt: Number.isFinite(this.trainAt) ? this.trainAt : null,
      iterations: this.iterations,
      seed: this.seed,
      trained: this.trained,
      centroids: this.nCentroids,
      listSizes: this.invLists.map((l) => l.len),
      ids,
      dataFile,
    };
    await commitManifest(dir, manifest, DATA_PREFIX, [dataFile]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.invLists = [];
    this.centroids = new Float32Array(0);
    this.idOf = [];
    this.labelOf.clear();
    this.listOf = new Int32Array(0);
    this.rowOf = new Int32Array(0);
    this.handleOf = new Int32Array(0);
  }

  private open(): void {
    if (this.closed) throw new Error('ivf index is closed');
  }

  /** Live labels in storage order (list by list, row by row). */
  private storageOrder(lists: List[] = this.invLists): Int32Array {
    const out = new Int32Array(this.size);
    let i = 0;
    for (const list of lists) for (let r = 0; r < list.len; r++) out[i++] = list.labels[r];
    return out;
  }

  /** Index of the centroid with the largest inner product with `v[off … off + dim)`. */
  private bestCentroid(v: Float32Array, off: number): number {
    return nearestCentroid(this.centroids, this.nCentroids, this.dim, v, off);
  }

  /** Appends `label` with the vector `src[off … off + dim)` to list `li`, growing its slab when full. */
  private append(li: number, label: number, src: Float32Array, off: number): void {
    const dim = this.dim;
    const list = this.invLists[li];
    if (list.len === list.labels.length) {
      list.vecs = doubled(list.vecs);
      list.labels = doubled(list.labels);
    }
    const r = list.len++;
    list.vecs.set(src.subarray(off, off + dim), r * dim);
    list.labels[r] = label;
    this.listOf[label] = li;
    this.rowOf[label] = r;
  }

  /** Takes `label`'s row out of its list (the list's last row moves into the hole). */
  private detach(label: number): void {
    const dim = this.dim;
    const list = this.invLists[this.listOf[label]];
    const r = this.rowOf[label];
    const last = --list.len;
    if (r !== last) {
      list.vecs.copyWithin(r * dim, last * dim, (last + 1) * dim);
      const moved = list.labels[last];
      list.labels[r] = moved;
      this.rowOf[moved] = r;
    }
  }
}

