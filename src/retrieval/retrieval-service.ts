/**
 * Learned retrieval at serving time: the current `RetrievalModel` and an `AnnIndex` over its item vectors.
 *
 * - `load(model)` builds a new index in the background (in small time slices, so requests keep being served) and
 *   swaps model and index together when it is complete; until then the previous pair (or none) serves.
 * - New items are embedded from their side features and inserted as they are upserted; deleted items are removed.
 * - `candidates` runs the user tower on the user's recent items (real time) and searches the index.
 */
import type { FeatureStore } from '../features/feature-store.js';
import type { LogEntry } from '../log/log-entry.js';
import type { AnnIndex } from './ann/ann-index.js';
import type { RetrievalModel } from './retrieval-model.js';
import type { ScoredItem } from '../pipeline/feed-context.js';

export interface RetrievalServiceOptions {
  /** Creates an empty index of the given dimension with room for about `capacity` items. */
  createIndex(dim: number, capacity: number): AnnIndex;
  /** Longest slice of index building between yields to the event loop, ms. */
  buildSliceMs?: number;
  log?: (line: string) => void;
}

export class RetrievalService {
  private current: { model: RetrievalModel; index: AnnIndex } | undefined;
  private building: Promise<void> | undefined;
  private pending: LogEntry[] = [];

  constructor(
    private readonly store: FeatureStore,
    private readonly opts: RetrievalServiceOptions,
  ) {}

  get ready(): boolean {
    return this.current !== undefined;
  }

  get modelVersion(): string | undefined {
    return this.current?.model.version;
  }

  get indexSize(): number {
    return this.current?.index.size ?? 0;
  }

  /** Starts building an index for `model`; resolves when the new pair serves. A build in progress is awaited first. */
  async load(model: RetrievalModel): Promise<void> {
    while (this.building) await this.building;
    this.building = this.build(model).finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  /** Keeps the index in step with the catalog: called with every batch the stream processor applies. */
  onEntries(entries: readonly LogEntry[]): void {
    if (this.building) {
      for (const e of entries) if (e.kind === 'item' || e.kind === 'item_delete') this.pending.push(e);
    }
    if (this.current) for (const e of entries) this.applyEntry(this.current, e);
  }

  /** Candidates for a user from their recent items; [] when no model is loaded. */
  candidates(userId: string, recentItemIds: readonly string[], k: number): ScoredItem[] {
    const cur = this.current;
    if (!cur) return [];
    const q = cur.model.userVector(userId, recentItemIds);
    const { ids, scores } = cur.index.search(q, k);
    return ids.map((itemId, i) => ({ itemId, score: scores[i] }));
  }

  /** Items nearest to `itemId` in the item-tower space (the item itself excluded); undefined without a model. */
  similar(itemId: string, k: number): ScoredItem[] | undefined {
    const cur = this.current;
    if (!cur) return undefined;
    const v = cur.index.vector(itemId);
    if (!v) return [];
    const { ids, scores } = cur.index.search(v, k + 1);
    return ids.flatMap((id, i) => (id === itemId ? [] : [{ itemId: id, score: scores[i] }])).slice(0, k);
  }

  async close(): Promise<void> {
    while (this.building) await this.building;
    this.current?.index.close();
  }

  private async build(model: RetrievalModel): Promise<void> {
    const t0 = performance.now();
    const index = this.opts.createIndex(model.dim, Math.ceil(this.store.itemIds().length * 1.25) + 1024);
    const slice = this.opts.buildSliceMs ?? 5;
    let sliceStart = performance.now();
    const maybeYield = async () => {
      if (performance.now() - sliceStart < slice) return;
      await new Promise((r) => setImmediate(r));
      sliceStart = performance.now();
    };
    const trained = new Set<string>();
    for (const { itemId, vector } of model.trainedItems()) {
      index.upsert(itemId, vector);
      trained.add(itemId);
      await maybeYield();
    }
    // one pass over the catalog: drop deleted items, embed items the model has not seen from their side features
    const all = this.store.itemIds();
    for (let i = 0; i < all.length; i += 256) {
      const ids = all.slice(i, i + 256);
      const attrs = this.store.itemBatch(ids);
      ids.forEach((id, j) => {
        if (attrs.deleted[j]) {
          if (index.has(id)) index.remove(id);
        } else if (!trained.has(id) && attrs.known[j]) {
          index.upsert(id, model.itemVector(id, { authorId: attrs.authorIds[j], category: attrs.categories[j] }));
        }
      });
      await maybeYield();
    }
    const next = { model, index };
    for (const e of this.pending.splice(0)) this.applyEntry(next, e);
    const old = this.current;
    this.current = next;
    old?.index.close();
    this.opts.log?.(`retrieval: model ${model.version} serving, ${index.size} items indexed in ${Math.round(performance.now() - t0)} ms`);
  }

  private applyEntry(cur: { model: RetrievalModel; index: AnnIndex }, e: LogEntry): void {
    if (e.kind === 'item') {
      const { id, author_id, category, tags } = e.item;
      cur.index.upsert(id, cur.model.itemVector(id, { authorId: author_id, category, tags }));
    } else if (e.kind === 'item_delete') {
      if (cur.index.has(e.itemId)) cur.index.remove(e.itemId);
    }
  }
}
