/**
 * The multi-task ranker artefact: a versioned folder written atomically (a temporary sibling renamed into place).
 *
 *   model.json    format, spec, meta (data range, metrics), normaliser, calibrators, and the layout of weights.f32
 *   weights.f32   little-endian float32: the embedding tables (item, author, category, user) then each layer's W and b
 *   serve.onnx    the serving graph (folded normalisation, id tables, layers, calibration, value model with the weights
 *                 given at save time) for inspection or other runtimes; the server rebuilds it from the weights with
 *                 its own value weights (inputs f, rows, w0e, u; outputs score, heads — see serving.ts)
 *
 * `<data>/models/ranking/CURRENT` names the version the server loads (written last, by `feedloop train ranking`).
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptDataError } from '../../errors.js';
import { EmbeddingTable } from '../../training/embedding-table.js';
import type { Calibrator } from '../../training/ranking/calibration.js';
import { replaceDirAtomic, writeFileAtomic } from '../../util/file-io.js';
import { buildServingGraph, servingPlan } from './serving.js';
import { MultiTaskModel, type MultiTaskMeta } from './model.js';
import { EMBEDDING_FIELDS, layerShapes, type DenseLayer, type EmbeddingField, type MultiTaskSpec, type Normaliser } from './spec.js';

export const RANKER_ARTEFACT_FORMAT = 'feedloop.multitask-ranker';
export const RANKER_FORMAT_VERSION = 1;

interface ModelJson {
  format: string;
  formatVersion: number;
  spec: MultiTaskSpec;
  meta: MultiTaskMeta;
  normaliser: Normaliser;
  calibrators: (Calibrator | null)[];
  weights: { file: string; floats: number; sha256: string; blocks: { name: string; offset: number; length: number }[] };
}

export function rankingModelsDir(dataDir: string): string {
  return join(dataDir, 'models', 'ranking');
}

/** Writes the model as the folder `dir`, replacing a previous one atomically. */
export async function saveRankerArtefact(model: MultiTaskModel, dir: string, valueWeights: Readonly<Record<string, number>> = {}): Promise<void> {
  const { spec, meta, normaliser, calibrators, tables, layers } = model.parts;
  const blocks: { name: string; data: Float32Array }[] = [
    ...EMBEDDING_FIELDS.map((f) => ({ name: `emb.${f}`, data: tables[f].data })),
    ...layers.flatMap((l, k) => [
      { name: `w${k}`, data: l.w },
      { name: `b${k}`, data: l.b },
    ]),
  ];
  const floats = blocks.reduce((s, b) => s + b.data.length, 0);
  const all = new Float32Array(floats);
  const layout: ModelJson['weights']['blocks'] = [];
  let o = 0;
  for (const b of blocks) {
    all.set(b.data, o);
    layout.push({ name: b.name, offset: o, length: b.data.length });
    o += b.data.length;
  }
  const bytes = new Uint8Array(all.buffer);
  const json: ModelJson = {
    format: RANKER_ARTEFACT_FORMAT,
    formatVersion: RANKER_FORMAT_VERSION,
    spec,
    meta,
    normaliser,
    calibrators: calibrators.map((c) => c ?? null),
    weights: { file: 'weights.f32', floats, sha256: createHash('sha256').update(bytes).digest('hex'), blocks: layout },
  };
  await replaceDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'weights.f32'), bytes);
    await writeFile(join(tmp, 'serve.onnx'), buildServingGraph(servingPlan(model, valueWeights)));
    await writeFile(join(tmp, 'model.json'), JSON.stringify(json, null, 2) + '\n');
  });
}

/** Reads an artefact folder, checking its format, layout and checksum. */
export async function loadRankerArtefact(dir: string): Promise<MultiTaskModel> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
  if (json.format !== RANKER_ARTEFACT_FORMAT || json.formatVersion !== RANKER_FORMAT_VERSION) {
    throw new CorruptDataError(`${dir}: not a ${RANKER_ARTEFACT_FORMAT} v${RANKER_FORMAT_VERSION} artefact`);
  }
  const buf = await readFile(join(dir, json.weights.file));
  if (buf.byteLength !== json.weights.floats * 4 || createHash('sha256').update(buf).digest('hex') !== json.weights.sha256) {
    throw new CorruptDataError(`${dir}/${json.weights.file}: size or checksum mismatch`);
  }
  const all = new Float32Array(json.weights.floats);
  new Uint8Array(all.buffer).set(buf);
  const block = (name: string): Float32Array => {
    const b = json.weights.blocks.find((x) => x.name === name);
    if (!b) throw new CorruptDataError(`${dir}: weights block ${name} missing`);
    return all.slice(b.offset, b.offset + b.length);
  };
  const spec = json.spec;
  const tables = Object.fromEntries(
    EMBEDDING_FIELDS.map((f) => [f, new EmbeddingTable(spec.embDim > 0 ? spec.buckets[f] : 0, spec.embDim, block(`emb.${f}`))]),
  ) as Record<EmbeddingField, EmbeddingTable>;
  const layers: DenseLayer[] = layerShapes(spec).map((_, k) => ({ w: block(`w${k}`), b: block(`b${k}`) }));
  return new MultiTaskModel({ spec, meta: json.meta, normaliser: json.normaliser, tables, layers, calibrators: json.calibrators.map((c) => c ?? undefined) });
}

/** The version CURRENT points at, or undefined when none was trained yet. */
export async function currentRankingVersion(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(rankingModelsDir(dataDir), 'CURRENT'), 'utf8')).trim() || undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Points CURRENT at `version`, atomically. */
export async function setCurrentRankingModel(dataDir: string, version: string): Promise<void> {
  await writeFileAtomic(join(rankingModelsDir(dataDir), 'CURRENT'), `${version}\n`);
}
