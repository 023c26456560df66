import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_CONFIG, loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/fixtures.js';

void describe('config', () => {
  void it('layers defaults, file and environment', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'feedloop.config.json');
      await writeFile(path, JSON.stringify({ log: { partitions: 16 }, features: { windowsSec: [60, 3600] } }));
      const cfg = loadConfig({ path, env: { FEEDLOOP_SERVER_PORT: '9001', FEEDLOOP_LOG_DURABILITY: 'interval', FEEDLOOP_FEATURES_LAST_N: '20' } });
      assert.equal(cfg.log.partitions, 16);
      assert.deepEqual(cfg.features.windowsSec, [60, 3600]);
      assert.equal(cfg.server.port, 9001);
      assert.equal(cfg.log.durability, 'interval');
      assert.equal(cfg.features.lastN, 20);
      assert.equal(cfg.ingest.maxEventsPerRequest, DEFAULT_CONFIG.ingest.maxEventsPerRequest);
    } finally {
      await cleanup();
    }
  });

  void it('names the key of every invalid setting', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'c.json');
      const cases: [unknown, Record<string, string>, string][] = [
        [{ log: { partitons: 4 } }, {}, 'log.partitons'],
        [{ log: { partitions: '4' } }, {}, 'log.partitions'],
        [{ log: { partitions: 0 } }, {}, 'log.partitions'],
        [{}, { FEEDLOOP_SERVER_PORT: 'eighty' }, 'FEEDLOOP_SERVER_PORT'],
        [{}, { FEEDLOOP_LOG_DURABILITY: 'sometimes' }, 'log.durability'],
        [{ feed: { serveLogQueue: 0 } }, {}, 'feed.serveLogQueue'],
        [{ feed: { serveLogQueueBytes: 1.5 } }, {}, 'feed.serveLogQueueBytes'],
      ];
      for (const [file, env, field] of cases) {
        await writeFile(path, JSON.stringify(file));
        assert.throws(() => loadConfig({ path, env }), (e: unknown) => e instanceof ConfigError && e.field === field, field);
      }
      await writeFile(path, '{ not json');
      assert.throws(() => loadConfig({ path, env: {} }), ConfigError);
      assert.throws(() => loadConfig({ path: join(dir, 'missing.json'), env: {} }), ConfigError);
    } finally {
      await cleanup();
    }
  });
});
