/**
 * The models `feedloop eval` can fit, by stable name. Each entry fits on `data.train`, tunes its own
 * hyperparameters on `data.valid` only (never on test), and returns a {@link Recommender}. To add a model, append one
 * line to {@link MODELS}, e.g.
 * `{ name: 'two-tower', description: '…', fit: (data, ctx) => fitTwoTower(data, { seed: ctx.seed, log: ctx.log, extraMask: ctx.extraMask }) },`
 */
import { ValidationError } from '../errors.js';
import { fitBprMf } from './baselines/bpr-mf.js';
import { fitEase } from './baselines/ease.js';
import { fitItemKnn } from './baselines/item-knn.js';
import { fitPopularity } from './baselines/popularity.js';
import { fitTwoTower } from '../training/two-tower/train.js';
import type { Csr, InteractionData, Recommender } from './recommender.js';

/** What every fit function receives besides the data. */
export interface FitContext {
  /** Seed of every PRNG the model uses. */
  seed: number;
  /** Smaller tuning grids and fewer epochs (smoke runs). */
  quick: boolean;
  /** Maximum training epochs for iterative models (each model has its own default). */
  epochs?: number;
  /** Progress lines (stderr in the CLI). */
  log: (msg: string) => void;
  /** Items masked besides train in the reported evaluation (KuaiRec: train negatives); tuning must use the same. */
  extraMask: Csr | null;
}

/** One registered model. */
export interface ModelEntry {
  /** Stable name used on the command line, in tables and JSON. */
  name: string;
  description: string;
  fit(data: InteractionData, ctx: FitContext): Recommender | Promise<Recommender>;
}

/** Registered models, in the order `feedloop eval` runs them by default. */
export const MODELS: readonly ModelEntry[] = [
  { name: 'popularity', description: 'most popular items in train', fit: (data) => fitPopularity(data) },
  {
    name: 'itemknn',
    description: 'item-based CF, cosine with shrink, top-k neighbours per item (k, shrink tuned on valid)',
    fit: (data, ctx) => fitItemKnn(data, { neighbours: ctx.quick ? [100] : [20, 50, 100, 200], shrinks: ctx.quick ? [10] : [0, 10, 100, 1000], log: ctx.log, extraMask: ctx.extraMask }),
  },
  {
    name: 'bpr-mf',
    description: 'BPR matrix factorisation, dim 64, SGD, uniform negatives, early stopping on valid Recall@20',
    fit: (data, ctx) => fitBprMf(data, { seed: ctx.seed, epochs: ctx.epochs ?? (ctx.quick ? 10 : 150), log: ctx.log, extraMask: ctx.extraMask }),
  },
  {
    name: 'ease',
    description: 'EASE closed-form item-item model (λ tuned on valid)',
    fit: (data, ctx) => fitEase(data, { lambdas: ctx.quick ? [500] : [100, 300, 1000, 3000, 10000], log: ctx.log, extraMask: ctx.extraMask }),
  },
  {
    name: 'two-tower',
    description: 'two-tower (id + pooled history / id + side features, residual layer, sampled softmax with logQ + uniform negatives), onnxruntime dense path',
    fit: (data, ctx) => fitTwoTower(data, { seed: ctx.seed, epochs: ctx.epochs ?? (ctx.quick ? 3 : undefined), log: ctx.log }),
  },
];

/** The entry named `name`; ValidationError (field `models`) for an unknown name. */
export function getModel(name: string): ModelEntry {
  const m = MODELS.find((x) => x.name === name);
  if (!m) throw new ValidationError(`unknown model ${JSON.stringify(name)}: one of ${MODELS.map((x) => x.name).join(', ')}`, 'models');
  return m;
}
