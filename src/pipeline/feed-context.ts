/** What every pipeline component receives: the request, the user's features, the feature store and config. */
import type { FeedloopConfig } from '../config/config.js';
import type { EntityFeatures, FeatureStore, ScoredItem } from '../features/feature-store.js';

export interface FeedRequest {
  requestId: string;
  userId: string;
  sessionId: string | undefined;
  limit: number;
  nowMs: number;
  variant: string;
}

export interface FeedContext {
  request: FeedRequest;
  store: FeatureStore;
  /** The user's real-time features, read by the pipeline's first stage; undefined for a user never seen (cold start). */
  user?: EntityFeatures;
  config: FeedloopConfig['feed'];
  /** Hash of the effective configuration, logged with every request. */
  configVersion: string;
  /** Items never to propose in this request (e.g. the page just served, when precomputing the next one). */
  exclude?: ReadonlySet<string>;
  /**
   * An item's vector in the retrieval model's space (for diversity), when a model is loaded and the item indexed;
   * read-only, possibly a view valid until the index next changes (see `RetrievalService.itemVector`).
   */
  itemVector?: (itemId: string) => Float32Array | undefined;
}

/** A candidate after merging: every source that proposed it, with that source's score. */
export interface Candidate {
  itemId: string;
  sources: { name: string; score: number }[];
  /** The store's handle of the item when a proposing source gave it (`ScoredItem.handle`), else −1 or absent. */
  handle?: number;
}

/** A candidate with its ranking score. */
export interface ScoredCandidate extends Candidate {
  score: number;
}

export type { ScoredItem };
