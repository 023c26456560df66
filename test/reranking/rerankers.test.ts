import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authorCapReRanker } from '../../src/reranking/author-cap.js';
import { categoryCapReRanker } from '../../src/reranking/category-cap.js';
import { diversityReRanker } from '../../src/reranking/diversity.js';
import { fatigueReRanker, fatigueShare } from '../../src/reranking/fatigue.js';
import { freshnessBoostReRanker } from '../../src/reranking/freshness-boost.js';
import type { ReRanker, SlateItem } from '../../src/reranking/reranker.js';
import { rng, T0 } from '../helpers/fixtures.js';
import { feedCtx, ids, makeSlate, maxInWindow, userWithSkips, type Row } from './slate-fixtures.js';

const HOUR = 3_600_000;

void describe('category cap', () => {
  const cfg = { maxPerCategory: 2, categoryWindow: 4, maxPerAuthor: 99, authorWindow: 10 };

  void it('keeps at most maxPerCategory per window, greedily taking the best item that keeps the cap', () => {
    const rows: Row[] = [];
    for (let i = 1; i <= 8; i++) rows.push({ id: `x${i}`, score: 30 - i, category: 'x', author: `ax${i}` });
    for (let i = 1; i <= 4; i++) rows.push({ id: `y${i}`, score: 20 - i, category: 'y', author: `ay${i}` });
    const { slate, info } = makeSlate(rows);
    const out = categoryCapReRanker.rerank(feedCtx(cfg), slate, 8, info);
    // the 8 slots, then the items not placed, in their input order (slack for the author cap after it)
    assert.deepEqual(ids(out), ['x1', 'x2', 'y1', 'y2', 'x3', 'x4', 'y3', 'y4', 'x5', 'x6', 'x7', 'x8']);
    assert.ok(maxInWindow(out.slice(0, 8).map((s) => info(s.itemId).category), 4) <= 2);
    assert.equal(out[0], slate[0], 'items pass through unchanged');
  });

  void it('fills the slate with the best items when the cap cannot be kept', () => {
    const { slate, info } = makeSlate(Array.from({ length: 7 }, (_, i) => ({ id: `x${i}`, score: 10 - i, category: 'x' })));
    assert.deepEqual(ids(categoryCapReRanker.rerank(feedCtx(cfg), slate, 5, info)).slice(0, 5), ['x0', 'x1', 'x2', 'x3', 'x4']);
    const mixed = makeSlate([...Array.from({ length: 6 }, (_, i) => ({ id: `x${i}`, score: 10 - i, category: 'x' })), { id: 'y', score: 1, category: 'y' }]);
    const out = categoryCapReRanker.rerank(feedCtx({ ...cfg, maxPerCategory: 1, categoryWindow: 3 }), mixed.slate, 5, mixed.info);
    assert.deepEqual(ids(out), ['x0', 'y', 'x1', 'x2', 'x3', 'x4', 'x5'], 'y moves up to break the run, then the slate is filled');
  });

  void it('never caps unknown categories; honours limit 0 and limits beyond the slate', () => {
    const { slate, info } = makeSlate(Array.from({ length: 5 }, (_, i) => ({ id: `u${i}`, score: 5 - i })));
    assert.deepEqual(ids(categoryCapReRanker.rerank(feedCtx(cfg), slate, 4, info)), ['u0', 'u1', 'u2', 'u3', 'u4']);
    assert.deepEqual(ids(categoryCapReRanker.rerank(feedCtx(cfg), slate, 0, info)), ids(slate), 'no slot: every item is slack');
    assert.equal(categoryCapReRanker.rerank(feedCtx(cfg), slate, 50, info).length, 5);
  });

  void it('keeps the author cap too, so category-cap → author-cap does not undo it', () => {
    // independent greedy caps would serve A, C (author-cap skips B, bringing C's category next to A's)
    const { slate, info } = makeSlate([
      { id: 'A', score: 4, category: 'c1', author: 'a1' },
      { id: 'B', score: 3, category: 'c2', author: 'a1' },
      { id: 'C', score: 2, category: 'c1', author: 'a2' },
      { id: 'D', score: 1, category: 'c2', author: 'a2' },
    ]);
    const ctx = feedCtx({ maxPerCategory: 1, categoryWindow: 2, maxPerAuthor: 1, authorWindow: 2 });
    const capped = categoryCapReRanker.rerank(ctx, slate, 2, info);
    assert.deepEqual(ids(capped), ['A', 'D', 'B', 'C']);
    assert.deepEqual(ids(authorCapReRanker.rerank(ctx, capped, 2, info)), ['A', 'D']);
  });

  void it('when it must break the author cap, the author cap after it fills the slate from its slack instead of ending it', () => {
    // the best items all in two categories (as when a user's top candidates share their favourite categories): the
    // category cap cannot be kept, and its relaxed slots repeat one prolific author
    const rows: Row[] = Array.from({ length: 60 }, (_, i) => ({ id: `i${i}`, score: 60 - i, category: i % 2 ? 'c1' : 'c2', author: i % 3 === 0 ? 'prolific' : `a${i}` }));
    const { slate, info } = makeSlate(rows);
    const ctx = feedCtx({ maxPerCategory: 4, categoryWindow: 10, maxPerAuthor: 2, authorWindow: 10 });
    const capped = categoryCapReRanker.rerank(ctx, slate, 20, info);
    assert.equal(capped.length, 60);
    assert.ok(authorCapReRanker.rerank(ctx, capped.slice(0, 20), 20, info).length < 20, 'without the slack it would end short');
    const final = authorCapReRanker.rerank(ctx, capped, 20, info);
    assert.equal(final.length, 20, 'a full slate');
    assert.ok(maxInWindow(final.map((s) => info(s.itemId).authorId), 10) <= 2, 'the author cap holds');
  });
});

void describe('author cap', () => {
  void it('caps per window, including a window of one slot', () => {
    const { slate, info } = makeSlate(Array.from({ length: 6 }, (_, i) => ({ id: `i${i}`, score: 6 - i, author: i < 4 ? 'a' : `b${i}` })));
    // hard cap: a third `a` would break it, so the slate ends after four items (the pipeline tops it up)
    assert.deepEqual(ids(authorCapReRanker.rerank(feedCtx({ maxPerAuthor: 2, authorWindow: 10 }), slate, 5, info)), ['i0', 'i1', 'i4', 'i5']);
    assert.deepEqual(ids(authorCapReRanker.rerank(feedCtx({ maxPerAuthor: 1, authorWindow: 1 }), slate, 6, info)), ids(slate));
    assert.deepEqual(ids(authorCapReRanker.rerank(feedCtx({ maxPerAuthor: 1, authorWindow: 2 }), slate, 6, info)), ['i0', 'i4', 'i1', 'i5', 'i2']);
  });
});

void describe('diversity (MMR)', () => {
  const dupes: Row[] = [
    { id: 'd1', score: 1.0, vector: [1, 0, 0], author: 'a1' },
    { id: 'd2', score: 0.98, vector: [0.999, 0.04, 0], author: 'a2' },
    { id: 'd3', score: 0.96, vector: [0.998, 0, 0.06], author: 'a3' },
    { id: 'e', score: 0.9, vector: [0, 1, 0], author: 'a4' },
    { id: 'f', score: 0.85, vector: [0, 0, 1], author: 'a5' },
    { id: 'g', score: 0.5, vector: [0.7, 0.7, 0], author: 'a6' },
  ];

  void it('is the identity with weight 0', () => {
    const { slate, info } = makeSlate(dupes);
    const out = diversityReRanker.rerank(feedCtx({ diversityWeight: 0 }), slate, 3, info);
    assert.deepEqual(out, slate);
    out.forEach((s, i) => assert.equal(s, slate[i]));
  });

  void it('breaks up near-duplicate vectors and keeps scores, appending the rest', () => {
    const { slate, info } = makeSlate(dupes);
    const out = diversityReRanker.rerank(feedCtx({ diversityWeight: 0.3 }), slate, 3, info);
    assert.deepEqual(ids(out), ['d1', 'e', 'f', 'd2', 'd3', 'g']);
    for (const s of out) assert.equal(s, slate.find((x) => x.itemId === s.itemId), 'same objects, original scores');
    // a small weight leaves strong relevance gaps alone
    assert.deepEqual(ids(diversityReRanker.rerank(feedCtx({ diversityWeight: 0.01 }), slate, 3, info)), ['d1', 'd2', 'd3', 'e', 'f', 'g']);
  });

  void it('falls back to author (1) and category (0.5) similarity without vectors', () => {
    const { slate, info } = makeSlate([
      { id: 'a1-1', score: 1, author: 'a1', category: 'c1' },
      { id: 'a1-2', score: 0.99, author: 'a1', category: 'c1' },
      { id: 'a1-3', score: 0.98, author: 'a1', category: 'c1' },
      { id: 'a2', score: 0.9, author: 'a2', category: 'c1' },
      { id: 'a3', score: 0.8, author: 'a3', category: 'c2' },
    ]);
    // rel = 1, .95, .9, .5, 0; slot 2: a1-2 = .475 − .5 < a2 = .25 − .25 = 0 ≤ a3 = 0 (tie → better ranked a2)
    assert.deepEqual(ids(diversityReRanker.rerank(feedCtx({ diversityWeight: 0.5 }), slate, 3, info)), ['a1-1', 'a2', 'a3', 'a1-2', 'a1-3']);
  });

  void it('considers only the top max(3·limit, 60) items; the rest follow in order', () => {
    const rows: Row[] = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}`, score: 100 - i, author: i < 60 ? 'same' : `a${i}` }));
    const { slate, info } = makeSlate(rows);
    const out = diversityReRanker.rerank(feedCtx({ diversityWeight: 0.9 }), slate, 5, info);
    assert.equal(out.length, 100);
    assert.deepEqual(ids(out.slice(60)), ids(slate.slice(60)), 'items beyond M keep their order at the end');
    assert.deepEqual(new Set(ids(out)), new Set(ids(slate)));
  });
});

void describe('freshness boost', () => {
  const H = 48 * HOUR;
  const cfg = { freshnessBoost: 0.2, freshnessHorizonMs: H };

  void it('lifts new items by boost × range × (1 − age / horizon) and re-sorts the whole slate', () => {
    const { slate, info } = makeSlate([
      { id: 'old', score: 10, createdAtMs: T0 - 240 * HOUR },
      { id: 'new', score: 9, createdAtMs: T0 },
      { id: 'half', score: 8, createdAtMs: T0 - H / 2 },
      { id: 'atH', score: 7.5, createdAtMs: T0 - H },
      { id: 'unknown', score: 5 },
      { id: 'bottom', score: 0, createdAtMs: T0 - 240 * HOUR },
    ]);
    const out = freshnessBoostReRanker.rerank(feedCtx(cfg, { nowMs: T0 }), slate, 2, info);
    assert.deepEqual(ids(out), ['new', 'old', 'half', 'atH', 'unknown', 'bottom'], 'not trimmed');
    const score = (id: string) => out.find((s) => s.itemId === id)!.score;
    assert.ok(Math.abs(score('new') - 11) < 1e-9, 'full boost: 0.2 × range 10');
    assert.ok(Math.abs(score('half') - 9) < 1e-9, 'half the boost at half the horizon');
    assert.equal(out[3], slate[3], 'no boost at the horizon');
    assert.equal(out[4], slate[4], 'no boost for an unknown age');
    assert.ok(out.every((s) => s.propensity === 0.5));
    assert.equal(slate[1].score, 9, 'the input is not mutated');
  });

  void it('decays monotonically to zero at the horizon; a future upload counts as new', () => {
    const ages = [-HOUR, 0, H / 4, H / 2, (3 * H) / 4, H - 1, H, H + 1];
    const rows: Row[] = [{ id: 'top', score: 1 }, ...ages.map((a, i) => ({ id: `age${i}`, score: 0.5, createdAtMs: T0 - a })), { id: 'floor', score: 0 }];
    const { slate, info } = makeSlate(rows);
    const out = freshnessBoostReRanker.rerank(feedCtx(cfg, { nowMs: T0 }), slate, 10, info);
    const boost = ages.map((_, i) => out.find((s) => s.itemId === `age${i}`)!.score - 0.5);
    assert.ok(Math.abs(boost[0] - 0.2) < 1e-9 && Math.abs(boost[1] - 0.2) < 1e-9);
    for (let i = 1; i < boost.length; i++) assert.ok(boost[i] <= boost[i - 1], `boost non-increasing with age (${i})`);
    assert.ok(boost[5] > 0 && boost[5] < 1e-8);
    assert.equal(boost[6], 0);
    assert.equal(boost[7], 0);
    assert.deepEqual(ids(freshnessBoostReRanker.rerank(feedCtx({ ...cfg, freshnessBoost: 0 }), slate, 10, info)), ids(slate));
  });
});

void describe('fatigue', () => {
  const cfg = { fatigueSkips: 3, fatiguePenalty: 0.1 };
  const rows: Row[] = [
    { id: 'a1-top', score: 10, author: 'a1' },
    { id: 'a2', score: 9, author: 'a2' },
    { id: 'a3', score: 8, author: 'a3' },
    { id: 'a1-mid', score: 7, author: 'a1' },
    { id: 'anon', score: 6 },
    { id: 'a3-low', score: 0, author: 'a3' },
  ];

  void it("demotes the items of an author skipped at least fatigueSkips times and leaves the others' scores", () => {
    const { slate, info } = makeSlate(rows);
    // a1: 5 skips → share min(1, 0.1 × 3) = 0.3 of range 10; a2: 2 skips, below the threshold
    const out = fatigueReRanker.rerank(feedCtx(cfg, { user: userWithSkips({ a1: 5, a2: 2 }) }), slate, 3, info);
    assert.deepEqual(ids(out), ['a2', 'a3', 'a1-top', 'anon', 'a1-mid', 'a3-low']);
    assert.ok(Math.abs(out[2].score - 7) < 1e-9 && Math.abs(out[4].score - 4) < 1e-9);
    for (const id of ['a2', 'a3', 'anon', 'a3-low']) assert.equal(out.find((s) => s.itemId === id), slate.find((s) => s.itemId === id));
  });

  void it('is the identity without a user, without fatigued authors, or with a zero penalty', () => {
    const { slate, info } = makeSlate(rows);
    assert.deepEqual(fatigueReRanker.rerank(feedCtx(cfg), slate, 3, info), slate);
    assert.deepEqual(fatigueReRanker.rerank(feedCtx(cfg, { user: userWithSkips({ a1: 2.9 }) }), slate, 3, info), slate);
    assert.deepEqual(fatigueReRanker.rerank(feedCtx({ ...cfg, fatiguePenalty: 0 }, { user: userWithSkips({ a1: 50 }) }), slate, 3, info), slate);
  });

  void it('is monotone in skips and capped at the whole score range', () => {
    let prev = 0;
    for (let s = 0; s <= 30; s += 0.25) {
      const f = fatigueShare(s, 3, 0.1);
      assert.ok(f >= prev && f <= 1, `share at ${s}`);
      prev = f;
    }
    assert.equal(fatigueShare(2.99, 3, 0.1), 0);
    assert.ok(Math.abs(fatigueShare(3, 3, 0.1) - 0.1) < 1e-12);
    assert.equal(fatigueShare(100, 3, 0.1), 1);
    assert.equal(fatigueShare(0, 0, 0.1), 0, 'no skips, no fatigue, whatever the threshold');
    const { slate, info } = makeSlate(rows);
    const position = (skips: number) => ids(fatigueReRanker.rerank(feedCtx(cfg, { user: userWithSkips({ a1: skips }) }), slate, 6, info)).indexOf('a1-top');
    const positions = [0, 3, 4, 6, 10, 20].map(position);
    for (let i = 1; i < positions.length; i++) assert.ok(positions[i] >= positions[i - 1], `position ${positions.join(',')}`);
  });
});

void describe('re-rankers on random slates (property)', () => {
  const chain: ReRanker[] = [fatigueReRanker, freshnessBoostReRanker, diversityReRanker, categoryCapReRanker, authorCapReRanker];
  const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

  /** Every output item is an input item (same id, sources and propensity), at most once. */
  function assertSubsetPermutation(input: readonly SlateItem[], output: readonly SlateItem[], name: string) {
    const byId = new Map(input.map((s) => [s.itemId, s]));
    const seen = new Set<string>();
    for (const s of output) {
      const src = byId.get(s.itemId);
      assert.ok(src, `${name}: ${s.itemId} was not in its input`);
      assert.ok(!seen.has(s.itemId), `${name}: ${s.itemId} twice`);
      seen.add(s.itemId);
      assert.equal(s.propensity, src.propensity, `${name}: propensity kept`);
      assert.deepEqual(s.sources, src.sources);
    }
  }

  void it('outputs a permutation of a subset, deterministically; the caps hold whenever the greedy cannot be blocked', () => {
    let capsChecked = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      const n = int(r, 0, 150);
      const limit = int(r, 1, 30);
      const nCategories = int(r, 1, 40);
      const nAuthors = int(r, 1, 80);
      const centres = Array.from({ length: 4 }, () => Array.from({ length: 8 }, () => r() - 0.5));
      const rows: Row[] = [];
      for (let i = 0; i < n; i++) {
        const c = centres[int(r, 0, 3)];
        rows.push({
          id: `i${i}`,
          score: r() < 0.05 ? 0.5 : r(), // some ties
          author: r() < 0.1 ? undefined : `a${int(r, 0, nAuthors - 1)}`,
          category: r() < 0.1 ? undefined : `c${int(r, 0, nCategories - 1)}`,
          createdAtMs: r() < 0.2 ? Number.NaN : T0 - r() * 96 * HOUR,
          vector: r() < 0.3 ? undefined : c.map((x) => x + 0.1 * (r() - 0.5)),
        });
      }
      rows.sort((a, b) => b.score - a.score);
      const feed = {
        maxPerCategory: int(r, 1, 4),
        categoryWindow: int(r, 1, 10),
        maxPerAuthor: int(r, 1, 3),
        authorWindow: int(r, 1, 10),
        diversityWeight: [0, 0.15, 0.5, 1][int(r, 0, 3)],
      };
      const skips = Object.fromEntries(Array.from({ length: int(r, 0, 10) }, () => [`a${int(r, 0, nAuthors - 1)}`, r() * 8]));
      const ctx = feedCtx(feed, { user: r() < 0.8 ? userWithSkips(skips) : undefined, nowMs: T0, limit });
      const { slate, info } = makeSlate(rows);

      const run = () => {
        let cur: SlateItem[] = slate;
        const stages: SlateItem[][] = [];
        for (const rr of chain) {
          const next = rr.rerank(ctx, cur, limit, info);
          assertSubsetPermutation(cur, next, `${rr.name} (seed ${seed})`);
          // the category cap returns its slots, then its slack; the author cap at most `limit` items
          const expected = rr === authorCapReRanker ? Math.min(limit, cur.length) : cur.length;
          // the author cap is hard: it may end the slate early (the pipeline tops it up), never exceed the cap
          if (rr === authorCapReRanker) assert.ok(next.length <= expected, `${rr.name} (seed ${seed}): length`);
          else assert.equal(next.length, expected, `${rr.name} (seed ${seed}): length`);
          stages.push(next);
          cur = next;
        }
        return stages;
      };
      const stages = run();
      assert.deepEqual(run().map((s) => ids(s)), stages.map((s) => ids(s)), `deterministic (seed ${seed})`);
      const last = stages[stages.length - 1];
      const beforeAuthorCap = stages[stages.length - 2];
      // with the slack, the author cap ends the slate short only when the whole list cannot fill it under the cap
      const underCap = authorCapReRanker.rerank(ctx, beforeAuthorCap, beforeAuthorCap.length, info).length;
      assert.equal(last.length, Math.min(limit, underCap), `short only when the cap cannot be kept (seed ${seed})`);
      assert.ok(maxInWindow(last.map((s) => info(s.itemId).authorId), feed.authorWindow) <= feed.maxPerAuthor, `author cap always (seed ${seed})`);

      // sufficient for the joint greedy never to relax a cap: at any slot at most ⌊(W−1)/max⌋ keys are blocked per
      // cap, so fewer blocked items than remaining ones always leaves an item that keeps both caps
      const countMax = (key: (row: Row) => string | undefined) => {
        const counts = new Map<string, number>();
        for (const row of rows) {
          const k = key(row);
          if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        return Math.max(0, ...counts.values());
      };
      const blockedCategories = Math.floor((feed.categoryWindow - 1) / feed.maxPerCategory);
      const blockedAuthors = Math.floor((feed.authorWindow - 1) / feed.maxPerAuthor);
      const feasible = n - limit + 1 > blockedCategories * countMax((x) => x.category) + blockedAuthors * countMax((x) => x.author);
      if (!feasible) continue;
      capsChecked++;
      const final = stages[stages.length - 1];
      assert.equal(final.length, Math.min(limit, n), `full slate when the caps can be kept (seed ${seed})`);
      assert.ok(maxInWindow(final.map((s) => info(s.itemId).category), feed.categoryWindow) <= feed.maxPerCategory, `category cap (seed ${seed})`);
      assert.ok(maxInWindow(final.map((s) => info(s.itemId).authorId), feed.authorWindow) <= feed.maxPerAuthor, `author cap (seed ${seed})`);
    }
    assert.ok(capsChecked >= 100, `caps checked on ${capsChecked} slates`);
  });
});
