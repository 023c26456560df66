/**
 * Exact `AnnIndex`: every search scans all vectors. Vectors live in one Float32Array slab (row-major, `dim` floats a
 * row) with an id→row map; a removal moves the last row into the hole, so the scan stays dense. Top-k is a
 * bounded min-heap over typed arrays (O(n log k)), the filter is asked only about items that would enter it.
 *
 * Use it for small catalogs (≈ 30 ms per query at 200k × 64 on one core), as the reference in tests and as the
 * baseline of the retrieval benchmark. Snapshot: `manifest.json` (ids in row order) + one raw little-endian
 * float32 file.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptDataError } from '../../errors.js';
import { siftDown, siftUp } from '../../util/top-k-heap.js';
import type { AnnIndex, AnnResult, AnnSearchOptions } from './ann-index.js';
import { writeFileAtomic } from '../../util/file-io.js';
import { checkK, checkVector, commitManifest, newGeneration, readManifest } from './ann-index.js';

const DATA_PREFIX = 'vectors-';

interface BruteForceManifest {
  kind: 'brute-force';
  version: 1;
  dim: number;
  ids: string[];
  vectorsFile: string;
}

export class BruteForceIndex implements AnnIndex {
  readonly name = 'brute-force';
  readonly dim: number;
  private slab: Float32Array;
  private readonly ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  private closed = false;

  constructor(opts: { dim: number; capacity?: number }) {
    if (!Number.isInteger(opts.dim) || opts.dim <= 0) throw new RangeError(`dim must be a positive integer, got ${opts.dim}`);
    this.dim = opts.dim;
    this.slab = new Float32Array(Math.max(1, opts.capacity ?? 1024) * opts.dim);
  }

  /** Loads a snapshot written by `save`. */
  static async load(dir: string): Promise<BruteForceIndex> {
    const m = await readManifest<BruteForceManifest>(dir, 'brute-force');
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, m.vectorsFile));
    } catch (err) {
      throw new CorruptDataError(`snapshot in ${dir} lacks ${m.vectorsFile}`, { cause: err });
    }
    if (bytes.byteLength !== m.ids.length * m.dim * 4) {
      throw new CorruptDataError(`${m.vectorsFile} has ${bytes.byteLength} bytes, expected ${m.ids.length * m.dim * 4}`);
    }
    const index = new BruteForceIndex({ dim: m.dim, capacity: m.ids.length });
    new Uint8Array(index.slab.buffer).set(bytes);
    m.ids.forEach((id, row) => {
      index.ids.push(id);
      index.rowOf.set(id, row);
    });
    return index;
  }

  get size(): number {
    return this.ids.length;
  }

  /** The live vectors, row-major (row r belongs to `idAt(r)`); a view, valid until the next mutation. */
  rows(): Float32Array {
    return this.slab.subarray(0, this.ids.length * this.dim);
  }

  idAt(row: number): string {
    return this.ids[row];
  }

  upsert(id: string, vector: Float32Array): void {
    this.open();
    checkVector(vector, this.dim, 'vector');
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.ids.length;
      if ((row + 1) * this.dim > this.slab.length) {
        const grown = new Float32Array(this.slab.length * 2);
        grown.set(this.slab);
        this.slab = grown;
      }
      this.ids.push(id);
      this.rowOf.set(id, row);
    }
    this.slab.set(vector, row * this.dim);
  }

  remove(id: string): boolean {
    this.open();
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    const last = this.ids.length - 1;
    if (row !== last) {
      const moved = this.ids[last];
      this.slab.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      this.ids[row] = moved;
      this.rowOf.set(moved, row);
    }
    this.ids.pop();
    this.rowOf.delete(id);
    return true;
  }

  has(id: string): boolean {
    this.open();
    return this.rowOf.has(id);
  }

  vector(id: string): Float32Array | undefined {
    this.open();
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.slab.slice(row * this.dim, (row + 1) * this.dim);
  }

  search(query: Float32Array, k: number, opts: AnnSearchOptions = {}): AnnResult {
    this.open();
    checkVector(query, this.dim, 'query');
    checkK(k);
    const n = this.ids.length;
    const cap = Math.min(k, n);
    if (cap === 0) return { ids: [], scores: new Float32Array(0) };
    const { filter } = opts;
    const dim = this.dim;
    const slab = this.slab;
    // min-heap on score: heapScores[0] is the worst of the kept items
    const heapScores = new Float32Array(cap);
    const heapRows = new Int32Array(cap);
    let size = 0;
    for (let row = 0, off = 0; row < n; row++, off += dim) {
      let s = 0;
      let j = 0;
      for (; j + 3 < dim; j += 4) {
        s += slab[off + j] * query[j] + slab[off + j + 1] * query[j + 1] + slab[off + j + 2] * query[j + 2] + slab[off + j + 3] * query[j + 3];
      }
      for (; j < dim; j++) s += slab[off + j] * query[j];
      s = Math.fround(s);
      if (size === cap && s <= heapScores[0]) continue;
      if (filter && !filter(this.ids[row])) continue;
      if (size < cap) {
        siftUp(heapScores, heapRows, size++, s, row);
      } else {
        siftDown(heapScores, heapRows, size, s, row);
      }
    }
    // pop the heap worst-first into the tail of the output
    const ids = new Array<string>(size);
    const scores = new Float32Array(size);
    for (let i = size - 1; i >= 0; i--) {
      ids[i] = this.ids[heapRows[0]];
      scores[i] = heapScores[0];
      const lastScore = heapScores[i];
      const lastRow = heapRows[i];
      if (i > 0) siftDown(heapScores, heapRows, i, lastScore, lastRow);
    }
    return { ids, scores };
  }

  async save(dir: string): Promise<void> {
    this.open();
    await mkdir(dir, { recursive: true });
    const vectorsFile = `${DATA_PREFIX}${newGeneration()}.f32`;
    const live = this.rows();
    await writeFileAtomic(join(dir, vectorsFile), new Uint8Array(live.buffer, live.byteOffset, live.byteLength));
    const manifest: BruteForceManifest = { kind: 'brute-force', version: 1, dim: this.dim, ids: [...this.ids], vectorsFile };
    await commitManifest(dir, manifest, DATA_PREFIX, [vectorsFile]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.slab = new Float32Array(0);
    this.ids.length = 0;
    this.rowOf.clear();
  }

  private open(): void {
    if (this.closed) throw new Error('brute-force index is closed');
  }
}
