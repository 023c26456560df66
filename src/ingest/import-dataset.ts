/**
 * Imports a bundled public dataset through an `Ingestor`: the loaders in `./datasets/` turn the files into raw wire
 * records, and this feeds them through `upsertItems` / `upsertUsers` / `ingestEvents` (the same validation and
 * de-duplication path as HTTP), summing what was accepted, de-duplicated and rejected.
 */
import { ValidationError } from '../errors.js';
import type { IngestResult, Ingestor } from './ingestor.js';
import type { DatasetLoader, DatasetLoaderOptions, RecordKind } from './datasets/dataset-source.js';
import { kuairecSplit } from './datasets/kuairec-split.js';
import { movielens100k } from './datasets/movielens-100k.js';
import { movielens1mSplit } from './datasets/movielens-1m-split.js';

/** Names accepted by {@link importDataset}. */
export const DATASETS = ['movielens-100k', 'movielens-1m-split', 'kuairec-split'] as const;
export type DatasetName = (typeof DATASETS)[number];

const LOADERS: Record<DatasetName, (opts: DatasetLoaderOptions) => DatasetLoader> = {
  'movielens-100k': movielens100k,
  'movielens-1m-split': movielens1mSplit,
  'kuairec-split': kuairecSplit,
};

/** Progress of one phase; `total` comes from the loader's scan (never below `done`). */
export interface ImportProgress {
  phase: RecordKind;
  done: number;
  total: number;
}

/** Outcome counts of one record kind. */
export interface KindSummary {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** One rejected record; `index` counts records of that kind from 0 over the whole import. */
export interface ImportRejection {
  kind: RecordKind;
  index: number;
  code: string;
  field: string;
  message: string;
}

/** What {@link importDataset} did. */
export interface ImportSummary {
  dataset: DatasetName;
  items: KindSummary;
  users: KindSummary;
  events: KindSummary;
  elapsedMs: number;
  /** The first few rejections (at most `maxRejectionsKept`), for a human to see what went wrong. */
  firstRejections: ImportRejection[];
}

/** Options of {@link importDataset}. */
export interface ImportOptions {
  /** One of {@link DATASETS}. */
  dataset: string;
  /** Folder holding the dataset folders (the caller resolves the default `../shared/datasets`). */
  datasetsDir: string;
  /** For the split datasets: also import the validation interactions (default: train only). */
  includeValid?: boolean;
  /** Called after each batch. */
  onProgress?: (p: ImportProgress) => void;
  /** How many rejections to keep in the summary (default 10). */
  maxRejectionsKept?: number;
}

/** Returns the loader for a dataset name, or throws a `ValidationError` (field `dataset`) listing the valid names. */
export function createDatasetLoader(dataset: string, opts: DatasetLoaderOptions): DatasetLoader {
  if (!(DATASETS as readonly string[]).includes(dataset)) {
    throw new ValidationError(`unknown dataset "${dataset}"; expected one of: ${DATASETS.join(', ')}`, 'dataset');
  }
  return LOADERS[dataset as DatasetName](opts);
}

/**
 * Streams a dataset into `ingestor`: all items, then users, then events, in batches of at most 1000, awaiting each
 * batch (so a backend failure stops the import; re-running is safe since event ids are deterministic and upserts
 * replace). Rejects with a `ValidationError` for an unknown dataset or a missing/malformed file, before anything is
 * written when files are missing.
 */
export async function importDataset(ingestor: Ingestor, opts: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const loader = createDatasetLoader(opts.dataset, { datasetsDir: opts.datasetsDir, includeValid: opts.includeValid });
  const totals = await loader.totals();
  const maxKept = opts.maxRejectionsKept ?? 10;
  const sums: Record<RecordKind, KindSummary> = {
    items: { accepted: 0, duplicates: 0, rejected: 0 },
    users: { accepted: 0, duplicates: 0, rejected: 0 },
    events: { accepted: 0, duplicates: 0, rejected: 0 },
  };
  const done: Record<RecordKind, number> = { items: 0, users: 0, events: 0 };
  const firstRejections: ImportRejection[] = [];

  for await (const { kind, records } of loader.batches()) {
    const result = await send(ingestor, kind, records);
    const sum = sums[kind];
    sum.accepted += result.accepted;
    sum.duplicates += result.duplicates;
    sum.rejected += result.rejected.length;
    for (const r of result.rejected) {
      if (firstRejections.length >= maxKept) break;
      firstRejections.push({ kind, index: done[kind] + r.index, code: r.code, field: r.field, message: r.message });
    }
    done[kind] += records.length;
    opts.onProgress?.({ phase: kind, done: done[kind], total: Math.max(totals[kind], done[kind]) });
  }

  return {
    dataset: loader.name as DatasetName,
    items: sums.items,
    users: sums.users,
    events: sums.events,
    elapsedMs: Math.round(performance.now() - started),
    firstRejections,
  };
}

function send(ingestor: Ingestor, kind: RecordKind, records: readonly unknown[]): Promise<IngestResult> {
  switch (kind) {
    case 'items':
      return ingestor.upsertItems(records);
    case 'users':
      return ingestor.upsertUsers(records);
    case 'events':
      return ingestor.ingestEvents(records);
  }
}
