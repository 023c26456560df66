import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../src/util/prng.js';
import { buildIvfInWorker, type IvfBuildInput } from '../../src/retrieval/ann/ivf-build.js';

const dim = 8;
const n = 600;

function inputs(dir: string, lists = 6, listsExact = false): IvfBuildInput {
  const rand = mulberry32(4);
  const vectors = Float32Array.from({ length: n * dim }, () => rand() * 2 - 1);
  return { dim, lists, listsExact, nprobe: 2, ids: Array.from({ length: n }, (_, i) => `item-${i}`), vectors, dir };
}

const queries = Array.from({ length: 5 }, (_, q) => Float32Array.from({ length: dim }, (_, i) => Math.sin(q * 7 + i)));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ivf-build-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void describe('buildIvfInWorker', () => {
  void it('reuses the saved index: equal inputs give the same searches; a changed catalog is applied as live upserts and removals would be', () =>
    withDir(async (dir) => {
      const first = await buildIvfInWorker(inputs(dir));
      assert.deepEqual([first.outcome, first.upserted, first.index.size], ['built', n, n]);
      const withHandles = await buildIvfInWorker(inputs(dir), Int32Array.from({ length: n }, (_, i) => 5 * i));
      const h = withHandles.index.search(queries[0], 20, { ef: 6 });
      h.ids.forEach((id, i) => assert.equal(h.handles![i], 5 * Number(id.slice(5)), 'the caller\'s handles'));

      const again = await buildIvfInWorker(inputs(dir));
      assert.deepEqual([again.outcome, again.upserted, again.removed], ['reused', 0, 0]);
      for (const q of queries) assert.deepEqual(again.index.search(q, 10, { ef: 2 }), first.index.search(q, 10, { ef: 2 }));

      // the catalog since: item-17's vector changed, item-3 gone, item-new uploaded
      const next = inputs(dir);
      const changed = Float32Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0));
      next.vectors.set(changed, 17 * dim);
      const newVector = Float32Array.from({ length: dim }, (_, i) => (i === 1 ? -1 : 0.1));
      next.ids[3] = 'item-new';
      next.vectors.set(newVector, 3 * dim);
      const r = await buildIvfInWorker(next);
      assert.deepEqual([r.outcome, r.upserted, r.removed], ['reused', 2, 1]);
      // the same operations on the first index, in this thread
      first.index.remove('item-3');
      first.index.upsert('item-17', changed);
      first.index.upsert('item-new', newVector);
      assert.equal(r.index.size, n);
      assert.deepEqual(r.index.vector('item-17'), changed);
      assert.ok(r.index.has('item-new') && !r.index.has('item-3'));
      for (const q of [...queries, changed, newVector]) assert.deepEqual(r.index.search(q, 10, { ef: 2 }), first.index.search(q, 10, { ef: 2 }));
    }));

  void it('rebuilds when the list count no longer fits (configured: exactly; derived from the catalog: within √2)', () =>
    withDir(async (dir) => {
      await buildIvfInWorker(inputs(dir, 6));
      const near = await buildIvfInWorker(inputs(dir, 8));
      assert.deepEqual([near.outcome, near.index.lists], ['reused', 6]);
      const far = await buildIvfInWorker(inputs(dir, 9));
      assert.deepEqual([far.outcome, far.index.lists], ['built', 9]);
      assert.equal((await buildIvfInWorker(inputs(dir, 10, true))).outcome, 'built');
      assert.equal((await buildIvfInWorker(inputs(dir, 10, true))).outcome, 'reused');
    }));

  void it('rebuilds when the saved data file is torn', () =>
    withDir(async (dir) => {
      const first = await buildIvfInWorker(inputs(dir));
      const data = (await readdir(dir)).find((f) => f.endsWith('.f32'))!;
      await truncate(join(dir, data), 100);
      const rebuilt = await buildIvfInWorker(inputs(dir));
      assert.equal(rebuilt.outcome, 'built');
      for (const q of queries) assert.deepEqual(rebuilt.index.search(q, 10, { ef: 6 }), first.index.search(q, 10, { ef: 6 }));
    }));
});
