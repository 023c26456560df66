import { BruteForceIndex } from '../../src/retrieval/ann/brute-force-index.js';
import { HnswIndex, openHnswIndex } from '../../src/retrieval/ann/hnsw-index.js';
import { annIndexConformance } from '../conformance/ann-index.conformance.js';

annIndexConformance('hnsw', {
  open: ({ dim, capacity }) => openHnswIndex({ dim, capacity, M: 8, efConstruction: 100, efSearch: 64, seed: 7 }),
  load: (dir) => HnswIndex.load(dir),
});

annIndexConformance('brute-force', {
  open: ({ dim, capacity }) => new BruteForceIndex({ dim, capacity }),
  load: (dir) => BruteForceIndex.load(dir),
});
