import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, readFile, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventLogConformance } from '../conformance/event-log.conformance.js';
import {
  openSegmentLog,
  type SegmentEventLog,
  type SegmentLogOptions,
} from '../../src/backends/embedded/segment-log.js';
import { BackendUnavailableError, ConfigError, CorruptDataError } from '../../src/errors.js';
import type { EventLog, LogRecord } from '../../src/log/event-log.js';
import { partitionFor } from '../../src/log/partitioner.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'feedloop-segment-log-'));
  dirs.push(dir);
  return dir;
}
async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

let lastDir = '';
eventLogConformance('embedded', {
  async open() {
    lastDir = await tempDir();
    return openSegmentLog({ dir: lastDir, partitionCount: 4 });
  },
  reopen: () => openSegmentLog({ dir: lastDir, partitionCount: 4 }),
  cleanup: removeTempDirs,
});

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const segmentPath = (dir: string, partition: number, baseOffset = 0) =>
  join(dir, `p-${String(partition).padStart(3, '0')}`, `${String(baseOffset).padStart(20, '0')}.seg`);
/** Encoded size of a record: header 8 + fixed body 18 + key + value (ASCII key). */
const recordBytes = (key: string, value: Uint8Array) => 8 + 18 + key.length + value.length;

async function readAll(log: EventLog, partition: number, pageSize = 5000): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (;;) {
    const page = await log.read(partition, out.length, pageSize);
    if (page.length === 0) return out;
    out.push(...page);
  }
}

async function filesSizes(dir: string, partitionCount: number): Promise<number[]> {
  const sizes: number[] = [];
  for (let p = 0; p < partitionCount; p++) {
    const pdir = join(dir, `p-${String(p).padStart(3, '0')}`);
    for (const name of (await readdir(pdir)).sort()) sizes.push((await stat(join(pdir, name))).size);
  }
  return sizes;
}

void describe('SegmentEventLog', () => {
  after(removeTempDirs);

  /** Opens a log (in a new temp dir unless `opts.dir`), runs `fn`, closes it; returns the dir. */
  async function withLog(
    opts: Omit<SegmentLogOptions, 'dir'> & { dir?: string },
    fn: (log: SegmentEventLog, dir: string) => Promise<void>,
  ): Promise<string> {
    const dir = opts.dir ?? (await tempDir());
    const log = await openSegmentLog({ ...opts, dir });
    try {
      await fn(log, dir);
    } finally {
      await log.close();
    }
    return dir;
  }

  void it('cuts a torn tail of the last segment on open and continues at the right offset', async () => {
    const value = text('0123456789');
    const size = recordBytes('k', value);
    const dir = await withLog({ partitionCount: 1 }, async (log) => {
      await log.append(Array.from({ length: 5 }, () => ({ key: 'k', value })));
    });
    await truncate(segmentPath(dir, 0), 5 * size - 3);
    await withLog({ dir, partitionCount: 1 }, async (log) => {
      assert.deepEqual(log.recovery, [{ partition: 0, truncatedBytes: size - 3 }]);
      assert.deepEqual(await log.endOffsets(), [4]);
      const survivors = (await readAll(log, 0)).map((r) => [r.offset, str(r.value)]);
      assert.deepEqual(survivors, [0, 1, 2, 3].map((o) => [o, '0123456789']));
      const [pos] = await log.append([{ key: 'k', value: text('after') }]);
      assert.equal(pos.offset, 4);
    });
    assert.equal((await stat(segmentPath(dir, 0))).size, 5 * size - size + recordBytes('k', text('after')));
    await appendFile(segmentPath(dir, 0), Buffer.from('garbage that is not a record at all'));
    await withLog({ dir, partitionCount: 1 }, async (log) => {
      assert.deepEqual(log.recovery, [{ partition: 0, truncatedBytes: 35 }]);
      const all = await readAll(log, 0);
      assert.deepEqual(all.map((r) => str(r.value)).slice(3), ['0123456789', 'after']);
    });
  });

  void it('cuts the last segment at a record with a bad CRC', async () => {
    const value = text('payload-payload');
    const size = recordBytes('key', value);
    const dir = await withLog({ partitionCount: 1 }, async (log) => {
      await log.append(Array.from({ length: 10 }, () => ({ key: 'key', value })));
    });
    const handle = await open(segmentPath(dir, 0), 'r+');
    await handle.write(Buffer.from([0xff]), 0, 1, 5 * size + 30); // inside record 5's body
    await handle.close();
    await withLog({ dir, partitionCount: 1 }, async (log) => {
      assert.deepEqual(log.recovery, [{ partition: 0, truncatedBytes: 5 * size }]);
      assert.deepEqual(await log.endOffsets(), [5]);
      assert.equal((await readAll(log, 0)).length, 5);
    });
  });

  void it('rolls segments at segmentMaxBytes and reads across them, also after reopen', async () => {
    const opts = { partitionCount: 1, segmentMaxBytes: 200 };
    const values = Array.from({ length: 60 }, (_, i) => text(`value-${String(i).padStart(3, '0')}`));
    const dir = await withLog(opts, async (log) => {
      await log.append(values.slice(0, 3).map((value) => ({ key: 'k', value })));
      await log.append(values.slice(3, 40).map((value) => ({ key: 'k', value }))); // one flush over many segments
      for (const value of values.slice(40)) await log.append([{ key: 'k', value }]);
      for (let from = 0; from < 60; from += 7) {
        const page = await log.read(0, from, 11);
        assert.deepEqual(page.map((r) => str(r.value)), values.slice(from, from + 11).map(str));
      }
    });
    const names = (await readdir(join(dir, 'p-000'))).sort();
    const perSegment = Math.floor(200 / recordBytes('k', values[0]));
    assert.equal(names.length, Math.ceil(60 / perSegment));
    const expectedNames = [0, perSegment, 2 * perSegment].map((b) => `${String(b).padStart(20, '0')}.seg`);
    assert.deepEqual(names.slice(0, 3), expectedNames);
    await withLog({ ...opts, dir }, async (log) => {
      assert.deepEqual(log.recovery, []);
      assert.deepEqual((await readAll(log, 0, 13)).map((r) => str(r.value)), values.map(str));
      const [pos] = await log.append([{ key: 'k', value: text('more') }]);
      assert.equal(pos.offset, 60);
    });
    // Damage in a sealed (non-last) segment is corruption, not a torn tail.
    await truncate(segmentPath(dir, 0, perSegment), 10);
    await assert.rejects(openSegmentLog({ ...opts, dir }), CorruptDataError);
  });

  void it('refuses to open with a different partitionCount', async () => {
    const dir = await withLog({ partitionCount: 4 }, async () => {});
    await assert.rejects(openSegmentLog({ dir, partitionCount: 8 }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /4 partitions.*partitionCount 8/);
      return true;
    });
    assert.equal(JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')).partitionCount, 4);
  });

  void it('numbers seq strictly increasing in append order across partitions, and restores it on reopen', async () => {
    const opts = { partitionCount: 4 };
    const keys = Array.from({ length: 16 }, (_, i) => `user-${i}`);
    let n = 0;
    const batch = (size: number) =>
      Array.from({ length: size }, () => ({ key: keys[n % 16], value: text(String(n++)) }));
    let maxSeq = -1;
    const dir = await withLog(opts, async (log) => {
      await log.append(batch(10));
      await Promise.all([log.append(batch(7)), log.append(batch(1)), log.append(batch(12))]);
      const all = (await Promise.all([0, 1, 2, 3].map((p) => readAll(log, p)))).flat();
      all.sort((a, b) => a.seq! - b.seq!);
      assert.deepEqual(all.map((r) => str(r.value)), Array.from({ length: n }, (_, i) => String(i)));
      for (let i = 1; i < all.length; i++) assert.ok(all[i].seq! > all[i - 1].seq!);
      maxSeq = all[all.length - 1].seq!;
    });
    await withLog({ ...opts, dir }, async (log) => {
      const [pos] = await log.append([{ key: 'user-0', value: text('next') }]);
      const [record] = await log.read(pos.partition, pos.offset, 1);
      assert.equal(record.seq, maxSeq + 1);
    });
  });

  void it('rejects a flush whose fdatasync fails, restores the files, and continues at the same offsets', async () => {
    let failSync = false;
    let failWrite = false;
    const simulated = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
    const faults = {
      beforeSync: () => {
        if (failSync) throw simulated('EIO');
      },
      beforeWrite: async () => {
        if (failWrite) throw simulated('ENOSPC');
      },
    };
    await withLog({ partitionCount: 4, faults }, async (log, dir) => {
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      await log.append(keys.map((key) => ({ key, value: text('ok') })));
      const ends = await log.endOffsets();
      const sizes = await filesSizes(dir, 4);
      let listenerCalls = 0;
      log.onAppend(() => listenerCalls++);
      for (const flag of ['sync', 'write'] as const) {
        if (flag === 'sync') failSync = true;
        else failWrite = true;
        await assert.rejects(log.append(keys.map((key) => ({ key, value: text('lost') }))), (err: unknown) => {
          assert.ok(err instanceof BackendUnavailableError);
          assert.equal((err.cause as { code?: string }).code, flag === 'sync' ? 'EIO' : 'ENOSPC');
          return true;
        });
        failSync = failWrite = false;
        assert.equal(listenerCalls, 0);
        assert.deepEqual(await log.endOffsets(), ends);
        for (let p = 0; p < 4; p++) assert.deepEqual(await log.read(p, ends[p], 10), []);
        assert.deepEqual(await filesSizes(dir, 4), sizes);
      }
      const positions = await log.append(keys.map((key) => ({ key, value: text('again') })));
      const expected = new Map<number, number>();
      for (let i = 0; i < keys.length; i++) {
        const p = partitionFor(keys[i], 4);
        const offset = ends[p] + (expected.get(p) ?? 0);
        expected.set(p, (expected.get(p) ?? 0) + 1);
        assert.deepEqual(positions[i], { partition: p, offset });
        assert.equal(str((await log.read(p, offset, 1))[0].value), 'again');
      }
    });
  });

  void it('removes a segment created by a failed flush', async () => {
    let failSync = false;
    const faults = {
      beforeSync: () => {
        if (failSync) throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
      },
    };
    await withLog({ partitionCount: 1, segmentMaxBytes: 100, faults }, async (log, dir) => {
      await log.append([{ key: 'k', value: text('first') }]);
      const before = await readdir(join(dir, 'p-000'));
      failSync = true;
      await assert.rejects(
        log.append(Array.from({ length: 10 }, () => ({ key: 'k', value: text('rolls-over') }))),
        BackendUnavailableError,
      );
      failSync = false;
      assert.deepEqual(await readdir(join(dir, 'p-000')), before);
      assert.deepEqual(await log.endOffsets(), [1]);
      const positions = await log.append(Array.from({ length: 10 }, () => ({ key: 'k', value: text('rolls-over') })));
      assert.deepEqual(positions.map((p) => p.offset), Array.from({ length: 10 }, (_, i) => i + 1));
      assert.equal((await readAll(log, 0, 4)).length, 11);
    });
  });

  void it('refuses appends once a failed write cannot be undone, and recovers on reopen', async () => {
    let sabotage = false;
    let dir = '';
    const faults = {
      beforeWrite: async () => {
        if (!sabotage) return;
        // The new segment exists now; removing the partition directory makes the rollback's directory fsync fail.
        await rm(join(dir, 'p-000'), { recursive: true, force: true });
        throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
      },
    };
    dir = await tempDir();
    const log = await openSegmentLog({ dir, partitionCount: 1, segmentMaxBytes: 100, faults });
    try {
      await log.append([{ key: 'k', value: text('first') }]);
      sabotage = true;
      await assert.rejects(log.append(Array.from({ length: 5 }, () => ({ key: 'k', value: text('x'.repeat(40)) }))));
      sabotage = false;
      await assert.rejects(log.append([{ key: 'k', value: text('later') }]), (err: unknown) => {
        assert.ok(err instanceof BackendUnavailableError);
        assert.match(err.message, /failed state/);
        return true;
      });
      assert.deepEqual(await log.endOffsets(), [1]);
    } finally {
      await log.close();
    }
  });

  void it('acknowledges after write in interval durability and fdatasyncs on a timer', async () => {
    let syncs = 0;
    const opts = { partitionCount: 2, durability: { mode: 'interval', intervalMs: 10 } as const };
    const dir = await withLog({ ...opts, faults: { beforeSync: () => void syncs++ } }, async (log) => {
      const positions = await log.append([{ key: 'x', value: text('interval') }]);
      assert.equal(str((await log.read(positions[0].partition, positions[0].offset, 1))[0].value), 'interval');
      for (let waitedMs = 0; syncs === 0 && waitedMs < 2000; waitedMs += 10) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(syncs > 0, 'no periodic fdatasync');
    });
    await withLog({ ...opts, dir }, async (log) => {
      const p = log.partitionFor('x');
      assert.equal(str((await log.read(p, 0, 1))[0].value), 'interval');
    });
  });

  void it('groups appends that arrive together into one flush', async () => {
    let writes = 0;
    await withLog({ partitionCount: 1, faults: { beforeWrite: () => void writes++ } }, async (log) => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => log.append([{ key: 'k', value: text(String(i)) }])));
      assert.ok(writes <= 2, `${writes} writes for 20 appends`);
    });
  });

  void it('handles a record larger than the read chunk', async () => {
    const big = new Uint8Array(5 << 20).map((_, i) => i % 251);
    const dir = await withLog({ partitionCount: 1 }, async (log) => {
      await log.append([
        { key: 'a', value: text('small') },
        { key: 'a', value: big },
        { key: 'a', value: text('tail') },
      ]);
    });
    await withLog({ dir, partitionCount: 1 }, async (log) => {
      const all = await readAll(log, 0, 2);
      assert.deepEqual(all.map((r) => r.value.length), [5, big.length, 4]);
      assert.ok(Buffer.from(all[1].value).equals(Buffer.from(big)));
    });
  });

  void it('replays 100k records from offset 0 in order', async () => {
    const total = 100_000;
    const value = new Uint8Array(100).fill(7);
    const dir = await withLog({ partitionCount: 4 }, async (log) => {
      let next = 0;
      const worker = async () => {
        while (next < total) {
          const start = next;
          next += 1000;
          await log.append(Array.from({ length: 1000 }, (_, i) => ({ key: `user-${(start + i) % 997}`, value })));
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    });
    await withLog({ dir, partitionCount: 4 }, async (log) => {
      let count = 0;
      const prevSeqs = [-1, -1, -1, -1];
      for (let p = 0; p < 4; p++) {
        const all = await readAll(log, p);
        all.forEach((r, i) => {
          assert.equal(r.offset, i);
          assert.ok(r.seq! > prevSeqs[p]);
          prevSeqs[p] = r.seq!;
        });
        count += all.length;
      }
      assert.equal(count, total);
    });
  });

  void it('rejects reads of a bad partition and commits with a wrong offset count', async () => {
    await withLog({ partitionCount: 2 }, async (log) => {
      await assert.rejects(log.read(2, 0, 1), { code: 'invalid_field' });
      await assert.rejects(log.read(0, -1, 1), { code: 'invalid_field' });
      await assert.rejects(log.commit('g', [1]), { code: 'invalid_field' });
    });
  });
});
