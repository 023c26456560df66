/**
 * The experiment model and its validation (the edge: `POST /v1/experiments` and the files of `<data>/experiments/`).
 *
 * An experiment takes `traffic` (a share of all users) out of its layer's 10,000 buckets, keeps a `holdout` share of
 * those users on the control behaviour (labelled `holdout`), and splits the rest between its arms by `weight`. An
 * arm's `overrides` change what its users' feed requests run with:
 *
 *   { "variant": "home-heuristic",                      a pipeline variant (src/pipeline/home-feed.ts)
 *     "feed": { "maxPerAuthor": 3, "quotas": {…} },      any per-request `feed.*` config parameter
 *     "exploration": { "share": 0 },                     any `exploration.*` parameter
 *     "ranking": { "valueWeights": { "like": 4 } } }     the value model's weights (learned ranker)
 *
 * Keys are checked against the real config (src/config/config.ts): an unknown or mistyped one is a ValidationError
 * naming its path, e.g. `arms[1].overrides.feed.maxPerAutor`. The first arm is the control the others are compared with.
 */
import { DEFAULT_CONFIG, type FeedloopConfig } from '../config/config.js';
import { FeedloopError, ValidationError } from '../errors.js';

/** Buckets per layer: a user's bucket is a hash of (user id, layer) modulo this (see assignment.ts). */
export const BUCKETS = 10_000;

/** `running`: users are assigned and measured; `paused`: its buckets stay reserved, nobody is assigned; `stopped`: buckets released. */
export const EXPERIMENT_STATUSES = ['running', 'paused', 'stopped'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

/** Per-user metrics of an arm (see arm-metrics.ts for definitions); guardrails name one of these. */
export const ARM_METRICS = [
  'impressions',
  'watch_ratio',
  'completion_rate',
  'likes_per_impression',
  'shares_per_impression',
  'hides_per_impression',
  'sessions',
  'session_length_s',
  'requests_per_day',
] as const;
export type ArmMetric = (typeof ARM_METRICS)[number];

type FeedConfig = FeedloopConfig['feed'];
type ExplorationConfig = FeedloopConfig['exploration'];

export interface ArmOverrides {
  variant?: string;
  feed?: Partial<FeedConfig>;
  exploration?: Partial<ExplorationConfig>;
  ranking?: { valueWeights?: Record<string, number> };
}

export interface Arm {
  name: string;
  /** Relative share of the experiment's (non-holdout) users. */
  weight: number;
  overrides: ArmOverrides;
}

/** Flags an arm whose metric moved against control by more than the given share (0.1 = 10 %). */
export interface Guardrail {
  metric: ArmMetric;
  maxRelativeDrop?: number;
  maxRelativeIncrease?: number;
}

export interface Experiment {
  id: string;
  /** Salt of the arm hash (default: the id); changing it reshuffles users between arms. */
  salt: string;
  /** Experiments in one layer own disjoint buckets; layers are independent of each other. */
  layer: string;
  /** Share of all users in the experiment, 0..1. */
  traffic: number;
  /** Share of the experiment's users kept on the control behaviour and logged as arm `holdout`, 0..1. */
  holdout: number;
  arms: Arm[];
  guardrails: Guardrail[];
  status: ExperimentStatus;
  /** The layer buckets [start, end) the experiment owns; assigned at creation, then fixed. */
  buckets: { start: number; end: number };
  /** Creation time, ms: events before it are not counted in the results. */
  created_at: number;
}

/** Arm name used for holdout users in responses, serve records and results. */
export const HOLDOUT_ARM = 'holdout';

/** An experiment id that already exists (HTTP 409). */
export class ExperimentExistsError extends FeedloopError {
  constructor(id: string) {
    super('experiment_exists', 'client', `experiment ${JSON.stringify(id)} already exists`, 'id');
  }
}

/** Feed parameters that act before or outside a request's pipeline run, so an arm cannot change them. */
const NOT_PER_REQUEST = new Set(['defaultLimit', 'maxLimit', 'serveLogQueue', 'serveLogQueueBytes', 'hotCache']);
const ENUMS: Record<string, readonly string[]> = {
  'feed.serveLogCandidates': ['all', 'served'],
  'exploration.policy': ['thompson', 'epsilon-greedy'],
};
const TOP_KEYS = ['id', 'salt', 'layer', 'traffic', 'holdout', 'arms', 'guardrails', 'status', 'buckets', 'created_at'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (field: string, message: string, code = 'invalid_field'): never => {
  throw new ValidationError(`${field}: ${message}`, field, code);
};

function objectAt(v: unknown, field: string, allowed?: readonly string[]): Obj {
  if (!isObj(v)) fail(field || 'body', 'must be a JSON object', 'invalid_type');
  const o = v as Obj;
  if (allowed) for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(field ? `${field}.${k}` : k, 'unknown field', 'unknown_field');
  return o;
}

function nameAt(v: unknown, field: string): string {
  if (typeof v !== 'string' || !NAME.test(v)) fail(field, 'must be 1–64 characters of A–Z a–z 0–9 _ . - (starting with a letter or digit)');
  return v as string;
}

function shareAt(v: unknown, field: string, def?: number): number {
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(field, 'must be a number in 0..1');
  return v as number;
}

/**
 * Validates an experiment as received (POST body or file) and fills the defaults. `buckets` and `created_at` are
 * optional here (the store assigns them); `variants` are the feed variants an arm may name.
 */
export function parseExperiment(input: unknown, variants: readonly string[]): Omit<Experiment, 'buckets' | 'created_at'> & Partial<Pick<Experiment, 'buckets' | 'created_at'>> {
  const o = objectAt(input, '', TOP_KEYS);
  if (o.id === undefined) fail('id', 'is required', 'missing_field');
  const id = nameAt(o.id, 'id');
  const salt = o.salt === undefined ? id : typeof o.salt === 'string' && o.salt.length > 0 && o.salt.length <= 128 ? o.salt : fail('salt', 'must be a string of 1–128 characters');
  const layer = o.layer === undefined ? 'default' : nameAt(o.layer, 'layer');
  if (o.traffic === undefined) fail('traffic', 'is required', 'missing_field');
  const traffic = shareAt(o.traffic, 'traffic');
  if (Math.round(traffic * BUCKETS) === 0) fail('traffic', `must cover at least one of the ${BUCKETS} buckets`);
  const holdout = shareAt(o.holdout, 'holdout', 0);
  if (holdout >= 1) fail('holdout', 'must be below 1 (some users must get the arms)');
  const status = o.status === undefined ? 'running' : (EXPERIMENT_STATUSES as readonly unknown[]).includes(o.status) ? (o.status as ExperimentStatus) : fail('status', `must be one of ${EXPERIMENT_STATUSES.join(', ')}`);
  if (!Array.isArray(o.arms)) fail('arms', o.arms === undefined ? 'is required' : 'must be an array', o.arms === undefined ? 'missing_field' : 'invalid_type');
  const rawArms = o.arms as unknown[];
  if (rawArms.length < 2 || rawArms.length > 16) fail('arms', 'must hold 2–16 arms (the first is the control)');
  const arms = rawArms.map((a, i) => parseArm(a, `arms[${i}]`, variants));
  const names = new Set<string>();
  arms.forEach((a, i) => {
    if (a.name === HOLDOUT_ARM) fail(`arms[${i}].name`, `"${HOLDOUT_ARM}" is reserved for holdout users`);
    if (names.has(a.name)) fail(`arms[${i}].name`, `duplicate arm name ${JSON.stringify(a.name)}`);
    names.add(a.name);
  });
  const guardrails = o.guardrails === undefined ? [] : Array.isArray(o.guardrails) ? o.guardrails.map((g, i) => parseGuardrail(g, `guardrails[${i}]`)) : fail('guardrails', 'must be an array', 'invalid_type');
  const out: ReturnType<typeof parseExperiment> = { id, salt, layer, traffic, holdout, arms, guardrails, status };
  if (o.buckets !== undefined) {
    const b = objectAt(o.buckets, 'buckets', ['start', 'end']);
    const ok = Number.isInteger(b.start) && Number.isInteger(b.end) && (b.start as number) >= 0 && (b.end as number) <= BUCKETS;
    if (!ok || (b.end as number) - (b.start as number) !== Math.round(traffic * BUCKETS)) {
      fail('buckets', `must be integers 0 ≤ start < end ≤ ${BUCKETS} with end − start = round(traffic × ${BUCKETS})`);
    }
    out.buckets = { start: b.start as number, end: b.end as number };
  }
  if (o.created_at !== undefined) {
    if (!Number.isInteger(o.created_at) || (o.created_at as number) < 0) fail('created_at', 'must be a time in ms since the epoch');
    out.created_at = o.created_at as number;
  }
  return out;
}

function parseArm(v: unknown, field: string, variants: readonly string[]): Arm {
  const o = objectAt(v, field, ['name', 'weight', 'overrides']);
  const name = nameAt(o.name, `${field}.name`);
  const weight = o.weight === undefined ? 1 : o.weight;
  if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) fail(`${field}.weight`, 'must be a positive number');
  return { name, weight: weight as number, overrides: o.overrides === undefined ? {} : parseOverrides(o.overrides, `${field}.overrides`, variants) };
}

function parseOverrides(v: unknown, field: string, variants: readonly string[]): ArmOverrides {
  const o = objectAt(v, field, ['variant', 'feed', 'exploration', 'ranking']);
  const out: ArmOverrides = {};
  if (o.variant !== undefined) {
    if (typeof o.variant !== 'string' || !variants.includes(o.variant)) fail(`${field}.variant`, `must be one of ${variants.join(', ')}`);
    out.variant = o.variant as string;
  }
  if (o.feed !== undefined) out.feed = parseSection(o.feed, `${field}.feed`, 'feed', DEFAULT_CONFIG.feed);
  if (o.exploration !== undefined) out.exploration = parseSection(o.exploration, `${field}.exploration`, 'exploration', DEFAULT_CONFIG.exploration);
  if (o.ranking !== undefined) {
    const r = objectAt(o.ranking, `${field}.ranking`);
    for (const k of Object.keys(r)) if (k !== 'valueWeights') fail(`${field}.ranking.${k}`, 'unknown or not overridable per arm (only ranking.valueWeights is)', 'unknown_field');
    if (r.valueWeights !== undefined) out.ranking = { valueWeights: numberMap(r.valueWeights, `${field}.ranking.valueWeights`, DEFAULT_CONFIG.ranking.valueWeights, false) };
  }
  return out;
}

/** One config section's overrides: every key must exist in the defaults, with the default's type. */
function parseSection(v: unknown, field: string, section: 'feed' | 'exploration', defaults: Obj): Obj {
  const o = objectAt(v, field);
  const out: Obj = {};
  for (const [k, val] of Object.entries(o)) {
    const f = `${field}.${k}`;
    if (!(k in defaults)) fail(f, `unknown ${section} parameter (one of ${Object.keys(defaults).filter((x) => !NOT_PER_REQUEST.has(x)).join(', ')})`, 'unknown_field');
    if (section === 'feed' && NOT_PER_REQUEST.has(k)) fail(f, 'not overridable per arm (it acts outside a request)', 'unknown_field');
    const def = defaults[k];
    const allowed = ENUMS[`${section}.${k}`];
    if (allowed) {
      if (typeof val !== 'string' || !allowed.includes(val)) fail(f, `must be one of ${allowed.join(', ')}`);
      out[k] = val;
    } else if (typeof def === 'number') {
      if (typeof val !== 'number' || !Number.isFinite(val) || val < 0) fail(f, 'must be a non-negative number');
      if (section === 'exploration' && k === 'share' && (val as number) > 1) fail(f, 'must be in 0..1');
      out[k] = val;
    } else if (typeof def === 'boolean') {
      if (typeof val !== 'boolean') fail(f, 'must be a boolean');
      out[k] = val;
    } else if (isObj(def)) out[k] = numberMap(val, f, def as Record<string, number>, true);
    else fail(f, 'not overridable per arm');
  }
  return out;
}

/** A partial map of known keys to finite numbers (non-negative when `nonNegative`). */
function numberMap(v: unknown, field: string, defaults: Record<string, number>, nonNegative: boolean): Record<string, number> {
  const o = objectAt(v, field);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(o)) {
    if (!(k in defaults)) fail(`${field}.${k}`, `unknown key (one of ${Object.keys(defaults).join(', ')})`, 'unknown_field');
    if (typeof x !== 'number' || !Number.isFinite(x) || (nonNegative && x < 0)) fail(`${field}.${k}`, nonNegative ? 'must be a non-negative number' : 'must be a finite number');
    out[k] = x as number;
  }
  return out;
}

function parseGuardrail(v: unknown, field: string): Guardrail {
  const o = objectAt(v, field, ['metric', 'maxRelativeDrop', 'maxRelativeIncrease']);
  if (typeof o.metric !== 'string' || !(ARM_METRICS as readonly string[]).includes(o.metric)) fail(`${field}.metric`, `must be one of ${ARM_METRICS.join(', ')}`);
  const g: Guardrail = { metric: o.metric as ArmMetric };
  for (const k of ['maxRelativeDrop', 'maxRelativeIncrease'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'number' || !(o[k] >= 0) || !Number.isFinite(o[k])) fail(`${field}.${k}`, 'must be a non-negative number (0.1 = 10 %)');
    g[k] = o[k] as number;
  }
  if (g.maxRelativeDrop === undefined && g.maxRelativeIncrease === undefined) fail(field, 'needs maxRelativeDrop or maxRelativeIncrease', 'missing_field');
  return g;
}

/** The parameter paths an experiment's arms override (`variant`, `feed.maxPerAuthor`, `ranking.valueWeights.like`, …). */
export function overriddenParameters(e: Pick<Experiment, 'arms'>): Map<string, string> {
  const out = new Map<string, string>(); // parameter → field of the first arm setting it
  e.arms.forEach((a, i) => {
    const base = `arms[${i}].overrides`;
    const add = (p: string) => out.has(p) || out.set(p, `${base}.${p}`);
    if (a.overrides.variant !== undefined) add('variant');
    for (const k of Object.keys(a.overrides.feed ?? {})) add(`feed.${k}`);
    for (const k of Object.keys(a.overrides.exploration ?? {})) add(`exploration.${k}`);
    for (const k of Object.keys(a.overrides.ranking?.valueWeights ?? {})) add(`ranking.valueWeights.${k}`);
  });
  return out;
}
