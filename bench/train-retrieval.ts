/**
 * `npm run bench -- train-retrieval`: a full two-tower training on the ML-1M split (train, early stopping on valid
 * Recall@20), then the test metrics with the project's full-ranking evaluator. Reports examples/s and wall time;
 * the goal is a full training in ≤ 5 minutes on 2 cores. Reads `<datasetsDir>/movielens-1m/lightgcnpp_split`.
 */
import { join } from 'node:path';
import { DEFAULT_MASK_VALID_WHEN_TESTING, evaluate } from '../src/evaluation/full-ranking.js';
import { loadSplitData } from '../src/evaluation/split-data.js';
import { trainTwoTower, type TrainTwoTowerOptions } from '../src/training/two-tower/train.js';

/** Options: where the datasets are, training overrides, where to write the artefact (none by default). */
export interface BenchTrainRetrievalOptions {
  datasetsDir?: string;
  train?: TrainTwoTowerOptions;
  saveDir?: string;
  log?: (line: string) => void;
}

const r4 = (x: number | undefined): number => Math.round((x ?? NaN) * 1e4) / 1e4;

/** Runs the benchmark; returns machine-readable figures (the caller prints them). */
export async function benchTrainRetrieval(opts: BenchTrainRetrievalOptions = {}): Promise<Record<string, number>> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const datasetsDir = opts.datasetsDir ?? join(process.cwd(), '..', 'shared', 'datasets');
  const t0 = performance.now();
  const data = loadSplitData('movielens-1m-split', datasetsDir);
  const loadSec = (performance.now() - t0) / 1000;
  log(`# ${data.name}: ${data.numUsers} users, ${data.numItems} items, ${data.train.items.length} train interactions`);
  const res = await trainTwoTower(data, { ...opts.train }, (p) => {
    const v = p.valid ? ` valid R@10 ${p.valid['recall@10'].toFixed(4)} R@20 ${p.valid['recall@20'].toFixed(4)}` : '';
    log(
      `epoch ${String(p.epoch).padStart(2)}/${p.epochs} loss ${p.loss.toFixed(4)}${v} ` +
        `${Math.round(p.examplesPerSec)} ex/s train ${p.trainSec.toFixed(1)} s eval ${p.evalSec.toFixed(1)} s${p.best ? ' *' : ''}`,
    );
  });
  const te = performance.now();
  const test = evaluate(res.model, data, { split: 'test', ks: [10, 20, 40], maskValidWhenTesting: DEFAULT_MASK_VALID_WHEN_TESTING });
  const testSec = (performance.now() - te) / 1000;
  if (opts.saveDir) await res.model.save(opts.saveDir);
  const best = res.epochs.find((e) => e.epoch === res.bestEpoch)?.valid ?? {};
  const at = (k: number) => test.atK.find((m) => m.k === k);
  const steps = res.epochs.length * Math.ceil(data.train.items.length / (opts.train?.batchSize ?? 1024));
  return {
    examples_per_s: Math.round(res.examplesPerSec),
    wall_s: r4(res.wallSec),
    train_s: r4(res.trainSec),
    ms_per_step: r4((res.trainSec * 1000) / steps),
    load_s: r4(loadSec),
    test_eval_s: r4(testSec),
    epochs: res.epochs.length,
    best_epoch: res.bestEpoch,
    recall_at_10_valid: r4(best['recall@10']),
    ndcg_at_10_valid: r4(best['ndcg@10']),
    recall_at_20_valid: r4(best['recall@20']),
    recall_at_10_test: r4(at(10)?.recall),
    ndcg_at_10_test: r4(at(10)?.ndcg),
    recall_at_20_test: r4(at(20)?.recall),
    ndcg_at_20_test: r4(at(20)?.ndcg),
    recall_at_40_test: r4(at(40)?.recall),
    ndcg_at_40_test: r4(at(40)?.ndcg),
  };
}
