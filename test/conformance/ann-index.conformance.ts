/**
 * Conformance suite of the `AnnIndex` port (src/retrieval/ann/ann-index.ts). Every adapter's test calls
 * `annIndexConformance(name, factory)`.
 *
 * The reference is an exact inner-product top-k computed here in plain loops (float64), so the suite checks the
 * brute-force adapter too. Sizes are small (≤ 600 vectors, dim 16) and approximate adapters are searched with a beam
 * (`ef`) above the index size, where HNSW visits every reachable node and must be exact: recall 1.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptDataError, ValidationError } from '../../src/errors.js';
import { mulberry32, type Rand } from '../../src/util/prng.js';
import type { AnnIndex, AnnResult } from '../../src/retrieval/ann/ann-index.js';

export interface AnnConformanceFactory {
  /** Opens an empty index; `capacity` is a hint the adapter may use as its initial size. */
  open(opts: { dim: number; capacity?: number }): AnnIndex;
  /** The adapter's static load. */
  load(dir: string): Promise<AnnIndex>;
}

const DIM = 16;
/** A beam above every index size used here: approximate adapters must then be exact. */
const EF = 2000;

function gaussian(rand: Rand): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function randomVectors(n: number, dim: number, seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, () => gaussian(rand)));
}

/** Exact top-k by inner product over `items` (float64 sums), best first. */
function exactTopK(items: ReadonlyMap<string, Float32Array>, q: Float32Array, k: number, keep: (id: string) => boolean = () => true) {
  const scored: { id: string; score: number }[] = [];
  for (const [id, v] of items) {
    if (!keep(id)) continue;
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j] * q[j];
    scored.push({ id, score: s });
  }
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, k);
}

function assertExact(got: AnnResult, want: { id: string; score: number }[], what: string): void {
  assert.deepEqual(got.ids, want.map((w) => w.id), `${what}: ids`);
  assert.equal(got.scores.length, got.ids.length, `${what}: scores length`);
  want.forEach((w, i) => assert.ok(Math.abs(got.scores[i] - w.score) < 1e-4 * (1 + Math.abs(w.score)), `${what}: score ${i} ${got.scores[i]} vs ${w.score}`));
}

function assertSortedUnique(r: AnnResult): void {
  assert.equal(new Set(r.ids).size, r.ids.length, 'ids are unique');
  for (let i = 1; i < r.scores.length; i++) assert.ok(r.scores[i - 1] >= r.scores[i], `scores descending at ${i}`);
}

function fill(index: AnnIndex, vectors: Float32Array[], prefix = 'i'): Map<string, Float32Array> {
  const items = new Map<string, Float32Array>();
  vectors.forEach((v, i) => {
    index.upsert(`${prefix}${i}`, v);
    items.set(`${prefix}${i}`, v);
  });
  return items;
}

/** Runs the AnnIndex conformance tests against the adapter that `factory` opens. */
export function annIndexConformance(name: string, factory: AnnConformanceFactory): void {
  void describe(`AnnIndex conformance: ${name}`, () => {
    const dirs: string[] = [];
    after(async () => {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    });
    const tempDir = async () => {
      const d = await mkdtemp(join(tmpdir(), 'feedloop-ann-'));
      dirs.push(d);
      return d;
    };

    function withIndex(fn: (index: AnnIndex) => void | Promise<void>, capacity?: number): () => Promise<void> {
      return async () => {
        const index = factory.open({ dim: DIM, capacity });
        try {
          await fn(index);
        } finally {
          index.close();
        }
      };
    }

    void it('starts empty', withIndex((index) => {
      assert.equal(index.dim, DIM);
      assert.equal(index.size, 0);
      assert.equal(index.has('x'), false);
      assert.equal(index.vector('x'), undefined);
      assert.deepEqual(index.search(new Float32Array(DIM).fill(1), 10).ids, []);
      assert.equal(index.remove('x'), false);
    }));

    void it('returns the exact top k on small data (recall 1 with a beam above n)', withIndex((index) => {
      const items = fill(index, randomVectors(500, DIM, 1));
      assert.equal(index.size, 500);
      for (const [qi, q] of randomVectors(30, DIM, 2).entries()) {
        for (const k of [1, 10, 50]) {
          const got = index.search(q, k, { ef: EF });
          assertExact(got, exactTopK(items, q, k), `query ${qi} k ${k}`);
        }
      }
    }));

    void it('returns at most size items when k exceeds it, best first; k = 0 gives none', withIndex((index) => {
      const items = fill(index, randomVectors(7, DIM, 3));
      const q = randomVectors(1, DIM, 4)[0];
      const got = index.search(q, 100, { ef: EF });
      assertExact(got, exactTopK(items, q, 7), 'k > size');
      assertSortedUnique(got);
      assert.deepEqual(index.search(q, 0).ids, []);
      assert.throws(() => index.search(q, -1), (e: unknown) => e instanceof ValidationError && e.field === 'k');
    }));

    void it('upsert replaces the vector of an existing id', withIndex((index) => {
      const items = fill(index, randomVectors(200, DIM, 5));
      const [fresh] = randomVectors(1, DIM, 6);
      const huge = fresh.map((x) => x * 100);
      index.upsert('i7', huge);
      items.set('i7', huge);
      assert.equal(index.size, 200);
      assert.deepEqual(index.vector('i7'), huge);
      const top = index.search(fresh, 1, { ef: EF });
      assert.deepEqual(top.ids, ['i7']);
      for (const q of randomVectors(10, DIM, 7)) assertExact(index.search(q, 20, { ef: EF }), exactTopK(items, q, 20), 'after replace');
    }));

    void it('copies vectors in and out', withIndex((index) => {
      const v = Float32Array.from({ length: DIM }, (_, j) => j + 1);
      index.upsert('a', v);
      v.fill(0);
      const out = index.vector('a')!;
      assert.deepEqual(Array.from(out), Array.from({ length: DIM }, (_, j) => j + 1));
      out.fill(-1);
      assert.equal(index.vector('a')![0], 1);
    }));

    void it('never returns a removed id; re-upsert makes it live again', withIndex((index) => {
      const items = fill(index, randomVectors(300, DIM, 8));
      const removed = ['i0', 'i5', 'i77', 'i299'];
      const [q] = randomVectors(1, DIM, 9);
      // make the removed ids the best matches for q, so an index that kept them would surely return them
      for (const id of removed) {
        const v = q.map((x) => x * 50);
        index.upsert(id, v);
        items.set(id, v);
      }
      for (const id of removed) {
        assert.equal(index.remove(id), true);
        assert.equal(index.remove(id), false);
        items.delete(id);
        assert.equal(index.has(id), false);
        assert.equal(index.vector(id), undefined);
      }
      assert.equal(index.size, 296);
      const all = index.search(q, 1000, { ef: EF });
      assert.equal(all.ids.length, 296);
      for (const id of removed) assert.ok(!all.ids.includes(id), `${id} returned after remove`);
      assertExact(index.search(q, 25, { ef: EF }), exactTopK(items, q, 25), 'after remove');

      // new ids may reuse the removed slots; the removed ids stay hidden
      const extra = fill(index, randomVectors(10, DIM, 10), 'new');
      for (const [id, v] of extra) items.set(id, v);
      for (const id of removed) assert.ok(!index.search(q, 1000, { ef: EF }).ids.includes(id));
      assertExact(index.search(q, 25, { ef: EF }), exactTopK(items, q, 25), 'after inserts into freed slots');

      const back = q.map((x) => x * 60);
      index.upsert('i5', back);
      items.set('i5', back);
      assert.equal(index.has('i5'), true);
      assert.deepEqual(index.vector('i5'), back);
      assert.equal(index.search(q, 1, { ef: EF }).ids[0], 'i5');
      assertExact(index.search(q, 25, { ef: EF }), exactTopK(items, q, 25), 'after re-upsert');
    }));

    void it('removing everything leaves an empty index that accepts new items', withIndex((index) => {
      fill(index, randomVectors(40, DIM, 11));
      for (let i = 0; i < 40; i++) index.remove(`i${i}`);
      assert.equal(index.size, 0);
      const [q] = randomVectors(1, DIM, 12);
      assert.deepEqual(index.search(q, 10, { ef: EF }).ids, []);
      index.upsert('z', q);
      assert.deepEqual(index.search(q, 10, { ef: EF }).ids, ['z']);
    }));

    void it('finds the sole survivor after removals, also when its vector is replaced', withIndex((index) => {
      const vectors = randomVectors(60, DIM, 20);
      fill(index, vectors);
      for (let i = 1; i < 60; i++) index.remove(`i${i}`);
      const [q] = randomVectors(1, DIM, 21);
      assert.deepEqual(index.search(q, 5, { ef: EF }).ids, ['i0']);
      index.upsert('i0', q);
      assert.deepEqual(index.search(q, 5, { ef: EF }).ids, ['i0']);
      assert.deepEqual(index.vector('i0'), q);
      index.upsert('second', vectors[5]);
      assert.deepEqual(new Set(index.search(q, 5, { ef: EF }).ids), new Set(['i0', 'second']));
    }));

    void it('grows past its initial capacity', withIndex((index) => {
      const items = fill(index, randomVectors(600, DIM, 13));
      assert.equal(index.size, 600);
      for (const id of items.keys()) assert.ok(index.has(id));
      const [q] = randomVectors(1, DIM, 14);
      const all = index.search(q, 600, { ef: EF });
      assert.equal(new Set(all.ids).size, 600);
      assertExact(index.search(q, 40, { ef: EF }), exactTopK(items, q, 40), 'after growth');
    }, 8));

    void it('keeps only ids the filter accepts', withIndex((index) => {
      const items = fill(index, randomVectors(400, DIM, 15));
      const even = (id: string) => Number(id.slice(1)) % 2 === 0;
      let calls = 0;
      for (const q of randomVectors(10, DIM, 16)) {
        const got = index.search(q, 15, {
          ef: EF,
          filter: (id) => {
            calls++;
            return even(id);
          },
        });
        assertExact(got, exactTopK(items, q, 15, even), 'filtered');
      }
      assert.ok(calls > 0);
    }));

    void it('rejects vectors of the wrong length or with non-finite values, naming the field', withIndex((index) => {
      const isField = (field: string) => (e: unknown) => e instanceof ValidationError && e.field === field;
      assert.throws(() => index.upsert('a', new Float32Array(DIM - 1)), isField('vector'));
      assert.throws(() => index.upsert('a', new Float32Array(DIM + 1)), isField('vector'));
      const nan = new Float32Array(DIM);
      nan[3] = NaN;
      assert.throws(() => index.upsert('a', nan), isField('vector'));
      assert.equal(index.size, 0);
      index.upsert('a', new Float32Array(DIM).fill(1));
      assert.throws(() => index.search(new Float32Array(DIM * 2), 5), isField('query'));
    }));

    void it('round-trips save and load with identical results, and keeps working after load', async () => {
      const dir = await tempDir();
      const index = factory.open({ dim: DIM, capacity: 64 });
      const items = fill(index, randomVectors(400, DIM, 17));
      for (let i = 0; i < 400; i += 9) {
        index.remove(`i${i}`);
        items.delete(`i${i}`);
      }
      const queries = randomVectors(20, DIM, 18);
      await index.save(dir);
      // a second save over the first replaces it
      index.upsert('late', queries[0].map((x) => x * 10));
      items.set('late', queries[0].map((x) => x * 10));
      const before = queries.map((q) => index.search(q, 30));
      const beforeExact = queries.map((q) => index.search(q, 30, { ef: EF }));
      await index.save(dir);
      index.close();

      const loaded = await factory.load(dir);
      try {
        assert.equal(loaded.dim, DIM);
        assert.equal(loaded.size, items.size);
        for (const [id, v] of items) assert.deepEqual(loaded.vector(id), v, id);
        assert.equal(loaded.has('i0'), false);
        queries.forEach((q, i) => {
          const again = loaded.search(q, 30);
          assert.deepEqual(again.ids, before[i].ids, `query ${i} ids after load`);
          assert.deepEqual(again.scores, before[i].scores, `query ${i} scores after load`);
          assert.deepEqual(loaded.search(q, 30, { ef: EF }), beforeExact[i]);
        });
        assert.equal(loaded.search(queries[0], 1, { ef: EF }).ids[0], 'late');
        loaded.remove('late');
        items.delete('late');
        const more = fill(loaded, randomVectors(50, DIM, 19), 'post');
        for (const [id, v] of more) items.set(id, v);
        for (const q of queries.slice(0, 5)) assertExact(loaded.search(q, 30, { ef: EF }), exactTopK(items, q, 30), 'after load + inserts');
      } finally {
        loaded.close();
      }
    });

    void it('load of a directory without a snapshot throws CorruptDataError', async () => {
      const dir = await tempDir();
      await assert.rejects(factory.load(dir), CorruptDataError);
      await assert.rejects(factory.load(join(dir, 'missing')), CorruptDataError);
    });

    void it('close is idempotent and later calls throw', () => {
      const index = factory.open({ dim: DIM });
      index.upsert('a', new Float32Array(DIM).fill(1));
      index.close();
      index.close();
      assert.throws(() => index.search(new Float32Array(DIM), 1));
      assert.throws(() => index.upsert('b', new Float32Array(DIM)));
    });
  });
}
