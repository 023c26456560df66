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

  void it('returns the handle last given with each id (−1 without), through replace, remove and label reuse; load takes them from resolve', async () => {
    const dim = 4;
    const index = openIvfIndex({ dim, lists: 4, trainAt: 200, seed: 2 });
    const vs = clustered(400, dim, 4, 6);
    vs.forEach((v, i) => index.upsert(`v${i}`, v, i % 3 === 0 ? -1 : 1000 + i)); // trains on the way
    const handleOf = (id: string) => {
      const { ids, handles } = index.search(index.vector(id)!, 400, { ef: 4 });
      return handles![ids.indexOf(id)];
    };
    assert.equal(handleOf('v1'), 1001);
    assert.equal(handleOf('v3'), -1);
    index.upsert('v1', vs[1], 7);
    assert.equal(handleOf('v1'), 7);
    index.upsert('v2', vs[2]);
    assert.equal(handleOf('v2'), -1, 'a replace without a handle clears it');
    index.remove('v4');
    index.upsert('fresh', vs[4]); // reuses v4's label
    assert.equal(handleOf('fresh'), -1);
    const { ids, handles } = index.search(vs[10], 50);
    ids.forEach((id, i) => assert.equal(handles![i], handleOf(id)));

    const dir = await mkdtemp(join(tmpdir(), 'feedloop-ivf-'));
    try {
      await index.save(dir);
      const bare = await IvfIndex.load(dir);
      assert.ok(Array.from(bare.search(vs[10], 50).handles!).every((h) => h === -1), 'handles are not in the snapshot');
      const resolved = await IvfIndex.load(dir, (id) => ({ id, handle: id.length }));
      const r = resolved.search(vs[10], 50);
      r.ids.forEach((id, i) => assert.equal(r.handles![i], id.length));
      assert.deepEqual(r.ids, ids);
      bare.close();
      resolved.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
      index.close();
    }
  });

  void it('vectorView reads the stored vector without a copy; vector() is a copy', () => {
    const index = openIvfIndex({ dim: 4, lists: 2, trainAt: 50 });
    const vs = clustered(60, 4, 2, 8);
    vs.forEach((v, i) => index.upsert(`v${i}`, v));
    const view = index.vectorView('v7')!;
    assert.deepEqual(view, vs[7].map((x) => Math.fround(x)));
    assert.deepEqual(index.vector('v7'), view);
    assert.notEqual(index.vector('v7')!.buffer, view.buffer, 'vector() copies');
    assert.equal(index.vectorView('missing'), undefined);
    index.close();
  });
});
