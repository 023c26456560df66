/**
 * Deterministic assignment of users to experiments and arms — no lookup table, the same answer in every process.
 *
 * Scheme (the layered design of Tang et al., "Overlapping Experiment Infrastructure", KDD 2010):
 * 1. Layer bucket: b = H(user id, "layer:" + layer) mod 10,000. Every experiment of a layer owns a disjoint range
 *    [start, end) of these buckets (its `traffic` × 10,000, allocated first-fit at creation and stored), so a user is
 *    in at most one experiment per layer. Layers hash with different salts, so they are independent: a user's
 *    experiment in one layer says nothing about the other layers.
 * 2. Arm bucket: a = H(user id, experiment salt) mod 10,000, a second hash so that arms are balanced within the
 *    experiment whatever its bucket range. a < holdout × 10,000 → `holdout`; the rest is split between the arms in
 *    proportion to their weights (cumulative boundaries, rounded to whole buckets).
 * H(u, s) = mixSeed(fnv1a(s), fnv1a(u)): FNV-1a of each string, then a murmur3-style finaliser (src/util/prng.ts), so
 * neighbouring ids and salts land in unrelated buckets. Same user → same experiment and arm, always.
 */
import { fnv1a, mixSeed } from '../util/prng.js';
import { BUCKETS, HOLDOUT_ARM, type Experiment } from './experiment.js';

/** The bucket (0..9,999) of a user id under a salt. */
export function bucketOf(userId: string, salt: string): number {
  return mixSeed(fnv1a(salt), fnv1a(userId)) % BUCKETS;
}

/** The salt of a layer's bucket hash. */
export const layerSalt = (layer: string): string => `layer:${layer}`;

/** One experiment compiled for assignment: arm boundaries in arm-bucket space. */
export interface CompiledExperiment {
  readonly experiment: Experiment;
  /** Arm buckets below this are holdout. */
  readonly holdoutEnd: number;
  /** Exclusive upper arm-bucket bound of each arm (the last is BUCKETS). */
  readonly armEnds: Int32Array;
}

export function compileExperiment(e: Experiment): CompiledExperiment {
  const holdoutEnd = Math.round(e.holdout * BUCKETS);
  const total = e.arms.reduce((s, a) => s + a.weight, 0);
  const armEnds = new Int32Array(e.arms.length);
  let cum = 0;
  e.arms.forEach((a, i) => {
    cum += a.weight;
    armEnds[i] = i === e.arms.length - 1 ? BUCKETS : holdoutEnd + Math.round(((BUCKETS - holdoutEnd) * cum) / total);
  });
  return { experiment: e, holdoutEnd, armEnds };
}

/** The arm index of a user in an experiment they are in: 0..arms−1, or arms.length for holdout. */
export function armIndexOf(c: CompiledExperiment, userId: string): number {
  const a = bucketOf(userId, c.experiment.salt);
  if (a < c.holdoutEnd) return c.experiment.arms.length;
  const ends = c.armEnds;
  for (let i = 0; i < ends.length; i++) if (a < ends[i]) return i;
  return ends.length - 1;
}

/** The arm name for an arm index from `armIndexOf`. */
export const armName = (e: Experiment, index: number): string => (index >= e.arms.length ? HOLDOUT_ARM : e.arms[index].name);

/** Where a user is in one experiment. */
export interface Membership {
  compiled: CompiledExperiment;
  /** 0..arms−1, arms.length = holdout. */
  arm: number;
}

/**
 * The running experiments, by layer, ready for per-request assignment. Immutable: the store builds a new one when
 * experiments change.
 */
export class Assigner {
  private readonly layers: { salt: string; experiments: CompiledExperiment[] }[];

  constructor(experiments: readonly Experiment[]) {
    const byLayer = new Map<string, CompiledExperiment[]>();
    for (const e of experiments) {
      if (e.status !== 'running') continue;
      const list = byLayer.get(e.layer) ?? [];
      list.push(compileExperiment(e));
      byLayer.set(e.layer, list);
    }
    this.layers = [...byLayer.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([layer, experiments]) => ({ salt: layerSalt(layer), experiments }));
  }

  /** True when no experiment is running (the serving path then skips everything). */
  get empty(): boolean {
    return this.layers.length === 0;
  }

  /** The user's experiments (at most one per layer, layers in name order) and arms. */
  assign(userId: string): Membership[] {
    const out: Membership[] = [];
    for (const layer of this.layers) {
      const b = bucketOf(userId, layer.salt);
      for (const c of layer.experiments) {
        const { start, end } = c.experiment.buckets;
        if (b >= start && b < end) {
          out.push({ compiled: c, arm: armIndexOf(c, userId) });
          break;
        }
      }
    }
    return out;
  }
}

/**
 * First-fit allocation of `size` buckets in a layer, given the ranges already taken there; undefined when no free
 * contiguous range is large enough.
 */
export function allocateBuckets(size: number, taken: readonly { start: number; end: number }[]): { start: number; end: number } | undefined {
  const sorted = [...taken].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const r of sorted) {
    if (r.start - at >= size) break;
    at = Math.max(at, r.end);
  }
  return at + size <= BUCKETS ? { start: at, end: at + size } : undefined;
}
