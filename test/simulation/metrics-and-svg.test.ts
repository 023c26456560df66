import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entropyBits, gini, PeriodStats } from '../../src/simulation/exposure-metrics.js';
import { lineChartSvg, niceTicks } from '../../src/simulation/svg-chart.js';
import { simulationWorld } from '../../src/simulation/run-policy.js';
import { simulationOptions } from '../../src/simulation/options.js';
import type { Reaction } from '../../src/demo/user-model.js';

const close = (a: number, b: number, msg = '') => assert.ok(Math.abs(a - b) < 1e-12, `${msg} ${a} vs ${b}`);

/** Checks that `xml` is one well-formed element tree (balanced, properly nested tags; attribute quotes) and returns its tag names. */
function wellFormed(xml: string): string[] {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tags: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let roots = 0;
  let end = 0;
  while ((m = re.exec(body)) !== null) {
    end = re.lastIndex;
    if (m[5] !== undefined) {
      assert.ok(stack.length > 0 || m[5].trim() === '', `text outside the root: ${m[5].slice(0, 40)}`);
      assert.ok(!/&(?!(amp|lt|gt|quot|apos);)/.test(m[5]), `unescaped & in ${m[5]}`);
      continue;
    }
    const [, closing, name, , selfClosing] = m;
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else {
      if (stack.length === 0) roots++;
      tags.push(name);
      if (!selfClosing) stack.push(name);
    }
  }
  assert.equal(end, body.length, `unparsable at ${body.slice(end, end + 60)}`);
  assert.equal(stack.length, 0, `unclosed ${stack.join(',')}`);
  assert.equal(roots, 1);
  return tags;
}

void describe('exposure metrics', () => {
  void it('gini of known exposure vectors', () => {
    close(gini([0, 0, 0, 1]), 0.75, 'all on one of 4');
    close(gini([1, 1, 1, 1]), 0, 'equal');
    close(gini([1, 2, 3, 4]), 0.25, '1..4');
    close(gini([4, 1, 3, 2]), 0.25, 'order does not matter');
    close(gini([0, 0, 0, 0]), 0, 'no exposure');
    close(gini([]), 0, 'empty');
    close(gini(new Uint32Array([0, 0, 5, 5])), 0.5, 'half the items');
  });

  void it('entropy in bits', () => {
    close(entropyBits([1, 1]), 1);
    close(entropyBits([3, 3, 3, 3]), 2);
    close(entropyBits([0, 7, 0]), 0);
    close(entropyBits([9, 1, 1, 0, 0], 1, 2), 1, 'a slice');
  });

  void it('period stats: coverage, top-category share and session length', () => {
    const world = simulationWorld(simulationOptions({ items: 40, users: 3, categories: 4, authors: 10, days: 1, uploadsPerDay: 0 }));
    const stats = new PeriodStats(world, 2);
    const r = { watchRatio: 0.5, like: true, complete: false } as Reaction;
    const sameCat = Array.from({ length: 40 }, (_, i) => i).filter((i) => world.itemCategory[i] === world.itemCategory[0]);
    const otherCat = Array.from({ length: 40 }, (_, i) => i).find((i) => world.itemCategory[i] !== world.itemCategory[0])!;
    // user 0: 3 of 4 impressions in one category; user 1: a single impression (below the minimum of 2)
    stats.impression(0, sameCat[0], r);
    stats.impression(0, sameCat[0], r, true);
    stats.impression(0, sameCat[0], r, true);
    stats.impression(0, otherCat, r);
    stats.impression(1, otherCat, r);
    stats.session(4);
    stats.session(1);
    const m = stats.finish();
    assert.equal(m.impressions, 5);
    close(m.watchRatio, 0.5);
    close(m.likesPerImpression, 1);
    close(m.coverage, 2 / 40);
    close(m.sessionLength, 2.5);
    close(m.repeatShare, 2 / 5);
    assert.equal(m.usersMeasured, 1);
    close(m.topCategoryShare, 0.75);
    close(m.categoryEntropyBits, -(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25)));
  });
});

void describe('svg line chart', () => {
  void it('is well-formed SVG with one path per policy', () => {
    const svg = lineChartSvg({
      title: 'Watch ratio <by day> & policy',
      xLabel: 'simulated day',
      yLabel: 'watch_ratio',
      x: [1, 2, 3],
      series: [
        { name: 'home', values: [0.5, 0.55, 0.6] },
        { name: 'trending & co', values: [0.4, Number.NaN, 0.42] },
        { name: 'daily-batch', values: [0.5, 0.52, 0.53] },
      ],
    });
    const tags = wellFormed(svg);
    assert.equal(tags[0], 'svg');
    assert.match(svg, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal(tags.filter((t) => t === 'path').length, 3);
    assert.ok(svg.includes('Watch ratio &lt;by day&gt; &amp; policy'));
    // the NaN breaks the line: the second path has two M segments and no L
    const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]);
    assert.equal(paths[1].split('M').length - 1, 2);
    assert.ok(!paths[1].includes('L'));
    assert.equal(paths[0].split('L').length - 1, 2);
  });

  void it('nice ticks cover the range', () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    const t = niceTicks(0.37, 0.61);
    assert.ok(t[0] >= 0.37 && t[t.length - 1] <= 0.61 && t.length >= 3);
  });
});
