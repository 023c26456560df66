/**
 * `AnnIndex` on hnswlib-node (HNSW graph, inner-product space, single-threaded native calls).
 *
 * - Ids ↔ labels: label `l` is hnswlib's key of one graph slot; `labelToId[l]` is its live id or null when free.
 *   `remove` is `markDelete` (≈ 2 µs; the node stays in the graph for routing but is never returned) and pushes
 *   the label onto a free list; the next new id takes a free label and `addPoint(v, label)` rewrites that slot
 *   in place (hnswlib unmarks it and relinks it as an update), so deletions do not grow the index.
 * - Replacing an id's vector is the same in-place update of its slot.
 * - Capacity doubles (`resizeIndex`) when a new slot is needed and the index is full; pass `capacity` to avoid the
 *   copy on the request path.
 * - `search` clamps k to `size`; hnswlib searches with a beam of max(ef, k). Scores are 1 − hnswlib's `ip`
 *   distance, i.e. the inner product in float32.
 * - Snapshot: hnswlib's `writeIndex` file (`graph-<gen>.hnsw`, written synchronously: a native write must not race
 *   an insert) + `manifest.json` with the parameters and the label → id table, renamed into place last.
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW, SearchResult } from 'hnswlib-node';
import { CorruptDataError } from '../../errors.js';
import type { AnnIndex, AnnResult, AnnSearchOptions } from './ann-index.js';
import { checkK, checkVector, commitManifest, fsyncFile, newGeneration, readManifest } from './ann-index.js';

export interface HnswOptions {
  dim: number;
  /** Initial number of slots (grows by doubling). Default 1024. */
  capacity?: number;
  /** Graph degree (links per node per layer; 2·M on layer 0). Default 16. */
  M?: number;
  /** Beam width while inserting: build quality vs insert time. Default 200. */
  efConstruction?: number;
  /** Default search beam; per call via `search(…, { ef })`. Default 256. */
  efSearch?: number;
  /** Seed of hnswlib's level generator: the same seed and insert order build the same graph. Default 100. */
  seed?: number;
}

interface HnswManifest {
  kind: 'hnsw';
  version: 1;
  dim: number;
  M: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
  graphFile: string;
  /** Id per label; null = free label (a removed item's slot). */
  labels: (string | null)[];
}

const GRAPH_PREFIX = 'graph-';

/** Opens an empty HNSW index. */
export function openHnswIndex(opts: HnswOptions): HnswIndex {
  const params = {
    dim: opts.dim,
    M: opts.M ?? 16,
    efConstruction: opts.efConstruction ?? 200,
    efSearch: opts.efSearch ?? 256,
    seed: opts.seed ?? 100,
  };
  if (!Number.isInteger(params.dim) || params.dim <= 0) throw new RangeError(`dim must be a positive integer, got ${params.dim}`);
  const graph = new hnswlib.HierarchicalNSW('ip', params.dim);
  graph.initIndex({ maxElements: Math.max(16, opts.capacity ?? 1024), m: params.M, efConstruction: params.efConstruction, randomSeed: params.seed });
  return new HnswIndex(graph, params, []);
}

export class HnswIndex implements AnnIndex {
  readonly name = 'hnsw';
  readonly dim: number;
  readonly M: number;
  readonly efConstruction: number;
  readonly efSearch: number;
  readonly seed: number;
  private graph: HierarchicalNSW | undefined;
  private readonly labelToId: (string | null)[];
  private readonly labelOf = new Map<string, number>();
  private readonly free: number[] = [];
  /** Reused number[] for the native calls (they take arrays, not typed arrays). */
  private readonly scratch: number[];

  /** Use `openHnswIndex` or `HnswIndex.load`. */
  constructor(graph: HierarchicalNSW, params: Omit<HnswManifest, 'kind' | 'version' | 'graphFile' | 'labels'>, labels: (string | null)[]) {
    this.graph = graph;
    this.dim = params.dim;
    this.M = params.M;
    this.efConstruction = params.efConstruction;
    this.efSearch = params.efSearch;
    this.seed = params.seed;
    this.labelToId = labels;
    for (let l = labels.length - 1; l >= 0; l--) {
      const id = labels[l];
      if (id === null) this.free.push(l);
      else this.labelOf.set(id, l);
    }
    this.scratch = new Array<number>(this.dim).fill(0);
    graph.setEf(this.efSearch);
  }

  /** Loads a snapshot written by `save`. */
  static async load(dir: string): Promise<HnswIndex> {
    const m = await readManifest<HnswManifest>(dir, 'hnsw');
    const path = join(dir, m.graphFile);
    if (!existsSync(path)) throw new CorruptDataError(`snapshot in ${dir} lacks ${m.graphFile}`);
    const graph = new hnswlib.HierarchicalNSW('ip', m.dim);
    try {
      await graph.readIndex(path);
    } catch (err) {
      throw new CorruptDataError(`cannot read ${path}`, { cause: err });
    }
    if (graph.getCurrentCount() !== m.labels.length || graph.getNumDimensions() !== m.dim) {
      throw new CorruptDataError(`${path} holds ${graph.getCurrentCount()} × ${graph.getNumDimensions()}, manifest ${m.labels.length} × ${m.dim}`);
    }
    return new HnswIndex(graph, m, m.labels);
  }

  get size(): number {
    return this.labelOf.size;
  }

  /** Slots allocated in the graph (live + free). */
  get capacity(): number {
    return this.g().getMaxElements();
  }

  upsert(id: string, vector: Float32Array): void {
    const g = this.g();
    checkVector(vector, this.dim, 'vector');
    let label = this.labelOf.get(id);
    const liveAfter = this.labelOf.size + (label === undefined ? 1 : 0);
    if (liveAfter === 1 && this.labelToId.length > 1) {
      // hnswlib relinks a rewritten slot through its live neighbours; with no other live node it would leave the
      // slot unreachable from the entry point. Only deleted nodes remain, so start a fresh graph instead.
      this.graph = this.emptyGraph(g.getMaxElements());
      this.labelOf.clear();
      this.labelToId.length = 0;
      this.free.length = 0;
      this.upsert(id, vector);
      return;
    }
    if (label === undefined) {
      label = this.free.pop();
      if (label === undefined) {
        label = this.labelToId.length;
        const max = g.getMaxElements();
        if (label >= max) g.resizeIndex(max * 2);
      }
    }
    g.addPoint(this.toArray(vector), label);
    this.labelToId[label] = id;
    this.labelOf.set(id, label);
  }

  remove(id: string): boolean {
    const g = this.g();
    const label = this.labelOf.get(id);
    if (label === undefined) return false;
    g.markDelete(label);
    this.labelOf.delete(id);
    this.labelToId[label] = null;
    this.free.push(label);
    return true;
  }

  has(id: string): boolean {
    this.g();
    return this.labelOf.has(id);
  }

  vector(id: string): Float32Array | undefined {
    const g = this.g();
    const label = this.labelOf.get(id);
    return label === undefined ? undefined : Float32Array.from(g.getPoint(label));
  }

  search(query: Float32Array, k: number, opts: AnnSearchOptions = {}): AnnResult {
    const g = this.g();
    checkVector(query, this.dim, 'query');
    checkK(k);
    const n = Math.min(k, this.labelOf.size);
    if (n === 0) return { ids: [], scores: new Float32Array(0) };
    const ef = opts.ef ?? this.efSearch;
    if (ef !== this.efSearch) g.setEf(ef);
    let res: SearchResult;
    try {
      const { filter } = opts;
      const labels = this.labelToId;
      res = filter ? g.searchKnn(this.toArray(query), n, (label) => {
              const id = labels[label];
              return id != null && filter(id);
            }) : g.searchKnn(this.toArray(query), n);
    } finally {
      if (ef !== this.efSearch) g.setEf(this.efSearch);
    }
    const m = res.neighbors.length;
    const ids = new Array<string>(m);
    const scores = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      ids[i] = this.labelToId[res.neighbors[i]]!;
      scores[i] = 1 - res.distances[i];
    }
    return { ids, scores };
  }

  async save(dir: string): Promise<void> {
    const g = this.g();
    await mkdir(dir, { recursive: true });
    const graphFile = `${GRAPH_PREFIX}${newGeneration()}.hnsw`;
    const path = join(dir, graphFile);
    // The sync write keeps the graph and the label table of one instant (no insert can interleave).
    g.writeIndexSync(path);
    const manifest: HnswManifest = {
      kind: 'hnsw',
      version: 1,
      dim: this.dim,
      M: this.M,
      efConstruction: this.efConstruction,
      efSearch: this.efSearch,
      seed: this.seed,
      graphFile,
      labels: [...this.labelToId],
    };
    await fsyncFile(path);
    await commitManifest(dir, manifest, GRAPH_PREFIX, [graphFile]);
  }

  close(): void {
    // hnswlib-node frees the native index when the wrapper is garbage-collected; drop every reference to it.
    this.graph = undefined;
    this.labelOf.clear();
    this.labelToId.length = 0;
    this.free.length = 0;
  }

  private emptyGraph(capacity: number): HierarchicalNSW {
    const graph = new hnswlib.HierarchicalNSW('ip', this.dim);
    graph.initIndex({ maxElements: capacity, m: this.M, efConstruction: this.efConstruction, randomSeed: this.seed });
    graph.setEf(this.efSearch);
    return graph;
  }

  private g(): HierarchicalNSW {
    if (!this.graph) throw new Error('hnsw index is closed');
    return this.graph;
  }

  private toArray(v: Float32Array): number[] {
    const a = this.scratch;
    for (let i = 0; i < this.dim; i++) a[i] = v[i];
    return a;
  }
}
