import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServeRecord } from '../../src/domain/feed.js';
import { CorruptDataError, NotFoundError } from '../../src/errors.js';
import { openJsonlServeLog, SERVE_FILE_PATTERN } from '../../src/serve-log/jsonl-serve-log.js';
import { readServeLog, serveRecordsByRequestId } from '../../src/serve-log/read-serve-log.js';
import { candidateFeatures, encodeServeRecord } from '../../src/serve-log/record-codec.js';
import { rng, T0, tempDir } from '../helpers/fixtures.js';

const FEATURES = ['f0', 'f1', 'f2'];

function makeRecord(i: number, opts: { candidates?: number; features?: number; ts?: number } = {}): ServeRecord {
  const r = rng(i + 1);
  const nc = opts.candidates ?? 3;
  const nf = opts.features ?? FEATURES.length;
  return {
    request_id: `r${i}`,
    ts: opts.ts ?? T0 + i * 1000,
    user_id: `u${i % 7}`,
    session_id: `s${i % 3}`,
    variant: 'home',
    context: { limit: 20, known_user: i % 2 === 0, country: 'fr' },
    config_version: 'cfg-1',
    model_versions: { ranker: 'm-7' },
    feature_names: Array.from({ length: nf }, (_, k) => `f${k}`),
    candidates: Array.from({ length: nc }, (_, c) => ({ item_id: `i${c}`, sources: [{ name: 'trending', score: r() }] })),
    features: Float32Array.from({ length: nc * nf }, () => Math.round(r() * 1000) / 1000),
    scores: { score: Float32Array.from({ length: nc }, () => r()) },
    removed: [{ item_id: 'i99', filter: 'seen', reason: 'already_seen' }],
    slate: [{ item_id: 'i0', position: 0, score: 0.9, propensity: 1 }],
    timings_ms: { sources: 1.5, ranker: 2.25 },
    degraded: [],
  };
}

async function readAll(dir: string, opts?: { fromMs?: number; toMs?: number }): Promise<ServeRecord[]> {
  const out: ServeRecord[] = [];
  for await (const r of readServeLog(dir, opts)) out.push(r);
  return out;
}

async function logFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => SERVE_FILE_PATTERN.test(n)).sort();
}

void describe('jsonl serve log', () => {
  void it('round-trips many records in write order, float32 blocks bit-exact (NaN and ±Infinity too)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await openJsonlServeLog({ dir });
      const records = Array.from({ length: 2000 }, (_, i) => makeRecord(i));
      records[5].features.set([NaN, Infinity, -Infinity], 3);
      for (const r of records) assert.equal(log.write(r), true);
      await log.close();
      const st = log.stats();
      assert.deepEqual({ written: st.written, dropped: st.dropped, queued: st.queued, errors: st.errors }, { written: 2000, dropped: 0, queued: 0, errors: 0 });
      const files = await logFiles(dir);
      assert.equal(files.length, 1);
      assert.equal(st.bytes, (await stat(join(dir, files[0]))).size);
      const back = await readAll(dir);
      assert.equal(back.length, 2000);
      assert.deepEqual(Array.from(candidateFeatures(back[5], 1)), [NaN, Infinity, -Infinity]);
      assert.deepEqual(back, records);
    } finally {
      await cleanup();
    }
  });

  void it('rolls to a new file before one would pass maxFileBytes, and on every open', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const lineBytes = Buffer.byteLength(encodeServeRecord(makeRecord(0)) + '\n');
      const maxFileBytes = lineBytes * 3 + 10;
      const log = await openJsonlServeLog({ dir, maxFileBytes });
      for (let i = 0; i < 20; i++) log.write(makeRecord(i));
      await log.close();
      const first = await logFiles(dir);
      assert.ok(first.length >= 7, `${first.length} files`);
      for (const f of first) assert.ok((await stat(join(dir, f))).size <= maxFileBytes, f);

      const again = await openJsonlServeLog({ dir, maxFileBytes });
      again.write(makeRecord(20));
      await again.close();
      const second = await logFiles(dir);
      assert.equal(second.length, first.length + 1);
      assert.deepEqual(second.slice(0, first.length), first, 'the new file sorts after the old ones');
      assert.deepEqual((await readAll(dir)).map((r) => r.request_id), Array.from({ length: 21 }, (_, i) => `r${i}`));
    } finally {
      await cleanup();
    }
  });

  void it('drops (and counts) records when the queue is full, without throwing', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await openJsonlServeLog({ dir, maxQueueRecords: 5, flushIntervalMs: 60_000 });
      const results = Array.from({ length: 8 }, (_, i) => log.write(makeRecord(i)));
      assert.deepEqual(results, [true, true, true, true, true, false, false, false]);
      assert.deepEqual({ ...log.stats(), queuedBytes: 0 }, { written: 0, dropped: 3, queued: 5, queuedBytes: 0, bytes: 0, errors: 0 });
      assert.ok(log.stats().queuedBytes > 0);
      await log.flush();
      assert.equal(log.stats().written, 5);
      assert.equal(log.stats().queued, 0);
      assert.equal(log.write(makeRecord(8)), true, 'room again after the drain');
      await log.close();
      assert.deepEqual((await readAll(dir)).map((r) => r.request_id), ['r0', 'r1', 'r2', 'r3', 'r4', 'r8']);
    } finally {
      await cleanup();
    }
  });

  void it('bounds the queue by bytes too: records past maxQueueBytes are dropped and counted; one large record still fits an empty queue', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const big = (i: number) => makeRecord(i, { candidates: 500, features: 10 }); // ~26 KB of float blocks
      const log = await openJsonlServeLog({ dir, maxQueueRecords: 100, maxQueueBytes: 70_000, flushIntervalMs: 60_000 });
      const results = Array.from({ length: 5 }, (_, i) => log.write(big(i)));
      assert.deepEqual(results, [true, true, false, false, false]);
      const st = log.stats();
      assert.deepEqual([st.queued, st.dropped], [2, 3]);
      assert.ok(st.queuedBytes > 2 * 500 * 10 * 4 && st.queuedBytes <= 70_000, `${st.queuedBytes}`);
      await log.flush();
      assert.deepEqual([log.stats().written, log.stats().queuedBytes], [2, 0]);
      const tiny = await openJsonlServeLog({ dir: join(dir, 'tiny'), maxQueueBytes: 1000, flushIntervalMs: 60_000 });
      assert.deepEqual([tiny.write(big(10)), tiny.write(big(11))], [true, false], 'a record larger than the cap fits an empty queue, alone');
      await tiny.close();
      await log.close();
      assert.deepEqual((await readAll(dir)).map((r) => r.request_id), ['r0', 'r1']);
      assert.deepEqual((await readAll(join(dir, 'tiny'))).map((r) => r.request_id), ['r10']);
    } finally {
      await cleanup();
    }
  });

  void it('refuses writes after close; close is idempotent', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await openJsonlServeLog({ dir });
      log.write(makeRecord(0));
      await Promise.all([log.close(), log.close()]);
      assert.equal(log.write(makeRecord(1)), false);
      await log.flush();
      assert.deepEqual(log.stats(), { ...log.stats(), written: 1, dropped: 1, queued: 0 });
    } finally {
      await cleanup();
    }
  });

  void it('flush() waits for exactly the records written before it, and resolves at once when idle', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await openJsonlServeLog({ dir, flushIntervalMs: 60_000 });
      await log.flush(); // nothing pending
      for (let i = 0; i < 10; i++) log.write(makeRecord(i));
      assert.equal(log.stats().written, 0, 'nothing is written on the caller path');
      const flushed = log.flush();
      log.write(makeRecord(10)); // after the flush call
      await flushed;
      assert.ok(log.stats().written >= 10);
      assert.equal((await readAll(dir)).length, log.stats().written);
      await log.flush();
      assert.equal(log.stats().written, 11);
      await log.close();
    } finally {
      await cleanup();
    }
  });

  void it('drains on its own after flushIntervalMs', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await openJsonlServeLog({ dir, flushIntervalMs: 5 });
      log.write(makeRecord(0));
      for (let i = 0; i < 200 && log.stats().written === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(log.stats().written, 1);
      await log.close();
    } finally {
      await cleanup();
    }
  });

  void it('counts a failed batch as dropped with an error, never throwing, and keeps going', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const logDir = join(dir, 'serve');
      const log = await openJsonlServeLog({ dir: logDir, flushIntervalMs: 60_000 });
      await rm(logDir, { recursive: true }); // the next file cannot be created
      log.write(makeRecord(0));
      log.write(makeRecord(1));
      await log.flush();
      assert.deepEqual(log.stats(), { written: 0, dropped: 2, queued: 0, queuedBytes: 0, bytes: 0, errors: 1 });
      const cyclic = makeRecord(2) as ServeRecord & { self?: unknown };
      cyclic.self = cyclic;
      await mkdir(logDir); // storage is back
      log.write(cyclic); // cannot be serialised: dropped alone
      log.write(makeRecord(3));
      await log.close();
      assert.deepEqual(log.stats(), { ...log.stats(), written: 1, dropped: 3, queued: 0, errors: 2 });
      assert.deepEqual((await readAll(logDir)).map((r) => r.request_id), ['r3']);
    } finally {
      await cleanup();
    }
  });

  void it('write() only converts to columnar form and enqueues: no serialisation or I/O on the caller path', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await openJsonlServeLog({ dir, maxQueueRecords: 1000, flushIntervalMs: 60_000 });
      const nf = 20;
      // 500 candidates × 20 features, shared between records to keep the test's memory small
      const candidates = makeRecord(0, { candidates: 500, features: nf }).candidates;
      let touched = 0;
      for (let i = 0; i < 1000; i++) {
        const record = makeRecord(i, { candidates: 0, features: nf });
        Object.defineProperty(record, 'candidates', {
          enumerable: true,
          get: () => {
            touched++;
            return candidates;
          },
        });
        assert.equal(log.write(record), true);
      }
      assert.equal(touched, 1000, 'write() reads each record once (columnar form), and only once');
      assert.deepEqual({ queued: log.stats().queued, bytes: log.stats().bytes }, { queued: 1000, bytes: 0 });
      await log.close();
      assert.equal(touched, 1000, 'the drain serialises the columnar form, not the record');
      assert.equal(log.stats().written, 1000);
      let n = 0;
      for await (const r of readServeLog(dir)) {
        assert.equal(r.candidates.length, 500);
        assert.equal(r.request_id, `r${n++}`);
      }
      assert.equal(n, 1000);
    } finally {
      await cleanup();
    }
  });
});

void describe('serve log loader', () => {
  async function writeLog(dir: string, n: number): Promise<string> {
    const log = await openJsonlServeLog({ dir });
    for (let i = 0; i < n; i++) log.write(makeRecord(i));
    await log.close();
    return join(dir, (await logFiles(dir))[0]);
  }

  void it('skips a torn last line of a file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = await writeLog(dir, 3);
      const torn = encodeServeRecord(makeRecord(3));
      await appendFile(file, torn.slice(0, torn.length >> 1));
      assert.deepEqual((await readAll(dir)).map((r) => r.request_id), ['r0', 'r1', 'r2']);
      // a complete last record that only lacks its newline is kept
      await writeFile(file, (await readFile(file, 'utf8')).replace(/\n[^\n]*$/, `\n${torn}`));
      assert.deepEqual((await readAll(dir)).map((r) => r.request_id), ['r0', 'r1', 'r2', 'r3']);
    } finally {
      await cleanup();
    }
  });

  void it('throws CorruptDataError naming file:line for a bad line elsewhere', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = await writeLog(dir, 4);
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines[1] = lines[1].slice(0, 40);
      await writeFile(file, lines.join('\n'));
      await assert.rejects(readAll(dir), (err: unknown) => {
        assert.ok(err instanceof CorruptDataError);
        assert.equal(err.code, 'corrupt_data');
        assert.ok(err.message.includes(`${file}:2`), err.message);
        return true;
      });
      // an unparseable line terminated by its newline is corruption even at the end
      lines[1] = encodeServeRecord(makeRecord(1));
      await writeFile(file, lines.join('\n') + '{"request_id":\n');
      await assert.rejects(readAll(dir), CorruptDataError);
      // valid JSON that is not a serve record
      await writeFile(file, `${lines[0]}\n[1,2]\n`);
      await assert.rejects(readAll(dir), CorruptDataError);
    } finally {
      await cleanup();
    }
  });

  void it('filters by time range: fromMs inclusive, toMs exclusive, across files', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await openJsonlServeLog({ dir, maxFileBytes: 2000 });
      for (let i = 0; i < 30; i++) log.write(makeRecord(i));
      await log.close();
      assert.ok((await logFiles(dir)).length > 1);
      const got = await readAll(dir, { fromMs: T0 + 10_000, toMs: T0 + 20_000 });
      assert.deepEqual(got.map((r) => r.request_id), Array.from({ length: 10 }, (_, i) => `r${i + 10}`));
      assert.equal((await readAll(dir, { fromMs: T0 + 29_000 })).length, 1);
      assert.equal((await readAll(dir, { toMs: T0 })).length, 0);
    } finally {
      await cleanup();
    }
  });

  void it('joins request ids to their serve rows', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeLog(dir, 50);
      const rows = await serveRecordsByRequestId(dir, new Set(['r3', 'r42', 'missing']));
      assert.deepEqual([...rows.keys()].sort(), ['r3', 'r42']);
      assert.equal(rows.get('r42')!.user_id, 'u0');
      assert.equal((await serveRecordsByRequestId(dir, new Set())).size, 0);
    } finally {
      await cleanup();
    }
  });

  void it('reads an empty directory as empty and a missing one as NotFoundError', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      assert.deepEqual(await readAll(dir), []);
      await assert.rejects(readAll(join(dir, 'nope')), NotFoundError);
    } finally {
      await cleanup();
    }
  });
});
