import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { featuresAsOf } from '../../src/engine/features-as-of.js';
import { EmbeddedFeatureStore } from '../../src/backends/embedded/embedded-feature-store.js';
import type { StoredEvent } from '../../src/domain/schemas.js';
import { makeEvents, makeItems, T0, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer } from '../helpers/server.js';

void describe('durability and point-in-time features', () => {
  void it('an fsync failure answers 503, acknowledges nothing, changes nothing, and a retry is accepted', async () => {
    const { dir, cleanup } = await tempDir();
    let failSyncs = 0;
    const srv = await startServer(testConfig(dir), {
      logFaults: {
        beforeSync: () => {
          if (failSyncs > 0) {
            failSyncs--;
            throw Object.assign(new Error('EIO: simulated fsync failure'), { code: 'EIO' });
          }
        },
      },
    });
    try {
      const events = makeEvents(200, { startMs: Date.now() - 60_000, maxStepMs: 100 });
      assert.equal((await srv.request('POST', '/v1/events', { events: events.slice(0, 100) })).body.accepted, 100);
      await srv.engine.processor.catchUp();
      const before = srv.engine.store.describe('user', 'u1', T0 + 1e9);
      const endsBefore = await srv.engine.log.endOffsets();
      failSyncs = 1000;
      const r = await srv.request('POST', '/v1/events', { events: events.slice(100) });
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'backend_unavailable');
      failSyncs = 0;
      await srv.engine.processor.catchUp();
      assert.deepEqual(await srv.engine.log.endOffsets(), endsBefore, 'nothing of the failed batch is readable');
      assert.deepEqual(srv.engine.store.describe('user', 'u1', T0 + 1e9), before, 'features unchanged');
      const retry = await srv.request('POST', '/v1/events', { events: events.slice(100) });
      assert.deepEqual(retry.body, { accepted: 100, duplicates: 0, rejected: [] }, 'the failed ids were not remembered');
    } finally {
      await srv.close();
      await cleanup();
    }
  });

  void it('features as of a time ignore later events and equal a store fed only earlier ones', async () => {
    const { dir, cleanup } = await tempDir();
    const srv = await startServer(testConfig(dir));
    try {
      const items = makeItems(50);
      await srv.request('PUT', '/v1/items', { items: items.map((i) => ({ ...i, created_at: T0 - 1000 })) });
      const events = makeEvents(2000, { startMs: T0, maxStepMs: 1000 });
      for (let i = 0; i < events.length; i += 500) await srv.request('POST', '/v1/events', { events: events.slice(i, i + 500) });
      await srv.engine.processor.catchUp();
      const cut = events[1000].ts!;
      const asOf = await featuresAsOf(srv.engine.log, srv.engine.config.features, cut);
      const reference = await EmbeddedFeatureStore.open({ features: srv.engine.config.features, partitionCount: 4 });
      reference.apply(items.map((item) => ({ kind: 'item' as const, item: { ...item, created_at: T0 - 1000 }, ts: 0 })), [0, 0, 0, 0]);
      // same order as the log: events were appended in array order, each user's in order
      reference.apply(
        events.filter((e) => e.ts! <= cut).map((e) => ({ kind: 'event' as const, event: e as StoredEvent })),
        [0, 0, 0, 0],
      );
      for (const u of ['u0', 'u3', 'u7']) {
        assert.deepEqual(asOf.describe('user', u, cut), reference.describe('user', u, cut), u);
        const live = srv.engine.store.describe('user', u, cut)!;
        assert.ok(live.values.impressions_total >= asOf.describe('user', u, cut)!.values.impressions_total);
      }
      for (const i of ['i0', 'i9']) assert.deepEqual(asOf.describe('item', i, cut), reference.describe('item', i, cut), i);
      const later = events.filter((e) => e.ts! > cut && e.user_id === 'u0').length;
      assert.ok(later > 0, 'the fixture has events after the cut');
      assert.equal(
        asOf.describe('user', 'u0', cut)!.values.impressions_total,
        events.filter((e) => e.ts! <= cut && e.user_id === 'u0' && e.type === 'impression').length,
      );
    } finally {
      await srv.close();
      await cleanup();
    }
  });
});
