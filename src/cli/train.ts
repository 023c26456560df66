/**
 * `feedloop train retrieval`: reads the event log (read-only, so a server may keep running on the same data
 * directory), builds each user's positives with a per-user time split, trains the two-tower model with a progress
 * line per epoch, writes a versioned artefact under `<data>/models/retrieval/<version>/`, points CURRENT at it, and
 * (with `--notify URL`) asks a running server to swap it in without downtime.
 */
import { join, resolve } from 'node:path';
import { openSegmentLog } from '../backends/embedded/segment-log.js';
import { ValidationError } from '../errors.js';
import { retrievalModelsDir, setCurrentRetrievalModel } from '../retrieval/two-tower-retrieval-model.js';
import { interactionsFromLog } from '../training/interactions-from-log.js';
import { trainTwoTower } from '../training/two-tower/train.js';
import { configFrom, parse } from './args.js';
import { runTrainRanking } from './ranking.js';

export async function runTrain(argv: string[]): Promise<void> {
  const [what, ...rest] = argv;
  if (what === 'ranking') return runTrainRanking(rest);
  if (what !== 'retrieval') throw new ValidationError(`usage: feedloop train retrieval|ranking [--data DIR] [--epochs N] [--seed N] [--notify URL]; got ${JSON.stringify(what ?? '')}`, 'argv');
  const { values } = parse(rest, { epochs: { type: 'string' }, seed: { type: 'string' }, notify: { type: 'string' } });
  const cfg = configFrom(values);
  const num = (k: string, d: number) => {
    const v = values[k];
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ValidationError(`--${k} must be a positive integer`, k);
    return n;
  };
  const dataDir = resolve(cfg.data.dir);
  const log = await openSegmentLog({ dir: join(dataDir, 'log'), partitionCount: cfg.log.partitions, readOnly: true });
  const t0 = performance.now();
  let extracted;
  try {
    extracted = await interactionsFromLog(log, { positiveWatchRatio: cfg.features.positiveWatchRatio });
  } finally {
    await log.close();
  }
  const { data, itemSides, positives, fromMs, toMs } = extracted;
  if (positives === 0) throw new ValidationError('the event log holds no positive interactions to train on', 'data');
  console.log(`training data: ${positives} positives of ${data.numUsers} users on ${data.numItems} items (${new Date(fromMs).toISOString()} … ${new Date(toMs).toISOString()})`);
  const result = await trainTwoTower(data, { epochs: num('epochs', 30), seed: num('seed', 1), itemSides }, (p) => {
    const v = p.valid ? Object.entries(p.valid).filter(([k]) => k.endsWith('@20')).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(' ') : '';
    console.log(`epoch ${String(p.epoch).padStart(3)}/${p.epochs} | loss ${p.loss.toFixed(4)} | ${Math.round(p.examplesPerSec)} ex/s | ${v}${p.best ? ' *' : ''}`);
  });
  const model = result.model;
  model.parts.meta.dataRange = { ...model.parts.meta.dataRange, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), positives };
  const dir = join(retrievalModelsDir(dataDir), model.version);
  await model.save(dir);
  await setCurrentRetrievalModel(dataDir, model.version);
  let notified: number | undefined;
  if (typeof values.notify === 'string') {
    const res = await fetch(`${values.notify.replace(/\/$/, '')}/v1/models/retrieval/reload`, { method: 'POST' });
    notified = res.status;
  }
  const summary = {
    version: model.version,
    dir,
    users: data.numUsers,
    items: data.numItems,
    positives,
    epochs: result.epochs.length,
    best_epoch: result.bestEpoch,
    examples_per_s: Math.round(result.examplesPerSec),
    wall_s: Math.round((performance.now() - t0) / 100) / 10,
    valid: result.epochs[result.bestEpoch - 1]?.valid ?? {},
    notified,
  };
  console.log(`wrote ${dir} (CURRENT → ${model.version})`);
  console.log(JSON.stringify(summary));
}
