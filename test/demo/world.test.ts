import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { ItemSchema, UserSchema } from '../../src/domain/schemas.js';
import { mulberry32 } from '../../src/util/prng.js';
import { newSession, nextSession, react, watchLogit } from '../../src/demo/user-model.js';
import { createWorld, World } from '../../src/demo/world.js';

const NOW = Date.UTC(2026, 0, 1);
const small = (seed = 7) => createWorld({ seed, items: 500, authors: 40, categories: 8, users: 60, nowMs: NOW, uploadCapacity: 10 });
const ajv = new Ajv({ strict: false });
const validItem = ajv.compile(ItemSchema);
const validUser = ajv.compile(UserSchema);

void describe('demo world', () => {
  void it('is deterministic for a seed and differs between seeds', () => {
    const a = small();
    const b = small();
    const c = small(8);
    const items = (w: World) => Array.from({ length: w.itemCount }, (_, i) => w.itemRecord(i));
    const users = (w: World) => Array.from({ length: w.userCount }, (_, u) => w.userRecord(u));
    assert.deepEqual(items(a), items(b));
    assert.deepEqual(users(a), users(b));
    assert.deepEqual(a.userVec, b.userVec);
    assert.deepEqual(a.itemVec, b.itemVec);
    assert.notDeepEqual(items(a), items(c));
    a.newUpload(NOW + 1000);
    b.newUpload(NOW + 1000);
    assert.deepEqual(a.itemRecord(500), b.itemRecord(500));
  });

  void it('produces records that validate against the wire schemas, with the documented ids and ranges', () => {
    const w = small();
    for (let i = 0; i < w.itemCount; i++) {
      const r = w.itemRecord(i);
      assert.ok(validItem(r), JSON.stringify(validItem.errors));
      assert.equal(r.id, `item-${i}`);
      assert.match(r.author_id, /^author-\d+$/);
      assert.match(r.category ?? '', /^cat-[0-7]$/);
      assert.ok(r.duration_ms! >= 5000 && r.duration_ms! <= 90_000);
      assert.ok(r.created_at <= NOW && r.created_at >= NOW - 7 * 86_400_000);
      assert.equal(w.itemIndex(r.id), i);
    }
    for (let u = 0; u < w.userCount; u++) {
      const r = w.userRecord(u);
      assert.ok(validUser(r), JSON.stringify(validUser.errors));
      assert.equal(w.userIndex(r.id), u);
    }
    for (const bad of ['item-500', 'item-01', 'item-', 'user-3', 'alien-1', 'item-1e3']) assert.equal(w.itemIndex(bad), -1, bad);
  });

  void it('has unit latent vectors, items near their category centroid, users concentrated on their categories', () => {
    const w = small();
    const d = w.dim;
    let own = 0;
    let other = 0;
    for (let i = 0; i < w.itemCount; i++) {
      let norm = 0;
      for (let k = 0; k < d; k++) norm += w.itemVec[i * d + k] ** 2;
      assert.ok(Math.abs(norm - 1) < 1e-4);
      for (let c = 0; c < w.categoryCount; c++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += w.itemVec[i * d + k] * w.categoryCentroid[c * d + k];
        if (c === w.itemCategory[i]) own += dot / w.itemCount;
        else other += dot / (w.itemCount * (w.categoryCount - 1));
      }
    }
    assert.ok(own > 0.7 && other < 0.3, `own ${own} other ${other}`);
    // a user's affinity to items of their first category beats the affinity to the rest
    let inCat = 0;
    let nIn = 0;
    let outCat = 0;
    let nOut = 0;
    for (let u = 0; u < w.userCount; u++) {
      for (let i = 0; i < w.itemCount; i++) {
        if (w.itemCategory[i] === w.userCategories[u * 3]) {
          inCat += w.affinity(u, i);
          nIn++;
        } else if (!Array.from(w.userCategories.subarray(u * 3, u * 3 + 3)).includes(w.itemCategory[i])) {
          outCat += w.affinity(u, i);
          nOut++;
        }
      }
    }
    assert.ok(inCat / nIn > outCat / nOut + 0.3, `in ${inCat / nIn} out ${outCat / nOut}`);
  });

  void it('has Zipf-ish popularity, author sizes and activity', () => {
    const w = createWorld({ seed: 3, items: 5000, authors: 300, categories: 20, users: 1000, nowMs: NOW });
    const pop = Array.from(w.itemPopularity.subarray(0, w.itemCount)).sort((a, b) => b - a);
    const total = pop.reduce((s, x) => s + x, 0);
    const top1 = pop.slice(0, 50).reduce((s, x) => s + x, 0);
    assert.ok(top1 / total > 0.4, `top 1% hold ${top1 / total}`);
    const slope = Math.log(pop[999] / pop[9]) / Math.log(1000 / 10);
    assert.ok(slope < -0.8 && slope > -1.2, `log-log slope ${slope}`);
    const sizes = new Map<number, number>();
    for (let i = 0; i < w.itemCount; i++) sizes.set(w.itemAuthor[i], (sizes.get(w.itemAuthor[i]) ?? 0) + 1);
    const bySize = [...sizes.values()].sort((a, b) => b - a);
    assert.ok(bySize[0] > 10 * bySize[Math.floor(bySize.length / 2)], `largest ${bySize[0]} median ${bySize[Math.floor(bySize.length / 2)]}`);
    const act = Array.from(w.userActivity).sort((a, b) => b - a);
    assert.ok(act[0] / act[act.length - 1] > 100);
    // popular items are better on average (popularity rank follows quality + noise)
    const q = (lo: number, hi: number) => {
      const idx = Array.from({ length: w.itemCount }, (_, i) => i).sort((a, b) => w.itemPopularity[b] - w.itemPopularity[a]).slice(lo, hi);
      return idx.reduce((s, i) => s + w.itemQuality[i], 0) / idx.length;
    };
    assert.ok(q(0, 500) > q(4500, 5000) + 0.2);
  });

  void it('appends uploads up to the capacity, visibly to a world re-opened from the handle', () => {
    const w = small();
    const twin = World.fromHandle(structuredClone(w.handle()));
    const i = w.newUpload(NOW + 5000);
    assert.equal(i, 500);
    assert.equal(twin.itemCount, 501);
    assert.deepEqual(twin.itemRecord(i), w.itemRecord(i));
    assert.equal(w.itemRecord(i).created_at, NOW + 5000);
    assert.equal(twin.itemIndex('item-500'), 500);
    for (let k = 1; k < 10; k++) assert.equal(w.newUpload(NOW), 500 + k);
    assert.equal(w.newUpload(NOW), -1);
    assert.ok(w.itemsByCategory().items.length === 510);
  });

  void it('drifts interests slowly towards a target category, deterministically', () => {
    const a = small();
    const b = small();
    const u = 3;
    const before = a.userVec.slice(u * a.dim, (u + 1) * a.dim);
    const ra = mulberry32(1);
    const rb = mulberry32(1);
    a.drift(u, ra);
    b.drift(u, rb);
    assert.deepEqual(a.userVec, b.userVec);
    const after = a.userVec.slice(u * a.dim, (u + 1) * a.dim);
    const cos = before.reduce((s, x, k) => s + x * after[k], 0);
    assert.ok(cos > 0.99 && cos < 1, `one step: cos ${cos}`);
    for (let k = 0; k < 300; k++) a.drift(u, ra);
    const far = a.userVec.slice(u * a.dim, (u + 1) * a.dim);
    assert.ok(before.reduce((s, x, k) => s + x * far[k], 0) < 0.95, 'many steps move the interests');
    assert.ok(Math.abs(far.reduce((s, x) => s + x * x, 0) - 1) < 1e-4);
  });
});

void describe('reaction model', () => {
  const w = small();
  const meanRatio = (pairs: [number, number][], position: number) => {
    const rand = mulberry32(99);
    let s = 0;
    for (const [u, i] of pairs) for (let k = 0; k < 20; k++) s += react(w, u, i, position, newSession(), rand).watchRatio;
    return s / (pairs.length * 20);
  };
  const pairs: { u: number; i: number; a: number }[] = [];
  for (let u = 0; u < w.userCount; u++) for (let i = 0; i < w.itemCount; i += 7) pairs.push({ u, i, a: w.affinity(u, i) });
  pairs.sort((x, y) => x.a - y.a);
  const low = pairs.slice(0, 300).map((p) => [p.u, p.i] as [number, number]);
  const high = pairs.slice(-300).map((p) => [p.u, p.i] as [number, number]);

  void it('watches higher-affinity items longer and engages more', () => {
    const hi = meanRatio(high, 0);
    const lo = meanRatio(low, 0);
    assert.ok(hi > lo + 0.3, `high ${hi} low ${lo}`);
    const likes = (ps: [number, number][]) => {
      const rand = mulberry32(5);
      let n = 0;
      for (const [u, i] of ps) for (let k = 0; k < 20; k++) n += react(w, u, i, 0, newSession(), rand).like ? 1 : 0;
      return n;
    };
    assert.ok(likes(high) > 5 * Math.max(1, likes(low)));
  });

  void it('watches later slots less, with the same draws', () => {
    for (const [u, i] of [...high.slice(0, 20), ...low.slice(0, 20)]) {
      const r0 = react(w, u, i, 0, newSession(), mulberry32(u * 1000 + i));
      const r9 = react(w, u, i, 9, newSession(), mulberry32(u * 1000 + i));
      assert.ok(r9.watchRatio < r0.watchRatio);
      assert.ok(watchLogit(w, u, i, 9, newSession()) < watchLogit(w, u, i, 0, newSession()));
    }
    assert.ok(meanRatio(high, 9) < meanRatio(high, 0));
  });

  void it('derives complete, skip and watch_ms from the ratio; is deterministic; tracks the session', () => {
    const rand = mulberry32(1);
    let ends = { bad: 0, good: 0 };
    for (let k = 0; k < 4000; k++) {
      const [u, i] = (k % 2 ? high : low)[k % 300];
      const r = react(w, u, i, k % 10, newSession(), rand);
      assert.equal(r.complete, r.watchRatio >= 0.95);
      assert.equal(r.skip, r.watchRatio < 0.2);
      assert.equal(r.watchMs, Math.round(r.watchRatio * w.itemDurationMs[i]));
      if (r.hide) assert.ok(r.skip && w.affinity(u, i) < 0.1);
      if (r.endSession) ends = r.watchRatio < 0.3 ? { ...ends, bad: ends.bad + 1 } : { ...ends, good: ends.good + 1 };
    }
    assert.ok(ends.bad > ends.good, JSON.stringify(ends));
    const [u, i] = high[0];
    assert.deepEqual(react(w, u, i, 3, newSession(), mulberry32(4)), react(w, u, i, 3, newSession(), mulberry32(4)));
    const s0 = newSession();
    const r = { ...react(w, u, i, 0, s0, mulberry32(4)), follow: true };
    const s1 = nextSession(s0, w, i, r);
    assert.deepEqual(s0, newSession(), 'the input session is not changed');
    assert.equal(s1.watched, 1);
    assert.deepEqual(s1.followedAuthors, [w.itemAuthor[i]]);
    for (let k = 0; k < 50; k++) assert.equal(react(w, u, i, 0, s1, mulberry32(k)).follow, false, 'one follow per author per session');
  });
});
