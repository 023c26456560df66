/** feedloop's public API: what an embedding application or a future adapter package imports. */
export { loadConfig, DEFAULT_CONFIG } from './config/config.js';
export type { FeedloopConfig } from './config/config.js';
export { FeedloopError, ValidationError, NotFoundError, BackendUnavailableError, CorruptDataError, ConfigError } from './errors.js';
export { EVENT_TYPES, EventSchema, ItemSchema, UserSchema } from './domain/schemas.js';
export type { EventType, Item, User, WireEvent, StoredEvent } from './domain/schemas.js';
export type { EventLog, AppendRecord, LogRecord, RecordPosition, Durability } from './log/event-log.js';
export { partitionFor } from './log/partitioner.js';
export type { FeatureStore, EntityFeatures, Entity, StoreStats } from './features/feature-store.js';
export { FEATURE_DEFINITIONS } from './features/definitions.js';
export type { Ingestor, IngestResult, Rejection } from './ingest/ingestor.js';
export { openSegmentLog } from './backends/embedded/segment-log.js';
export { EmbeddedFeatureStore } from './backends/embedded/embedded-feature-store.js';
export { openEngine } from './engine/engine.js';
export type { Engine, OpenEngineOptions } from './engine/engine.js';
export { featuresAsOf } from './engine/features-as-of.js';
export { buildServer } from './server/app.js';
export { importDataset, DATASETS } from './ingest/import-dataset.js';
