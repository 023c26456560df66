import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../src/util/prng.js';
import { IvfIndex, openIvfIndex } from '../../src/retrieval/ann/ivf-index.js';
import { annIndexConformance } from '../conformance/ann-index.conformance.js';

// untrained (below trainAt): behaves like brute force
annIndexConformance('ivf (untrained)', {
  open: ({ dim, capacity }) => openIvfIndex({ dim, capacity, lists: 16, nprobe: 4 }),
  load: (dir) => IvfIndex.load(dir),
});

// trained early (after 100 vectors, 8 lists): the conformance beam (ef 2000) probes every list, so searches are exact
annIndexConformance('ivf (trained)', {
  open: ({ dim, capacity }) => openIvfIndex({ dim, capacity, lists: 8, nprobe: 3, trainAt: 100, trainSample: 80, seed: 3 }),
  load: (dir) => IvfIndex.load(dir),
});

function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => rand() * 2 - 1));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(rand() * clusters)];
    return c.map((x) => x + (rand() - 0.5) * 0.2);
  });
}

void describe('IvfIndex', () => {
  void it('trains automatically at trainAt, then keeps every vector and finds near neighbours with few probes', () => {
    const dim = 8;
    const index = openIvfIndex({ dim, lists: 10, nprobe: 3, trainAt: 500, seed: 5 });
    const vs = clustered(2000, dim, 10, 9);
    vs.forEach((v, i) => {
      index.upsert(`v${i}`, v);
      assert.equal(index.trained, i + 1 >= 500);
    });
    assert.equal(index.size, 2000);
    vs.forEach((v, i) => assert.deepEqual(index.vector(`v${i}`), v));
    // a vector's own exact top-1 (the full scan) is found by the probed search too for nearly all queries
    let hits = 0;
    for (let i = 0; i < 200; i++) {
      const exact = index.search(vs[i], 1, { ef: 10 }).ids[0];
      if (index.search(vs[i], 1).ids[0] === exact) hits++;
    }
    assert.ok(hits >= 190, `hits ${hits}`);
    index.close();
  });

  void it('train() refuses with fewer vectors than lists, and a trained snapshot reloads trained', async () => {
    const dim = 4;
    const index = openIvfIndex({ dim, lists: 4, trainAt: Infinity });
    index.upsert('a', new Float32Array([1, 0, 0, 0]));
    assert.throws(() => index.train(), RangeError);
    const vs = clustered(300, dim, 4, 2);
    vs.forEach((v, i) => index.upsert(`v${i}`, v));
    assert.equal(index.trained, false);
    index.train();
    assert.equal(index.trained, true);
    const dir = await mkdtemp(join(tmpdir(), 'feedloop-ivf-'));
    try {
      await index.save(dir);
      const loaded = await IvfIndex.load(dir);
      assert.equal(loaded.trained, true);
      assert.equal(loaded.trainAt, Infinity);
      assert.equal(loaded.size, 301);
      for (const q of vs.slice(0, 20)) assert.deepEqual(loaded.search(q, 10), index.search(q, 10));
      loaded.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
      index.close();
    }
  });
});
