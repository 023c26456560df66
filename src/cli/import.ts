/**
 * `feedloop import --dataset NAME`: loads a public dataset through the same validation and ingest path as HTTP,
 * with a progress bar, waits until the features reflect it, and prints a summary (JSON on the last line).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { openEngine } from '../engine/engine.js';
import { ValidationError } from '../errors.js';
import { DATASETS, importDataset } from '../ingest/import-dataset.js';
import { configFrom, parse } from './args.js';

/** `--datasets`, else $FEEDLOOP_DATASETS, else `../shared/datasets` next to the checkout or the working directory. */
export function defaultDatasetsDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.FEEDLOOP_DATASETS) return resolve(process.env.FEEDLOOP_DATASETS);
  const pkgRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  for (const c of [join(pkgRoot, '..', 'shared', 'datasets'), resolve('..', 'shared', 'datasets')]) if (existsSync(c)) return c;
  return join(pkgRoot, '..', 'shared', 'datasets');
}

export async function runImport(argv: string[]): Promise<void> {
  const { values } = parse(argv, { dataset: { type: 'string' }, datasets: { type: 'string' }, 'include-valid': { type: 'boolean' } });
  if (typeof values.dataset !== 'string') throw new ValidationError(`--dataset is required: one of ${DATASETS.join(', ')}`, 'dataset');
  const cfg = configFrom(values);
  const engine = await openEngine(cfg);
  const bar = new cliProgress.SingleBar(
    { format: ' {phase} [{bar}] {percentage}% | {value}/{total} | {eta_buffer}s eta', etaBuffer: 50, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  try {
    const summary = await importDataset(engine.ingestor, {
      dataset: values.dataset,
      datasetsDir: defaultDatasetsDir(values.datasets as string | undefined),
      includeValid: values['include-valid'] === true,
      onProgress: (p) => {
        if (p.phase !== phase) {
          if (phase) bar.stop();
          phase = p.phase;
          bar.start(p.total, 0, { phase: p.phase.padEnd(6) });
        }
        bar.setTotal(Math.max(p.total, p.done));
        bar.update(p.done, { phase: p.phase.padEnd(6) });
      },
    });
    if (phase) bar.stop();
    const t0 = performance.now();
    await engine.processor.catchUp();
    const st = engine.store.stats();
    console.log(
      `imported ${values.dataset}: items ${summary.items.accepted}, users ${summary.users.accepted}, events ${summary.events.accepted} accepted / ` +
        `${summary.events.duplicates} duplicates / ${summary.events.rejected} rejected in ${Math.round(summary.elapsedMs)} ms ` +
        `(+${Math.round(performance.now() - t0)} ms until features caught up); store: ${st.items} items, ${st.users} users`,
    );
    for (const r of summary.firstRejections) console.log(`  rejected ${r.kind}[${r.index}] ${r.field}: ${r.message}`);
    console.log(JSON.stringify({ ...summary, firstRejections: summary.firstRejections.length, store: { items: st.items, users: st.users } }));
  } finally {
    bar.stop();
    await engine.close();
  }
}
