import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServeRecord } from '../../src/domain/feed.js';
import { decodeServeRecord, encodeServeRecord, fromColumnar, toColumnar } from '../../src/serve-log/record-codec.js';
import { inThreadEncoder, workerEncoder } from '../../src/serve-log/record-encoder.js';
import { columnarToLine } from '../../src/serve-log/record-codec.js';
import { columnarToLineBytes } from '../../src/serve-log/line-bytes.js';
import { rng } from '../helpers/fixtures.js';

function record(i: number, n = 50): ServeRecord {
  const r = rng(i + 7);
  const names = ['two-tower', 'trending', 'fresh', 'covisitation'];
  return {
    request_id: `r${i}`,
    ts: 1_700_000_000_000 + i,
    user_id: `u${i}`,
    variant: 'home',
    context: { limit: 20, known_user: true },
    config_version: 'c',
    model_versions: { ranker: 'm' },
    feature_names: ['a', 'b', 'c'],
    // every candidate's sources are a subsequence of one order, as the pipeline's merge makes them
    candidates: Array.from({ length: n }, (_, c) => ({ item_id: `i${c}`, sources: names.filter(() => r() < 0.5).map((name) => ({ name, score: r() * 10 - 5 })) })),
    features: Float32Array.from({ length: n * 3 }, (_, k) => (k === 4 ? Number.NaN : k === 5 ? Number.NEGATIVE_INFINITY : r())),
    scores: { score: Float32Array.from({ length: n }, () => r()), p_like: Float32Array.from({ length: n }, () => r()) },
    removed: [
      { item_id: 'x1', filter: 'seen', reason: 'seen' },
      { item_id: 'x2', filter: 'hidden', reason: 'hidden_item' },
      { item_id: 'x3', filter: 'seen', reason: 'seen' },
    ],
    slate: [{ item_id: 'i0', position: 0, score: 1, propensity: 0.9, explored: true }],
    timings_ms: { total: 1.5 },
    degraded: ['source:fresh'],
  };
}

/**
 * The line as format 2 describes it, built here from the record directly (the reference the encoders must match);
 * `names`: the source columns' order (any order consistent with every candidate's own).
 */
function referenceLine(r: ServeRecord, names: readonly string[]): string {
  const b64 = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const { candidates, features, scores, removed, ...rest } = r;
  const sources = Object.fromEntries(
    names.map((n) => [n, { f64: b64(Float64Array.from(candidates, (c) => c.sources.find((s) => s.name === n)?.score ?? Number.NaN)) }]),
  );
  const filters = [...new Set(removed.map((x) => x.filter))];
  const reasons = [...new Set(removed.map((x) => x.reason))];
  return JSON.stringify({
    format: 2,
    ...rest,
    candidates: { item_ids: candidates.map((c) => c.item_id), sources },
    features: { f32: b64(features) },
    scores: Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, { f32: b64(v) }])),
    removed: { item_ids: removed.map((x) => x.item_id), filters, reasons, filter: removed.map((x) => filters.indexOf(x.filter)), reason: removed.map((x) => reasons.indexOf(x.reason)) },
  });
}

const roundTrip = (r: ServeRecord) => decodeServeRecord(JSON.parse(encodeServeRecord(r)) as Record<string, unknown>);

void describe('serve record codec (columnar format 2)', () => {
  void it('round-trips every field exactly: candidates with their source order and float64 scores, removed, blocks bit-exact', () => {
    for (let i = 0; i < 20; i++) {
      const r = record(i);
      const back = roundTrip(r);
      assert.deepEqual(back.candidates, r.candidates);
      assert.deepEqual(back.removed, r.removed);
      assert.deepEqual(Buffer.from(back.features.buffer), Buffer.from(r.features.buffer));
      assert.deepEqual(Object.keys(back.scores), ['score', 'p_like']);
      assert.deepEqual(back.slate, r.slate);
      assert.deepEqual({ ...back, candidates: 0, removed: 0, features: 0, scores: 0 }, { ...r, candidates: 0, removed: 0, features: 0, scores: 0 });
    }
  });

  void it('the line bytes (base64 written into the buffer) equal the JSON line, also with non-ASCII ids and placeholder look-alikes', () => {
    const odd = ['üser-€-ユーザー', '\u0001blob0\u0001', '"\u0001blob1\u0001"', 'plain'];
    for (let i = 0; i < 24; i++) {
      const r = record(i, i === 0 ? 0 : 40);
      r.user_id = odd[i % odd.length];
      if (i % 5 === 1) r.candidates[0].item_id = `\u0001blob${i % 3}\u0001`;
      const c = toColumnar(r);
      const bytes = columnarToLineBytes(c);
      assert.equal(Buffer.from(bytes).toString('utf8'), referenceLine(r, c.sourceNames) + '\n', `record ${i}`);
      assert.equal(columnarToLine(c), referenceLine(r, c.sourceNames), `record ${i}`);
      assert.equal(c.inline, i % 4 === 1 || i % 5 === 1, `record ${i}: inline only for look-alikes`);
      assert.deepEqual(fromColumnar(c).candidates, r.candidates);
      assert.equal(bytes.byteOffset, 0);
      assert.equal(bytes.buffer.byteLength, bytes.byteLength, 'owns its buffer (it is transferred)');
    }
  });

  void it('fromColumnar gives the record back: candidates with their sources in order, removed, the rest', () => {
    for (let i = 0; i < 10; i++) {
      const r = record(i);
      const c = toColumnar(r);
      assert.equal(c.inline, false);
      assert.ok(c.parts.length === c.sourceNames.length + 1 + 1 + Object.keys(r.scores).length, 'one cut per float block');
      assert.deepEqual(fromColumnar(c), r);
    }
  });

  void it('a record that cannot be serialised is refused when it is prepared, not later', () => {
    const bad = { ...record(99), context: { limit: 20n } } as unknown as ServeRecord; // BigInt: JSON cannot
    assert.throws(() => toColumnar(bad), TypeError);
  });

  void it('still reads lines of the earlier format (objects per candidate)', () => {
    const r = record(1, 3);
    const old = JSON.parse(JSON.stringify({ ...r, features: { f32: Buffer.from(r.features.buffer).toString('base64') }, scores: { score: { f32: Buffer.from(r.scores.score.buffer).toString('base64') } } })) as Record<string, unknown>;
    const back = decodeServeRecord(old);
    assert.deepEqual(back.candidates, r.candidates);
    assert.deepEqual(back.removed, r.removed);
  });

  void it('the worker encoder writes the same bytes as the in-thread one, in order, and null for a record that could not be prepared', async () => {
    const records = Array.from({ length: 41 }, (_, i) => record(i));
    // score blocks that are views into a larger buffer (as the ranker's heads are)
    const heads = Float32Array.from({ length: 150 }, (_, k) => k / 7);
    records[7].scores = { score: heads.subarray(50, 100), p_like: heads.subarray(100, 150) };
    const featureBytes = records.map((r) => r.features.byteLength);
    const worker = workerEncoder();
    const here = inThreadEncoder();
    try {
      const columnar = records.map((r, i) => (i === 5 ? null : toColumnar(r))); // null: as the serve log queues a record toColumnar refused
      const [a, b] = await Promise.all([worker.encode(columnar.slice(0, 20)), worker.encode(columnar.slice(20))]);
      // the typed arrays went to the worker as copies: the records here are intact
      assert.deepEqual(records.map((r) => r.features.byteLength), featureBytes);
      assert.equal(heads.byteLength, 600);
      const expected = await here.encode(columnar);
      assert.equal(a.length + b.length, records.length);
      assert.equal(a[5], null);
      assert.deepEqual([...a, ...b].map((x) => x?.toString('utf8') ?? null), expected.map((x) => x?.toString('utf8') ?? null));
      assert.ok(expected[0]!.toString('utf8').endsWith('\n'));
    } finally {
      await worker.close();
      await here.close();
    }
  });
});
