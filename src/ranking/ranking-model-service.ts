/**
 * Holds the serving ranker model: loads `<data>/models/ranking/CURRENT`, builds its onnxruntime session, checks that
 * its feature schema matches the feature vector the pipeline assembles, and swaps it in atomically (requests in
 * flight finish on the model they started with; the old session is released a little later).
 */
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { currentRankingVersion, loadRankerArtefact, rankingModelsDir } from './multitask/artefact.js';
import type { MultiTaskModel } from './multitask/model.js';
import { OnnxScorer } from './multitask/onnx-scorer.js';
import { RANKING_FEATURES } from './feature-assembly.js';

/** How long a replaced session stays alive for requests still using it, ms. */
const RELEASE_DELAY_MS = 5000;

export interface LoadedRanker {
  model: MultiTaskModel;
  scorer: OnnxScorer;
}

export class RankingModelService {
  private loaded: LoadedRanker | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    /** The value model: weight of each head in the final score (config `ranking.valueWeights`). */
    private readonly valueWeights: Readonly<Record<string, number>>,
    private readonly threads = 1,
  ) {}

  get current(): LoadedRanker | undefined {
    return this.loaded;
  }

  get version(): string | undefined {
    return this.loaded?.model.version;
  }

  /** Loads the model CURRENT points at; false when none was trained yet. */
  async loadCurrent(dataDir: string): Promise<boolean> {
    const version = await currentRankingVersion(dataDir);
    if (version === undefined) return false;
    await this.swap(await loadRankerArtefact(join(rankingModelsDir(dataDir), version)));
    return true;
  }

  /** Serves `model` from now on (after checking its feature schema). */
  async swap(model: MultiTaskModel): Promise<void> {
    const names = model.spec.featureNames;
    if (names.length !== RANKING_FEATURES.length || names.some((n, k) => n !== RANKING_FEATURES[k])) {
      throw new ValidationError(`ranking model ${model.version} was trained on features [${names.join(', ')}], the pipeline assembles [${RANKING_FEATURES.join(', ')}]`, 'featureNames');
    }
    const scorer = await OnnxScorer.create(model, this.valueWeights, this.threads);
    const old = this.loaded;
    this.loaded = { model, scorer };
    if (old) this.releaseLater(old.scorer);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.loaded?.scorer.release();
    this.loaded = undefined;
  }

  private releaseLater(scorer: OnnxScorer): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void scorer.release();
    }, RELEASE_DELAY_MS);
    t.unref();
    this.timers.add(t);
  }
}
