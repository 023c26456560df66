// Dataset import: tiny generated fixtures in each dataset's real file format (never the real dataset files), a fake
// in-memory Ingestor that records what it gets, and Ajv checks that every produced record matches the wire schemas.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { EventSchema, ItemSchema, UserSchema } from '../../src/domain/schemas.js';
import type { IngestResult, Ingestor } from '../../src/ingest/ingestor.js';
import { DATASETS, importDataset, type ImportProgress } from '../../src/ingest/import-dataset.js';
import { SYNTHETIC_BASE_MS } from '../../src/ingest/datasets/dataset-source.js';
import { ageBucket, parseReleaseDate, ratingToEventType } from '../../src/ingest/datasets/movielens-100k.js';
import { ValidationError } from '../../src/errors.js';

type Rec = Record<string, unknown>;

/** Records every call; counts an event id seen before as a duplicate; can reject chosen record ids. */
class RecordingIngestor implements Ingestor {
  items: Rec[] = [];
  users: Rec[] = [];
  events: Rec[] = [];
  batchSizes: number[] = [];
  private seen = new Set<string>();
  constructor(private readonly rejectIds: ReadonlySet<string> = new Set()) {}
  async ingestEvents(raw: readonly unknown[]): Promise<IngestResult> {
    this.batchSizes.push(raw.length);
    const out: IngestResult = { accepted: 0, duplicates: 0, rejected: [] };
    raw.forEach((r, index) => {
      const e = r as Rec;
      if (this.rejectIds.has(String(e.id))) {
        out.rejected.push({ index, code: 'invalid_field', field: 'item_id', message: 'test rejection' });
      } else if (this.seen.has(String(e.id))) out.duplicates++;
      else {
        this.seen.add(String(e.id));
        this.events.push(e);
        out.accepted++;
      }
    });
    return out;
  }
  async upsertItems(raw: readonly unknown[]): Promise<IngestResult> {
    this.items.push(...(raw as Rec[]));
    return { accepted: raw.length, duplicates: 0, rejected: [] };
  }
  async upsertUsers(raw: readonly unknown[]): Promise<IngestResult> {
    this.users.push(...(raw as Rec[]));
    return { accepted: raw.length, duplicates: 0, rejected: [] };
  }
  async deleteItem(): Promise<void> {}
}

const ajv = new Ajv({ strict: false });
const validators = { items: ajv.compile(ItemSchema), users: ajv.compile(UserSchema), events: ajv.compile(EventSchema) };
function assertAllValid(ing: RecordingIngestor): void {
  for (const kind of ['items', 'users', 'events'] as const) {
    for (const r of ing[kind]) assert.ok(validators[kind](r), `${kind} ${JSON.stringify(r)}: ${ajv.errorsText(validators[kind].errors)}`);
  }
}

const genres = (...on: number[]) => Array.from({ length: 19 }, (_, g) => (on.includes(g) ? '1' : '0')).join('|');

async function writeFixtures(dir: string): Promise<void> {
  const ml = join(dir, 'movielens-100k');
  await mkdir(ml, { recursive: true });
  const items = [
    `1|Toy Story (1995)|01-Jan-1995||http://x|${genres(3, 4, 5)}`,
    `2|Misérables, Les (1995)|15-Mar-1995||http://x|${genres(8)}`,
    `3|unknown||||${genres(0)}`,
    `4|No Genre (1996)|bad-date||http://x|${genres()}`,
  ];
  await writeFile(join(ml, 'u.item'), Buffer.from(items.join('\n') + '\n', 'latin1'));
  await writeFile(join(ml, 'u.user'), '1|24|M|technician|85711\n2|17|F|other|94043\n3|70|M|writer|32067\n');
  // user item rating unix_ts, deliberately out of time order, with a tie at 1000.
  const data = ['1\t1\t5\t3000', '2\t1\t3\t1000', '3\t2\t1\t2000', '1\t2\t4\t1000', '2\t3\t2\t4000', '3\t4\t3\t500'];
  await writeFile(join(ml, 'u.data'), data.join('\n') + '\n');

  const m1 = join(dir, 'movielens-1m', 'lightgcnpp_split');
  await mkdir(m1, { recursive: true });
  await writeFile(join(m1, 'train.txt'), '0 0 1 2 \n1 2 3\n2 4\n');
  await writeFile(join(m1, 'valid.txt'), '0 3\n1 0\n');
  await writeFile(join(m1, 'test.txt'), '0 5\n3 1\n');

  const kr = join(dir, 'kuairec', 'sigformer_split');
  await mkdir(kr, { recursive: true });
  await writeFile(join(kr, 'train.txt'), '1 10 1.00\n0 11 0.00\n1 12 0.00\n0 10 1.00\n1 11 1.00\n');
  await writeFile(join(kr, 'valid.txt'), '0 12 1.00\n');
  await writeFile(join(kr, 'test.txt'), '2 13 0.00\n');
}

void describe('importDataset', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedloop-import-'));
    await writeFixtures(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('maps MovieLens 100K items, users and ratings, in time order', async () => {
    const ing = new RecordingIngestor();
    const progress: ImportProgress[] = [];
    const s = await importDataset(ing, { dataset: 'movielens-100k', datasetsDir: dir, onProgress: (p) => progress.push(p) });
    assert.equal(s.dataset, 'movielens-100k');
    assert.deepEqual(s.items, { accepted: 4, duplicates: 0, rejected: 0 });
    assert.deepEqual(s.users, { accepted: 3, duplicates: 0, rejected: 0 });
    assert.deepEqual(s.events, { accepted: 6, duplicates: 0, rejected: 0 });
    assert.deepEqual(ing.items[0], {
      id: '1', author_id: 'movielens', created_at: Date.UTC(1995, 0, 1), text: 'Toy Story (1995)',
      category: 'Animation', tags: ['Animation', "Children's", 'Comedy'],
    });
    assert.equal(ing.items[1].text, 'Misérables, Les (1995)');
    assert.equal(ing.items[1].created_at, Date.UTC(1995, 2, 15));
    assert.equal(ing.items[2].created_at, 0);
    assert.equal(ing.items[2].category, 'unknown');
    assert.equal(ing.items[3].created_at, 0);
    assert.equal('tags' in ing.items[3], false);
    assert.deepEqual(ing.users, [{ id: '1', age_bucket: '18-24' }, { id: '2', age_bucket: '0-17' }, { id: '3', age_bucket: '65+' }]);
    assert.deepEqual(
      ing.events.map((e) => [e.id, e.type, e.ts]),
      [
        ['ml100k:3:4', 'complete', 500_000],
        ['ml100k:2:1', 'complete', 1_000_000],
        ['ml100k:1:2', 'like', 1_000_000],
        ['ml100k:3:2', 'skip', 2_000_000],
        ['ml100k:1:1', 'like', 3_000_000],
        ['ml100k:2:3', 'skip', 4_000_000],
      ],
    );
    assert.deepEqual(ing.events[0], { id: 'ml100k:3:4', type: 'complete', user_id: '3', item_id: '4', ts: 500_000 });
    assert.deepEqual(progress.at(-1), { phase: 'events', done: 6, total: 6 });
    assert.deepEqual(progress.map((p) => p.phase), ['items', 'users', 'events']);
    assertAllValid(ing);
  });

  void it('re-importing counts duplicates instead of doubling events', async () => {
    const ing = new RecordingIngestor();
    await importDataset(ing, { dataset: 'movielens-100k', datasetsDir: dir });
    const again = await importDataset(ing, { dataset: 'movielens-100k', datasetsDir: dir });
    assert.deepEqual(again.events, { accepted: 0, duplicates: 6, rejected: 0 });
    assert.equal(ing.events.length, 6);
  });

  void it('imports the ML-1M split: train as likes, catalog from all files, synthetic round-robin times', async () => {
    const ing = new RecordingIngestor();
    const s = await importDataset(ing, { dataset: 'movielens-1m-split', datasetsDir: dir });
    assert.deepEqual(s.items, { accepted: 6, duplicates: 0, rejected: 0 });
    assert.deepEqual(ing.items.map((i) => i.id), ['0', '1', '2', '3', '4', '5']);
    assert.deepEqual(ing.items[0], { id: '0', author_id: 'movielens', created_at: 0 });
    assert.deepEqual(ing.users, [{ id: '0' }, { id: '1' }, { id: '2' }, { id: '3' }]);
    assert.deepEqual(
      ing.events.map((e) => [e.id, e.type, (e.ts as number) - SYNTHETIC_BASE_MS]),
      [
        ['ml1m:0:0', 'like', 0],
        ['ml1m:1:2', 'like', 0],
        ['ml1m:2:4', 'like', 0],
        ['ml1m:0:1', 'like', 1000],
        ['ml1m:1:3', 'like', 1000],
        ['ml1m:0:2', 'like', 2000],
      ],
    );
    assertAllValid(ing);

    const withValid = new RecordingIngestor();
    const v = await importDataset(withValid, { dataset: 'movielens-1m-split', datasetsDir: dir, includeValid: true });
    assert.equal(v.events.accepted, 8);
    assert.ok(withValid.events.some((e) => e.id === 'ml1m:0:3' && e.ts === SYNTHETIC_BASE_MS + 3000));
  });

  void it('imports the KuaiRec split: label 1 → complete, 0 → skip', async () => {
    const ing = new RecordingIngestor();
    const s = await importDataset(ing, { dataset: 'kuairec-split', datasetsDir: dir });
    assert.deepEqual(s.items, { accepted: 4, duplicates: 0, rejected: 0 });
    assert.deepEqual(ing.users.map((u) => u.id), ['0', '1', '2']);
    assert.deepEqual(ing.items[0], { id: '10', author_id: 'kuairec', created_at: 0 });
    assert.deepEqual(
      ing.events.map((e) => [e.id, e.type, e.user_id, e.item_id, (e.ts as number) - SYNTHETIC_BASE_MS]),
      [
        ['kuairec:0:11', 'skip', '0', '11', 0],
        ['kuairec:1:10', 'complete', '1', '10', 0],
        ['kuairec:0:10', 'complete', '0', '10', 1000],
        ['kuairec:1:12', 'skip', '1', '12', 1000],
        ['kuairec:1:11', 'complete', '1', '11', 2000],
      ],
    );
    assertAllValid(ing);
  });

  void it('emits batches of at most 1000 records and non-decreasing ts on a larger split', async () => {
    const big = await mkdtemp(join(tmpdir(), 'feedloop-import-big-'));
    try {
      const kr = join(big, 'kuairec', 'sigformer_split');
      await mkdir(kr, { recursive: true });
      const lines = Array.from({ length: 2500 }, (_, n) => `${n % 7} ${n} ${n % 3 === 0 ? '1.00' : '0.00'}`);
      await writeFile(join(kr, 'train.txt'), lines.join('\n'));
      await writeFile(join(kr, 'valid.txt'), '');
      await writeFile(join(kr, 'test.txt'), '');
      const ing = new RecordingIngestor();
      const s = await importDataset(ing, { dataset: 'kuairec-split', datasetsDir: big });
      assert.equal(s.events.accepted, 2500);
      assert.deepEqual(ing.batchSizes, [1000, 1000, 500]);
      for (let n = 1; n < ing.events.length; n++) assert.ok((ing.events[n].ts as number) >= (ing.events[n - 1].ts as number));
    } finally {
      await rm(big, { recursive: true, force: true });
    }
  });

  void it('reports rejections with their index over the whole import', async () => {
    const ing = new RecordingIngestor(new Set(['ml100k:3:2']));
    const s = await importDataset(ing, { dataset: 'movielens-100k', datasetsDir: dir });
    assert.deepEqual(s.events, { accepted: 5, duplicates: 0, rejected: 1 });
    assert.deepEqual(s.firstRejections, [
      { kind: 'events', index: 3, code: 'invalid_field', field: 'item_id', message: 'test rejection' },
    ]);
  });

  void it('rejects a missing file naming the path, before ingesting anything', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'feedloop-import-empty-'));
    try {
      for (const dataset of DATASETS) {
        const ing = new RecordingIngestor();
        await assert.rejects(importDataset(ing, { dataset, datasetsDir: empty }), (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.equal(err.code, 'dataset_file_missing');
          assert.ok(err.message.includes(empty), err.message);
          return true;
        });
        assert.equal(ing.items.length, 0);
      }
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  void it('rejects an unknown dataset naming the field and the allowed values', async () => {
    await assert.rejects(importDataset(new RecordingIngestor(), { dataset: 'netflix', datasetsDir: dir }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.field, 'dataset');
      for (const d of DATASETS) assert.ok(err.message.includes(d));
      return true;
    });
  });

  void it('rejects a malformed line with file and line number', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'feedloop-import-bad-'));
    try {
      const kr = join(bad, 'kuairec', 'sigformer_split');
      await mkdir(kr, { recursive: true });
      await writeFile(join(kr, 'train.txt'), '0 1 1.00\n0 2 maybe\n');
      await writeFile(join(kr, 'valid.txt'), '');
      await writeFile(join(kr, 'test.txt'), '');
      await assert.rejects(importDataset(new RecordingIngestor(), { dataset: 'kuairec-split', datasetsDir: bad }), /train\.txt:2/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

void describe('MovieLens mapping helpers', () => {
  void it('maps ratings, ages and release dates', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(ratingToEventType), ['skip', 'skip', 'complete', 'like', 'like']);
    assert.deepEqual([7, 18, 24, 25, 34, 35, 50, 64, 65, 73].map(ageBucket), [
      '0-17', '18-24', '18-24', '25-34', '25-34', '35-44', '45-54', '55-64', '65+', '65+',
    ]);
    assert.equal(parseReleaseDate('01-Jan-1995'), Date.UTC(1995, 0, 1));
    assert.equal(parseReleaseDate(''), 0);
    assert.equal(parseReleaseDate('31-Foo-1995'), 0);
  });
});
