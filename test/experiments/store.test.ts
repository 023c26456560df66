import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, ValidationError } from '../../src/errors.js';
import { ExperimentStore } from '../../src/experiments/experiment-store.js';
import { ExperimentExistsError } from '../../src/experiments/experiment.js';
import { tempDir } from '../helpers/fixtures.js';

const VARIANTS = ['home', 'home-exploit', 'home-heuristic', 'trending'];
const arms = [{ name: 'control' }, { name: 'treatment', overrides: { feed: { maxPerAuthor: 3 } } }];

void describe('experiment store', () => {
  void it('persists experiments atomically and restores them exactly on reopen', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let clock = 1_000;
      const opts = { dir, variants: VARIANTS, nowMs: () => clock++ };
      const s1 = await ExperimentStore.open(opts);
      const a = await s1.create({ id: 'a', traffic: 0.3, arms });
      const b = await s1.create({ id: 'b', traffic: 0.2, holdout: 0.1, arms, guardrails: [{ metric: 'watch_ratio', maxRelativeDrop: 0.05 }] });
      const c = await s1.create({ id: 'c', layer: 'ui', traffic: 1, arms: [{ name: 'x' }, { name: 'y', overrides: { variant: 'trending' } }] });
      assert.deepEqual(a.buckets, { start: 0, end: 3000 });
      assert.deepEqual(b.buckets, { start: 3000, end: 5000 });
      assert.deepEqual(c.buckets, { start: 0, end: 10_000 });
      assert.equal(a.created_at, 1000);
      assert.deepEqual((await readdir(dir)).sort(), ['a.json', 'b.json', 'c.json']);

      await assert.rejects(s1.create({ id: 'a', traffic: 0.1, arms }), ExperimentExistsError);
      // the default layer has 5,000 buckets left
      await assert.rejects(s1.create({ id: 'big', traffic: 0.6, arms }), (e: unknown) => e instanceof ValidationError && e.field === 'traffic');
      // a parameter belongs to one layer: maxPerAuthor is the default layer's
      await assert.rejects(
        s1.create({ id: 'clash', layer: 'other', traffic: 0.1, arms: [{ name: 'p' }, { name: 'q', overrides: { feed: { maxPerAuthor: 1 } } }] }),
        (e: unknown) => e instanceof ValidationError && e.field === 'arms[1].overrides.feed.maxPerAuthor',
      );

      const s2 = await ExperimentStore.open(opts);
      assert.deepEqual(s2.list(), s1.list());
      for (const u of ['u1', 'u2', 'u3', 'someone']) {
        assert.deepEqual(
          s2.assigner.assign(u).map((m) => [m.compiled.experiment.id, m.arm]),
          s1.assigner.assign(u).map((m) => [m.compiled.experiment.id, m.arm]),
        );
      }

      // stopping releases the buckets; restarting needs them free again
      await s2.setStatus('a', 'stopped');
      const d = await s2.create({ id: 'd', traffic: 0.3, arms });
      assert.deepEqual(d.buckets, { start: 0, end: 3000 });
      await assert.rejects(s2.setStatus('a', 'running'), (e: unknown) => e instanceof ValidationError && e.field === 'buckets');
      const s3 = await ExperimentStore.open(opts);
      assert.equal(s3.get('a')!.status, 'stopped');
      assert.deepEqual(s3.list(), s2.list());
    } finally {
      await cleanup();
    }
  });

  void it('loads hand-written files from the directory, completes and rewrites them; a bad file names file and field', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'manual.json'), JSON.stringify({ id: 'manual', traffic: 0.5, arms: [{ name: 'a' }, { name: 'b', weight: 3 }] }));
      const s = await ExperimentStore.open({ dir, variants: VARIANTS, nowMs: () => 42 });
      const e = s.get('manual')!;
      assert.deepEqual(e.buckets, { start: 0, end: 5000 });
      assert.equal(e.created_at, 42);
      assert.deepEqual(JSON.parse(await readFile(join(dir, 'manual.json'), 'utf8')), e);

      await writeFile(join(dir, 'bad.json'), JSON.stringify({ id: 'bad', traffic: 0.1, arms: [{ name: 'a' }, { name: 'b', overrides: { feed: { maxPerAutor: 1 } } }] }));
      await assert.rejects(
        ExperimentStore.open({ dir, variants: VARIANTS }),
        (err: unknown) => err instanceof ConfigError && err.field === 'experiments/bad.json#arms[1].overrides.feed.maxPerAutor' && err.message.includes('bad.json'),
      );
    } finally {
      await cleanup();
    }
  });
});
