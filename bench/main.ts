/**
 * `npm run bench -- NAME`: runs one benchmark and prints a short table, then one JSON object as the last line.
 * Benchmarks start what they need on the embedded default in a temporary directory.
 */
import { benchFeed } from './feed.js';
import { benchFeatureRead } from './feature-read.js';
import { benchFreshness } from './freshness.js';
import { benchIngest } from './ingest.js';
import { benchLog } from './log.js';
import { benchRetrieval, compareAnnLibraries } from './retrieval.js';
import { benchTrainRetrieval } from './train-retrieval.js';
import { benchFeatureMemory } from './memory.js';
import { benchRanker } from './ranker.js';
import { benchTrainRanking } from './train-ranking.js';

const BENCHES: Record<string, { what: string; run: () => Promise<Record<string, number>> }> = {
  ingest: { what: 'HTTP ingest, batches of 500, fsync before ack, processor running', run: () => benchIngest() },
  freshness: { what: 'ack of a like → visible in user and item features, under ingest load', run: () => benchFreshness() },
  feed: { what: 'GET /v1/feed, demo world 100k items / 20k users, warm features, 1 client then 8', run: () => benchFeed() },
  faults: { what: 'the feed bench, then the same data served with a ranker 50 ms late, a failing ANN source, a failing feature store', run: () => benchFeed({ withFaults: true }) },
  retrieval: { what: 'ANN (IVF-Flat, as served; FEEDLOOP_BENCH_RETRIEVAL_INDEX=hnsw for hnswlib) over 1M × 64 item vectors: recall vs exact, user tower + 500 candidates, live inserts', run: () => benchRetrieval() },
  'ann-compare': { what: 'hnswlib-node vs usearch, 200k × 64, k = 500', run: () => compareAnnLibraries() },
  'train-retrieval': { what: 'two-tower training on the ML-1M LightGCN++ split (full run, early stopping on valid)', run: () => benchTrainRetrieval() },
  'feature-read': { what: 'filters + feature assembly of 1000 random candidates over 1M items, in process: column vs row layout, two reads vs one', run: () => benchFeatureRead() },
  ranker: { what: 'learned ranker on 1000 candidates (feature assembly + model) vs the bare onnxruntime call, in process', run: () => benchRanker() },
  'train-ranking': { what: 'multi-task ranker training throughput on MovieLens-100K backfilled examples', run: () => benchTrainRanking() },
  log: { what: 'embedded segment log alone: append (fsync) and consume', run: () => benchLog() },
  'feature-memory': { what: 'feature store bytes per item and user at 200k items / 200k users', run: () => benchFeatureMemory() },
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}>`);
    process.exit(2);
  }
  console.log(`# ${name}: ${bench.what}`);
  const result = await bench.run();
  for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(28)} ${v}`);
  console.log(JSON.stringify({ bench: name, ...result }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
