/**
 * The experiments, persisted as one JSON file per experiment in `<data dir>/experiments/<id>.json` (atomic, durable
 * writes). That directory is also the way to declare experiments in configuration: drop a file with the same shape
 * as a `POST /v1/experiments` body there and (re)start; at start every `*.json` file is validated (a bad one stops
 * the start with a ConfigError naming the file and the field), missing defaults (salt, buckets, created_at) are
 * filled in and the file is rewritten in its complete form — so a restart restores every experiment exactly,
 * bucket ranges included, and assignments never move.
 *
 * Admission rules (creation and start): bucket ranges of the non-stopped experiments of a layer are disjoint
 * (allocated first-fit); a parameter may be overridden by experiments of one layer only (otherwise a user in two
 * experiments would get two values for it).
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FeedloopError, NotFoundError, ValidationError } from '../errors.js';
import { writeFileAtomic } from '../util/file-io.js';
import { allocateBuckets, Assigner } from './assignment.js';
import { ExperimentExistsError, overriddenParameters, parseExperiment, EXPERIMENT_STATUSES, BUCKETS, type Experiment, type ExperimentStatus } from './experiment.js';

export interface ExperimentStoreOptions {
  /** Directory of the experiment files (created if missing). */
  dir: string;
  /** Feed variants an arm may name (keys of feedPipelines). */
  variants: readonly string[];
  /** Clock for `created_at` (tests). */
  nowMs?: () => number;
}

type Parsed = ReturnType<typeof parseExperiment>;

export class ExperimentStore {
  private readonly byId = new Map<string, Experiment>();
  private current: Assigner = new Assigner([]);
  private readonly listeners: ((experiments: readonly Experiment[]) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: ExperimentStoreOptions) {}

  /** Loads (and completes) every experiment file of `opts.dir`. */
  static async open(opts: ExperimentStoreOptions): Promise<ExperimentStore> {
    const s = new ExperimentStore(opts);
    await mkdir(opts.dir, { recursive: true });
    const files = (await readdir(opts.dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
    const parsed: { file: string; e: Parsed; raw: string }[] = [];
    for (const file of files) {
      const raw = await readFile(join(opts.dir, file), 'utf8');
      try {
        const e = parseExperiment(JSON.parse(raw), opts.variants);
        if (file !== `${e.id}.json`) throw new ValidationError(`id: the file of experiment ${e.id} must be named ${e.id}.json`, 'id');
        parsed.push({ file, e, raw });
      } catch (err) {
        const field = err instanceof FeedloopError ? err.field : undefined;
        throw new ConfigError(`experiments/${file}: ${(err as Error).message}`, field ? `experiments/${file}#${field}` : `experiments/${file}`);
      }
    }
    // files with stored buckets first (they keep them), then the new ones in creation-time and name order
    parsed.sort((a, b) => Number(!a.e.buckets) - Number(!b.e.buckets) || (a.e.created_at ?? 0) - (b.e.created_at ?? 0));
    for (const { file, e, raw } of parsed) {
      try {
        const full = s.admit({ ...e, created_at: e.created_at ?? (opts.nowMs ?? Date.now)() });
        s.byId.set(full.id, full);
        const text = toFile(full);
        if (text !== raw) await writeFileAtomic(join(opts.dir, file), text);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        throw new ConfigError(`experiments/${file}: ${err.message}`, `experiments/${file}#${err.field ?? ''}`);
      }
    }
    s.rebuild();
    return s;
  }

  /** Every experiment, in creation order. */
  list(): Experiment[] {
    return [...this.byId.values()].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  }

  get(id: string): Experiment | undefined {
    return this.byId.get(id);
  }

  /** The assigner over the running experiments (replaced, not mutated, on every change). */
  get assigner(): Assigner {
    return this.current;
  }

  /** Called after every change with the full list (e.g. to rebuild serving profiles). */
  onChange(fn: (experiments: readonly Experiment[]) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Validates, admits and persists a new experiment; resolves once its file is durable.
   * Throws ValidationError (bad input, layer full, parameter owned by another layer) or ExperimentExistsError.
   */
  create(input: unknown): Promise<Experiment> {
    const e = parseExperiment(input, this.opts.variants);
    return this.serial(async () => {
      if (this.byId.has(e.id)) throw new ExperimentExistsError(e.id);
      const full = this.admit({ ...e, created_at: e.created_at ?? (this.opts.nowMs ?? Date.now)() });
      await writeFileAtomic(join(this.opts.dir, `${full.id}.json`), toFile(full));
      this.byId.set(full.id, full);
      this.rebuild();
      return full;
    });
  }

  /** Changes an experiment's status (stopping releases its buckets; restarting needs them free again). */
  setStatus(id: string, status: unknown): Promise<Experiment> {
    return this.serial(async () => {
      const cur = this.byId.get(id);
      if (!cur) throw new NotFoundError(`no experiment ${JSON.stringify(id)}`, 'id');
      if (!(EXPERIMENT_STATUSES as readonly unknown[]).includes(status)) throw new ValidationError(`status: must be one of ${EXPERIMENT_STATUSES.join(', ')}`, 'status');
      const next: Experiment = { ...cur, status: status as ExperimentStatus };
      if (cur.status === 'stopped' && next.status !== 'stopped') {
        this.byId.delete(id);
        try {
          this.admit(next);
        } finally {
          this.byId.set(id, cur);
        }
      }
      await writeFileAtomic(join(this.opts.dir, `${id}.json`), toFile(next));
      this.byId.set(id, next);
      this.rebuild();
      return next;
    });
  }

  /** Checks a parsed experiment against the ones held and completes it (buckets, created_at). */
  private admit(e: Parsed): Experiment {
    const others = [...this.byId.values()].filter((x) => x.id !== e.id && x.status !== 'stopped');
    const size = Math.round(e.traffic * BUCKETS);
    const taken = others.filter((x) => x.layer === e.layer).map((x) => x.buckets);
    let buckets = e.buckets;
    if (e.status !== 'stopped') {
      if (buckets) {
        const clash = others.find((x) => x.layer === e.layer && x.buckets.start < buckets!.end && buckets!.start < x.buckets.end);
        if (clash) throw new ValidationError(`buckets: [${buckets.start}, ${buckets.end}) overlaps experiment ${clash.id} in layer ${e.layer}`, 'buckets');
      } else {
        buckets = allocateBuckets(size, taken);
        if (!buckets) {
          const free = BUCKETS - taken.reduce((s, r) => s + r.end - r.start, 0);
          throw new ValidationError(`traffic: layer ${e.layer} has ${free} of ${BUCKETS} buckets free (not enough contiguous ones for ${size}); use another layer or stop an experiment`, 'traffic');
        }
      }
      const mine = overriddenParameters(e);
      for (const x of others) {
        if (x.layer === e.layer) continue;
        for (const p of overriddenParameters(x).keys()) {
          const field = mine.get(p);
          if (field) throw new ValidationError(`${field}: ${p} is overridden by experiment ${x.id} in layer ${x.layer}; a parameter belongs to one layer`, field);
        }
      }
    }
    return { ...e, buckets: buckets ?? { start: 0, end: size }, created_at: e.created_at ?? 0 };
  }

  private rebuild(): void {
    const list = this.list();
    this.current = new Assigner(list);
    for (const fn of this.listeners) fn(list);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The file form: stable key order, two-space indented, newline-terminated. */
function toFile(e: Experiment): string {
  const { id, salt, layer, traffic, holdout, arms, guardrails, status, buckets, created_at } = e;
  return `${JSON.stringify({ id, salt, layer, traffic, holdout, arms, guardrails, status, buckets, created_at }, null, 2)}\n`;
}
