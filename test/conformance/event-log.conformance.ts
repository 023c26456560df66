/**
 * Conformance suite of the `EventLog` port (src/log/event-log.ts). Every adapter's test calls
 * `eventLogConformance(name, factory)`.
 *
 * Written so a networked adapter (Kafka, NATS, Redis Streams) runs it unchanged: each test uses fresh random keys
 * and group names, never assumes the log starts empty (it compares against `endOffsets()` taken before appending)
 * and never looks at storage. The tests of one suite run one after another, and assume nothing else appends to the
 * log meanwhile only where they say so (end-offset checks).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AppendRecord, EventLog, LogRecord } from '../../src/log/event-log.js';

export interface ConformanceFactory {
  /** Opens (connects to) a log. Consecutive calls may return the same storage or a fresh one. */
  open(): Promise<EventLog>;
  /** Reopens the storage of the most recently opened log, after the test closed it. Omit if not meaningful. */
  reopen?(): Promise<EventLog>;
  /** Removes everything the factory created; called once after the suite. */
  cleanup(): Promise<void>;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads `partition` from `fromOffset` to its current end, in pages. */
async function readToEnd(log: EventLog, partition: number, fromOffset = 0, pageSize = 1000): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (let offset = fromOffset; ; ) {
    const page = await log.read(partition, offset, pageSize);
    if (page.length === 0) return out;
    out.push(...page);
    offset = page[page.length - 1].offset + 1;
  }
}

async function readAt(log: EventLog, partition: number, offset: number): Promise<LogRecord> {
  const [record] = await log.read(partition, offset, 1);
  assert.ok(record, `no record at partition ${partition} offset ${offset}`);
  return record;
}

/** Runs the EventLog conformance tests against the adapter that `factory` opens. */
export function eventLogConformance(name: string, factory: ConformanceFactory): void {
  void describe(`EventLog conformance: ${name}`, () => {
    after(() => factory.cleanup());

    /** A prefix unique to one test, so tests never see each other's records. */
    const fresh = () => `t${randomUUID().slice(0, 8)}`;

    async function withLog(fn: (log: EventLog) => Promise<void>): Promise<void> {
      const log = await factory.open();
      try {
        await fn(log);
      } finally {
        await log.close();
      }
    }

    void it('round-trips keys and values: empty value, unicode key, 1 MB value', () =>
      withLog(async (log) => {
        const u = fresh();
        const records: AppendRecord[] = [
          { key: `${u}-plain`, value: text('hello') },
          { key: `${u}-empty`, value: new Uint8Array(0) },
          { key: `${u}-ключ-🔥-日本`, value: text('unicode key') },
          { key: `${u}-big`, value: new Uint8Array(randomBytes(1 << 20)) },
        ];
        assert.deepEqual(await log.append([]), []);
        const before = Date.now();
        const positions = await log.append(records);
        assert.equal(positions.length, records.length);
        for (let i = 0; i < records.length; i++) {
          const got = await readAt(log, positions[i].partition, positions[i].offset);
          assert.equal(got.key, records[i].key);
          assert.equal(got.partition, log.partitionFor(records[i].key));
          assert.equal(got.offset, positions[i].offset);
          assert.equal(got.value.byteLength, records[i].value.byteLength);
          assert.ok(sameBytes(got.value, records[i].value), `value ${i} differs`);
          assert.ok(Math.abs(got.appendTimeMs - before) < 60_000, `appendTimeMs ${got.appendTimeMs} is not now`);
          assert.ok(got.seq === undefined || Number.isFinite(got.seq));
        }
      }));

    void it('gives each partition contiguous offsets from 0 and keeps each key in append order', () =>
      withLog(async (log) => {
        const u = fresh();
        const keys = Array.from({ length: 20 }, (_, k) => `${u}-user-${k}`);
        for (let round = 0; round < 5; round++) {
          await log.append(keys.flatMap((key) => [0, 1].map((j) => ({ key, value: text(`${key}#${round * 2 + j}`) }))));
        }
        const byKey = new Map<string, LogRecord[]>();
        for (let p = 0; p < log.partitionCount; p++) {
          const all = await readToEnd(log, p);
          all.forEach((r, i) => {
            assert.equal(r.offset, i, `partition ${p}: offset ${r.offset} at index ${i}`);
            assert.equal(r.partition, p);
          });
          for (const r of all.filter((r) => r.key.startsWith(`${u}-`))) {
            byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
          }
        }
        for (const key of keys) {
          assert.deepEqual(
            (byKey.get(key) ?? []).map((r) => str(r.value)),
            Array.from({ length: 10 }, (_, i) => `${key}#${i}`),
          );
        }
      }));

    void it('routes by a stable partitionFor that spreads keys over all partitions', () =>
      withLog(async (log) => {
        const u = fresh();
        const keys = Array.from({ length: 1000 }, (_, i) => `${u}-${i}`);
        const hits = new Array<number>(log.partitionCount).fill(0);
        for (const key of keys) {
          const p = log.partitionFor(key);
          assert.ok(Number.isInteger(p) && p >= 0 && p < log.partitionCount);
          assert.equal(log.partitionFor(key), p);
          hits[p]++;
        }
        if (log.partitionCount <= 32) assert.ok(hits.every((h) => h > 0), `uneven spread ${hits.join(',')}`);
        const positions = await log.append(keys.slice(0, 50).map((key) => ({ key, value: text(key) })));
        positions.forEach((pos, i) => assert.equal(pos.partition, log.partitionFor(keys[i])));
      }));

    void it('resolves concurrent appends with distinct positions, in input order and per-key call order', () =>
      withLog(async (log) => {
        const u = fresh();
        const keys = Array.from({ length: 7 }, (_, k) => `${u}-k${k}`);
        const calls = Array.from({ length: 50 }, (_, a) =>
          Array.from({ length: 5 }, (_, i) => ({ key: keys[(a + i) % keys.length], value: text(`${a}/${i}`) })),
        );
        const results = await Promise.all(calls.map((records) => log.append(records)));
        const seen = new Set<string>();
        const lastOffsetOfKey = new Map<string, number>();
        for (let a = 0; a < calls.length; a++) {
          assert.equal(results[a].length, calls[a].length);
          for (let i = 0; i < calls[a].length; i++) {
            const { key, value } = calls[a][i];
            const pos = results[a][i];
            const id = `${pos.partition}:${pos.offset}`;
            assert.ok(!seen.has(id), `position ${id} given twice`);
            seen.add(id);
            assert.equal(pos.partition, log.partitionFor(key));
            assert.ok(pos.offset > (lastOffsetOfKey.get(key) ?? -1), `key ${key} out of call order`);
            lastOffsetOfKey.set(key, pos.offset);
            const got = await readAt(log, pos.partition, pos.offset);
            assert.equal(got.key, key);
            assert.equal(str(got.value), str(value));
          }
        }
      }));

    void it('reports endOffsets consistent with reads; reads past the end return []', () =>
      withLog(async (log) => {
        const u = fresh();
        const records = Array.from({ length: 30 }, (_, i) => ({ key: `${u}-${i}`, value: text('x') }));
        const positions = await log.append(records);
        const ends = await log.endOffsets();
        assert.equal(ends.length, log.partitionCount);
        for (const pos of positions) assert.ok(pos.offset < ends[pos.partition]);
        for (let p = 0; p < log.partitionCount; p++) {
          assert.deepEqual(await log.read(p, ends[p], 10), []);
          assert.deepEqual(await log.read(p, ends[p] + 1000, 10), []);
          if (ends[p] > 0) {
            const last = await log.read(p, ends[p] - 1, 10);
            assert.equal(last.length, 1);
            assert.equal(last[0].offset, ends[p] - 1);
            assert.deepEqual(await log.read(p, ends[p] - 1, 0), []);
          }
        }
      }));

    void it('reads at most maxRecords, in offset order', () =>
      withLog(async (log) => {
        const key = `${fresh()}-one`;
        const positions = await log.append(Array.from({ length: 10 }, (_, i) => ({ key, value: text(`v${i}`) })));
        const first = positions[0];
        const page = await log.read(first.partition, first.offset, 3);
        assert.deepEqual(
          page.map((r) => [r.offset, str(r.value)]),
          [0, 1, 2].map((i) => [first.offset + i, `v${i}`]),
        );
      }));

    void it('calls onAppend after the records are readable, and not after unsubscribing', () =>
      withLog(async (log) => {
        const key = `${fresh()}-listen`;
        const p = log.partitionFor(key);
        const before = await log.endOffsets();
        let calls = 0;
        let readInListener: Promise<LogRecord[]> | undefined;
        const unsubscribe = log.onAppend(() => {
          calls++;
          readInListener ??= log.read(p, before[p], 100);
        });
        const [pos] = await log.append([{ key, value: text('ping') }]);
        for (let waitedMs = 0; calls === 0 && waitedMs < 5000; waitedMs += 10) await sleep(10);
        assert.ok(calls > 0, 'listener was not called');
        const seenThen = await readInListener!;
        assert.ok(
          seenThen.some((r) => r.offset === pos.offset && r.key === key),
          'record not readable when the listener ran',
        );
        unsubscribe();
        const callsBefore = calls;
        await log.append([{ key, value: text('pong') }]);
        await sleep(50);
        assert.equal(calls, callsBefore);
      }));

    void it('keeps committed offsets per consumer group; a new group has all zeros', () =>
      withLog(async (log) => {
        const group = `${fresh()}-group`;
        const zeros = new Array<number>(log.partitionCount).fill(0);
        assert.deepEqual(await log.committed(group), zeros);
        const offsets = zeros.map((_, p) => p * 3 + 1);
        await log.commit(group, offsets);
        assert.deepEqual(await log.committed(group), offsets);
        const later = offsets.map((o) => o + 5);
        await log.commit(group, later);
        assert.deepEqual(await log.committed(group), later);
        assert.deepEqual(await log.committed(`${fresh()}-other`), zeros);
      }));

    void it('seq, when the adapter has one, increases in append order', () =>
      withLog(async (log) => {
        const u = fresh();
        const seqs: (number | undefined)[] = [];
        for (let a = 0; a < 5; a++) {
          const records = Array.from({ length: 8 }, (_, i) => ({ key: `${u}-${i}`, value: text('s') }));
          const positions = await log.append(records);
          for (const pos of positions) seqs.push((await readAt(log, pos.partition, pos.offset)).seq);
        }
        if (seqs[0] === undefined) return assert.ok(seqs.every((s) => s === undefined));
        for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `seq ${seqs[i]} after ${seqs[i - 1]}`);
      }));

    void it('keeps data and committed offsets across a reopen', { skip: !factory.reopen }, async () => {
      const u = fresh();
      const group = `${u}-group`;
      const records = Array.from({ length: 40 }, (_, i) => ({ key: `${u}-${i % 9}`, value: text(`r${i}`) }));
      const log = await factory.open();
      let positions;
      let ends: number[];
      let offsets: number[];
      try {
        positions = await log.append(records);
        ends = await log.endOffsets();
        offsets = ends.map((e) => Math.max(0, e - 1));
        await log.commit(group, offsets);
      } finally {
        await log.close();
      }
      const reopened = await factory.reopen!();
      try {
        assert.deepEqual(await reopened.committed(group), offsets);
        assert.deepEqual(await reopened.endOffsets(), ends);
        for (let i = 0; i < records.length; i++) {
          assert.equal(reopened.partitionFor(records[i].key), positions[i].partition);
          const got = await readAt(reopened, positions[i].partition, positions[i].offset);
          assert.equal(got.key, records[i].key);
          assert.equal(str(got.value), `r${i}`);
        }
        const [next] = await reopened.append([records[0]]);
        assert.equal(next.offset, ends[next.partition]);
      } finally {
        await reopened.close();
      }
    });

    void it('rejects appends after close with BackendUnavailableError; close is idempotent', async () => {
      const log = await factory.open();
      await log.append([{ key: `${fresh()}-x`, value: text('x') }]);
      await Promise.all([log.close(), log.close()]);
      await log.close();
      await assert.rejects(log.append([{ key: `${fresh()}-y`, value: text('y') }]), (err: unknown) => {
        assert.equal((err as { code?: unknown }).code, 'backend_unavailable');
        return true;
      });
    });
  });
}
