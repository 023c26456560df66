import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { lnBeta, regularizedBeta } from '../../src/util/special-functions.js';
import { epsilonGreedyExplorer } from '../../src/exploration/epsilon-greedy.js';
import type { ExplorationCandidate, ExploreOptions, Explorer, ServedItem } from '../../src/exploration/explorer.js';
import { EXPLORERS } from '../../src/exploration/explorers.js';
import { requestRand } from '../../src/exploration/request-rand.js';
import { thompsonExplorer } from '../../src/exploration/thompson.js';
import type { SlateItem } from '../../src/reranking/reranker.js';
import { mulberry32 } from '../../src/util/prng.js';
import { capHolds, type ItemSpec, options, poolOf, slateOf } from './helpers.js';

// A slate and pool where caps make the eligible sets depend on the slot and on earlier exploration:
// authorWindow 3 / maxPerAuthor 1, categoryWindow 4 / maxPerCategory 2.
const SLATE: ItemSpec[] = [
  { id: 's0', author: 'a1', category: 'x' },
  { id: 's1', author: 'a2', category: 'y' },
  { id: 's2', author: 'a3', category: 'x' },
  { id: 's3', author: 'a1', category: 'z' },
  { id: 's4', author: 'a2' },
];
const POOL: ItemSpec[] = [
  { id: 'p0', author: 'a1', category: 'w', impressions: 10, positives: 5 },
  { id: 'p1', author: 'a4', category: 'x', impressions: 2, positives: 0 },
  { id: 'p2', author: 'a4', category: 'w', impressions: 40, positives: 25 },
  { id: 'p3', author: 'a5', category: 'x', impressions: 0, positives: 0 },
  { id: 'p4', impressions: 20, positives: 2 },
  { id: 's2', author: 'a3', category: 'x', impressions: 1, positives: 0 }, // already in the slate: never eligible
];
const CAPS = { maxPerAuthor: 1, authorWindow: 3, maxPerCategory: 2, categoryWindow: 4 };

function simulate(explorer: Explorer, slate: SlateItem[], pool: ExplorationCandidate[], opts: ExploreOptions, runs: number, salt: number): ServedItem[][] {
  const outs: ServedItem[][] = [];
  for (let r = 0; r < runs; r++) outs.push(explorer.explore(slate, pool, opts, requestRand(`req-${r}`, salt)));
  return outs;
}

interface Cell {
  count: number;
  propSum: number;
  propMin: number;
  propMax: number;
}

function tally(map: Map<string, Cell>, key: string, prop: number): void {
  const c = map.get(key) ?? { count: 0, propSum: 0, propMin: Infinity, propMax: -Infinity };
  c.count++;
  c.propSum += prop;
  c.propMin = Math.min(c.propMin, prop);
  c.propMax = Math.max(c.propMax, prop);
  map.set(key, c);
}

/**
 * The logged propensity is P(item at p | items served at 0 … p−1): group runs by that prefix and compare each
 * item's frequency at p with its logged propensity (`exact`: also constant within the group, and summing to 1).
 */
function checkConditional(outs: ServedItem[][], exact: boolean, mcRelTol: number): number {
  const L = outs[0].length;
  let checked = 0;
  for (let p = 0; p < L; p++) {
    const groups = new Map<string, { n: number; items: Map<string, Cell> }>();
    for (const out of outs) {
      const key = out
        .slice(0, p)
        .map((x) => x.itemId)
        .join('|');
      const g = groups.get(key) ?? { n: 0, items: new Map<string, Cell>() };
      g.n++;
      tally(g.items, out[p].itemId, out[p].propensity);
      groups.set(key, g);
    }
    for (const [key, g] of groups) {
      if (g.n < 300) continue;
      let sum = 0;
      for (const [id, c] of g.items) {
        const prop = c.propSum / c.count;
        const freq = c.count / g.n;
        if (exact) assert.ok(c.propMax - c.propMin < 1e-12, `propensity of ${id} at ${p} after [${key}] varies`);
        // binomial sd, floored at one count's worth (rare items: Poisson, not normal)
        const tol = 4.5 * Math.sqrt((Math.max(prop, 1 / g.n) * (1 - prop)) / g.n) + mcRelTol * prop + 1e-9;
        assert.ok(Math.abs(freq - prop) <= tol, `slot ${p} after [${key}]: ${id} shown ${freq.toFixed(4)} of ${g.n}, logged ${prop.toFixed(4)}`);
        sum += prop;
        checked++;
      }
      if (exact) assert.ok(Math.abs(sum - 1) < 1e-9, `slot ${p} after [${key}]: propensities sum to ${sum}`);
    }
  }
  return checked;
}

/** Chain rule: the product of a served slate's propensities is the probability of that whole slate. */
function checkSlates(outs: ServedItem[][], mcRelTol: number): number {
  const slates = new Map<string, Cell>();
  for (const out of outs) {
    tally(
      slates,
      out.map((x) => x.itemId).join('|'),
      out.reduce((q, x) => q * x.propensity, 1),
    );
  }
  let total = 0;
  for (const [key, c] of slates) {
    const prob = c.propSum / c.count;
    const freq = c.count / outs.length;
    const tol = 4.5 * Math.sqrt((Math.max(prob, 1 / outs.length) * (1 - prob)) / outs.length) + mcRelTol * prob + 1e-9;
    assert.ok(Math.abs(freq - prob) <= tol, `slate [${key}] shown ${freq.toFixed(5)}, logged ${prob.toFixed(5)}`);
    total += prob;
  }
  return total;
}

function checkShape(out: ServedItem[], slate: SlateItem[], pool: ExplorationCandidate[]): void {
  assert.equal(out.length, slate.length);
  assert.equal(new Set(out.map((x) => x.itemId)).size, out.length, 'no duplicates');
  const poolIds = new Set(pool.map((c) => c.item.itemId));
  out.forEach((x, p) => {
    assert.ok(x.propensity > 0 && x.propensity <= 1, `propensity ${x.propensity}`);
    if (x.explored) assert.ok(poolIds.has(x.itemId) && !slate.some((s) => s.itemId === x.itemId));
    else assert.equal(x.itemId, slate[p].itemId);
  });
}

void describe('explorers', () => {
  const slate = slateOf(SLATE);
  const pool = poolOf(POOL);
  const all = [...SLATE, ...POOL];

  for (const explorer of [epsilonGreedyExplorer, thompsonExplorer]) {
    void it(`${explorer.name}: share 0 is the identity with propensity 1`, () => {
      const out = explorer.explore(slate, pool, options(all, { share: 0 }), () => assert.fail('no draws at share 0'));
      assert.deepEqual(
        out,
        slate.map((s) => ({ ...s, propensity: 1, explored: false })),
      );
    });

    void it(`${explorer.name}: slots with no eligible item keep their item with propensity 1, draw nothing`, () => {
      // every pool item has author a1: with one a1 per 10 slots, s3 blocks slot 0 and s0 blocks every other slot
      const onlyA1 = poolOf([{ id: 'q0', author: 'a1' }, { id: 'q1', author: 'a1' }]);
      let draws = 0;
      const rand = mulberry32(3);
      const out = explorer.explore(slate, onlyA1, options([...SLATE, { id: 'q0', author: 'a1' }, { id: 'q1', author: 'a1' }], { share: 0.9, maxPerAuthor: 1, authorWindow: 10 }), () => {
        draws++;
        return rand();
      });
      assert.equal(draws, 0);
      assert.deepEqual(
        out.map((x) => [x.itemId, x.propensity]),
        slate.map((s) => [s.itemId, 1]),
      );
    });

    void it(`${explorer.name}: same request id, same served slate`, () => {
      const opts = options(all, { share: 0.5, ...CAPS });
      const a = explorer.explore(slate, pool, opts, requestRand('abc', 7));
      const b = explorer.explore(slate, pool, opts, requestRand('abc', 7));
      assert.deepEqual(a, b);
    });

    void it(`${explorer.name}: caps hold, no duplicates, length kept (fuzz)`, () => {
      const r = mulberry32(explorer.name.length * 101);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
      const authors = ['a0', 'a1', 'a2', 'a3', undefined];
      const cats = ['c0', 'c1', 'c2', undefined];
      let explored = 0;
      for (let t = 0; t < 400; t++) {
        const caps = { maxPerAuthor: 1 + Math.floor(r() * 3), authorWindow: Math.floor(r() * 6), maxPerCategory: 1 + Math.floor(r() * 3), categoryWindow: Math.floor(r() * 6) };
        // a slate that keeps the caps: greedy over random items
        const specs: ItemSpec[] = [];
        const L = 1 + Math.floor(r() * 12);
        for (let k = 0; specs.length < L && k < 60; k++) {
          const s: ItemSpec = { id: `s${k}`, author: pick(authors), category: pick(cats) };
          const next = [...specs, s];
          if (capHolds(next.map((x) => x.author), caps.maxPerAuthor, caps.authorWindow) && capHolds(next.map((x) => x.category), caps.maxPerCategory, caps.categoryWindow)) specs.push(s);
        }
        const poolSpecs: ItemSpec[] = Array.from({ length: Math.floor(r() * 16) }, (_, k) => ({
          id: r() < 0.1 && specs.length ? pick(specs).id : `p${k}`,
          author: pick(authors),
          category: pick(cats),
          impressions: Math.floor(r() * 50),
          positives: Math.floor(r() * 20),
        }));
        const sl = slateOf(specs);
        const po = poolOf(poolSpecs);
        const info = new Map([...poolSpecs, ...specs].map((s) => [s.id, s])); // a pool entry repeating a slate id is ignored
        const share = pick([0.1, 0.5, 1]);
        const opts = options([...specs, ...poolSpecs.filter((s) => !specs.some((x) => x.id === s.id))], { share, propensityDraws: 8, ...caps });
        const out = explorer.explore(sl, po, opts, mulberry32(t));
        checkShape(out, sl, po);
        const servedAuthors = out.map((x) => info.get(x.itemId)!.author);
        const servedCats = out.map((x) => info.get(x.itemId)!.category);
        assert.ok(capHolds(servedAuthors, caps.maxPerAuthor, caps.authorWindow), `author cap ${JSON.stringify({ caps, servedAuthors })}`);
        assert.ok(capHolds(servedCats, caps.maxPerCategory, caps.categoryWindow), `category cap ${JSON.stringify({ caps, servedCats })}`);
        explored += out.filter((x) => x.explored).length;
      }
      assert.ok(explored > 300, `explored ${explored}`);
    });

    void it(`${explorer.name}: rejects a share outside [0, 1]`, () => {
      assert.throws(() => explorer.explore(slate, pool, options(all, { share: 1.5 }), Math.random), ConfigError);
    });
  }

  void it('thompson: rejects propensityDraws < 1', () => {
    assert.throws(() => thompsonExplorer.explore(slate, pool, options(all, { propensityDraws: 0 }), Math.random), ConfigError);
  });

  void it('explorers are registered by name', () => {
    for (const [name, e] of Object.entries(EXPLORERS)) assert.equal(e.name, name);
  });

  void it('epsilon-greedy: logged propensities are exact (20k simulated requests)', () => {
    const outs = simulate(epsilonGreedyExplorer, slate, pool, options(all, { share: 0.35, ...CAPS }), 20_000, 1);
    for (const out of outs) checkShape(out, slate, pool);
    const checked = checkConditional(outs, true, 0);
    assert.ok(checked > 40, `checked ${checked} (prefix, slot, item) cells`);
    const total = checkSlates(outs, 0);
    assert.ok(total > 0.99, `observed slates cover probability ${total}`);
  });

  void it('thompson: logged propensities match frequencies within Monte Carlo error (10k simulated requests)', () => {
    const outs = simulate(thompsonExplorer, slate, pool, options(all, { share: 0.35, propensityDraws: 48, ...CAPS }), 10_000, 2);
    for (const out of outs) checkShape(out, slate, pool);
    const checked = checkConditional(outs, false, 0.05);
    assert.ok(checked > 25, `checked ${checked} (prefix, slot, item) cells`);
    checkSlates(outs, 0.1);
  });

  void it('thompson: pick frequencies and propensities match P(argmax) by quadrature', () => {
    const specs: ItemSpec[] = [
      { id: 'x0', impressions: 10, positives: 5 },
      { id: 'x1', impressions: 3, positives: 0 },
      { id: 'x2', impressions: 40, positives: 25 },
      { id: 'x3', impressions: 0, positives: 0 },
    ];
    const ab = specs.map((s) => [1 + s.positives!, 1 + Math.max(0, s.impressions! - s.positives!)]);
    const exact = ab.map(([a, b], x) => {
      const lnB = lnBeta(a, b);
      const n = 20_000;
      let q = 0;
      for (let k = 0; k < n; k++) {
        const t = (k + 0.5) / n;
        let g = Math.exp((a - 1) * Math.log(t) + (b - 1) * Math.log1p(-t) - lnB);
        ab.forEach(([aj, bj], j) => {
          if (j !== x) g *= regularizedBeta(t, aj, bj);
        });
        q += g / n;
      }
      return q;
    });
    assert.ok(Math.abs(exact.reduce((s, q) => s + q, 0) - 1) < 1e-6);
    const runs = 20_000;
    const seen = specs.map(() => ({ count: 0, propSum: 0 }));
    const sl = slateOf([{ id: 's' }]);
    const po = poolOf(specs);
    const opts = options([{ id: 's' }, ...specs], { share: 1, propensityDraws: 32 });
    for (let r = 0; r < runs; r++) {
      const [x] = thompsonExplorer.explore(sl, po, opts, requestRand(`q${r}`, 3));
      const i = Number(x.itemId.slice(1));
      seen[i].count++;
      seen[i].propSum += x.propensity;
    }
    seen.forEach((s, i) => {
      const q = exact[i];
      const freq = s.count / runs;
      assert.ok(Math.abs(freq - q) < 4.5 * Math.sqrt((q * (1 - q)) / runs), `x${i}: picked ${freq}, P(argmax) ${q}`);
      if (s.count > 100) assert.ok(Math.abs(s.propSum / s.count - q) < 0.03 * q + 0.002, `x${i}: mean logged ${s.propSum / s.count}, exact ${q}`);
    });
  });
});
