/**
 * Why an item was shown (or not) in one served request, read off its serve record: the sources that proposed it,
 * the feature vector and every score component the ranker produced, the value model's terms, its rank by the
 * ranker against its served position (what re-ranking did), or the filter that removed it.
 *
 * Numbers from the float32 blocks (features, scores) are rounded to 7 significant digits (float32 precision);
 * non-finite ones are given as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).
 */
import type { ServeRecord } from '../domain/feed.js';

export type ExplainedNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface ValueModelTerm {
  /** Score component (`p_like`, `watch_ratio`, …). */
  head: string;
  /** Key of the weight in config `ranking.valueWeights` (`like`, `watch`, …). */
  weight_key: string;
  weight: number;
  value: ExplainedNumber;
  /** weight × value. */
  term: ExplainedNumber;
}

export interface ItemExplanation {
  request_id: string;
  item_id: string;
  /** `served`, `filtered` (removed before the ranker), or `not_served` (ranked but not in the slate). */
  outcome: 'served' | 'filtered' | 'not_served';
  /** Why it was not served; absent when served. */
  reason?: string;
  request: {
    user_id: string;
    session_id?: string;
    variant: string;
    ts: number;
    time: string;
    context: ServeRecord['context'];
    config_version: string;
    /** The config (hence the value weights used below) differs from the one that served the request. */
    config_changed: boolean;
    model_versions: Record<string, string>;
    degraded: string[];
    timings_ms: Record<string, number>;
    candidates: number;
    removed: number;
    slate_size: number;
  };
  /** Sources that proposed the item with their scores; null for a filtered item (the log keeps only the filter). */
  sources: { name: string; score: number }[] | null;
  ranker: { version: string; heads: string[] };
  /** The ranker's input for the item, by feature name; null for a filtered item. */
  features: Record<string, ExplainedNumber> | null;
  /** Every score component of the ranker for the item (`score`, heads); null for a filtered item. */
  scores: Record<string, ExplainedNumber> | null;
  /** score = Σ weight × head; null when the ranker has no heads (heuristic) or the item was filtered. */
  value_model: { terms: ValueModelTerm[]; sum: ExplainedNumber; logged_score: ExplainedNumber; difference: ExplainedNumber } | null;
  /** Ranker order vs the served slate; null for an item filtered and not served. */
  reranking: {
    /**
     * 0-based rank by ranker score among the candidates (ties by candidate order, as the pipeline sorts); null when
     * the item was served without being ranked.
     */
    ranker_rank: number | null;
    ranked_candidates: number;
    served_position: number | null;
    /** Score after re-ranking, as served. */
    served_score: number | null;
    /** Probability the serving policy showed the item in that slot (1 = deterministic). */
    propensity: number | null;
    /** ranker_rank − served_position: positive when re-ranking moved the item up. */
    moved_by: number | null;
  } | null;
  filtered: { filter: string; reason: string } | null;
}

export interface ExplainOptions {
  /** Config `ranking.valueWeights` (keys complete, like, share, follow, hide, watch). */
  valueWeights: Readonly<Record<string, number>>;
  /** The current config version, to flag explanations computed with other weights than the serving ones. */
  configVersion?: string;
}

/** The weight key of a ranker head component (`p_like` → `like`, `watch_ratio` → `watch`), or undefined. */
export function valueWeightKey(component: string): string | undefined {
  if (component === 'watch_ratio') return 'watch';
  if (component.startsWith('p_') && component.length > 2) return component.slice(2);
  return undefined;
}

/** The explanation of `itemId` in `record`, or undefined when the request never saw the item. */
export function explainItem(record: ServeRecord, itemId: string, opts: ExplainOptions): ItemExplanation | undefined {
  const index = record.candidates.findIndex((c) => c.item_id === itemId);
  const removed = record.removed.find((x) => x.item_id === itemId);
  const slot = record.slate.find((s) => s.item_id === itemId);
  if (index < 0 && !removed && !slot) return undefined;
  const heads = Object.keys(record.scores).filter((k) => valueWeightKey(k) !== undefined);
  const out: ItemExplanation = {
    request_id: record.request_id,
    item_id: itemId,
    outcome: slot ? 'served' : removed ? 'filtered' : 'not_served',
    request: {
      user_id: record.user_id,
      session_id: record.session_id,
      variant: record.variant,
      ts: record.ts,
      time: new Date(record.ts).toISOString(),
      context: record.context,
      config_version: record.config_version,
      config_changed: opts.configVersion !== undefined && opts.configVersion !== record.config_version,
      model_versions: record.model_versions,
      degraded: record.degraded,
      timings_ms: record.timings_ms,
      candidates: record.candidates.length,
      removed: record.removed.length,
      slate_size: record.slate.length,
    },
    sources: null,
    ranker: { version: record.model_versions.ranker ?? '', heads },
    features: null,
    scores: null,
    value_model: null,
    reranking: null,
    filtered: removed ? { filter: removed.filter, reason: removed.reason } : null,
  };
  if (removed && !slot) out.reason = `removed by filter ${removed.filter}: ${removed.reason}`;
  if (index < 0) {
    // served without being ranked (e.g. a slate topped up from a fallback list: see request.context)
    if (slot) out.reranking = { ranker_rank: null, ranked_candidates: record.candidates.length, served_position: slot.position, served_score: slot.score, propensity: slot.propensity, moved_by: null };
    return out;
  }

  const c = record.candidates[index];
  out.sources = c.sources.map((s) => ({ name: s.name, score: s.score }));
  const F = record.feature_names.length;
  const row = record.features.subarray(index * F, index * F + F);
  out.features = Object.fromEntries(record.feature_names.map((name, j) => [name, num(row[j])]));
  out.scores = Object.fromEntries(Object.entries(record.scores).map(([name, values]) => [name, num(values[index])]));

  if (heads.length) {
    let sum = 0;
    const terms = heads.map((head) => {
      const key = valueWeightKey(head)!;
      const weight = opts.valueWeights[key] ?? 0;
      const value = record.scores[head][index];
      sum += weight * value;
      return { head, weight_key: key, weight, value: num(value), term: num(weight * value) };
    });
    const logged = record.scores.score?.[index] ?? Number.NaN;
    out.value_model = { terms, sum: num(sum), logged_score: num(logged), difference: num(logged - sum) };
  }

  const scores = record.scores.score;
  const rank = scores ? rankOf(scores, index) : index;
  out.reranking = {
    ranker_rank: rank,
    ranked_candidates: record.candidates.length,
    served_position: slot?.position ?? null,
    served_score: slot?.score ?? null,
    propensity: slot?.propensity ?? null,
    moved_by: slot ? rank - slot.position : null,
  };
  if (!slot && !removed) {
    out.reason =
      rank < record.slate.length
        ? `displaced by re-ranking: ranker rank ${rank} was within the slate of ${record.slate.length}`
        : `ranked below the slate: ranker rank ${rank} of ${record.candidates.length}, slate of ${record.slate.length}`;
  }
  return out;
}

/** 0-based position of candidate `i` when sorting by score descending, ties by candidate order (NaN last). */
function rankOf(scores: Float32Array, i: number): number {
  const key = (x: number) => (Number.isNaN(x) ? -Infinity : x);
  const s = key(scores[i]);
  let rank = 0;
  for (let j = 0; j < scores.length; j++) {
    const t = key(scores[j]);
    if (t > s || (t === s && j < i)) rank++;
  }
  return rank;
}

function num(x: number): ExplainedNumber {
  if (Number.isFinite(x)) return Number(x.toPrecision(7));
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}
