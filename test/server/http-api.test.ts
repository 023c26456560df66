import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeEvents, makeItems, T0, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer, type RunningServer } from '../helpers/server.js';

void describe('HTTP API', () => {
  let srv: RunningServer;
  let cleanup: () => Promise<void>;
  before(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    srv = await startServer(testConfig(t.dir, (c) => (c.server.bodyLimitBytes = 256 * 1024)));
  });
  after(async () => {
    await srv.close();
    await cleanup();
  });

  void it('ingests events, de-duplicates by id, and the features reflect them', async () => {
    const items = await srv.request('PUT', '/v1/items', { items: makeItems(10) });
    assert.deepEqual(items, { status: 200, body: { accepted: 10, rejected: [] } });
    const users = await srv.request('PUT', '/v1/users', { users: [{ id: 'u1', country: 'DE', language: 'de', age_bucket: '25-34' }] });
    assert.equal(users.body.accepted, 1);
    const likes = [1, 2, 3].map((n) => ({ type: 'like', id: `like-${n}`, user_id: 'u1', item_id: 'i1', ts: Date.now() - n }));
    const r = await srv.request('POST', '/v1/events', { events: [...likes, likes[0]] });
    assert.deepEqual(r, { status: 200, body: { accepted: 3, duplicates: 1, rejected: [] } });
    const again = await srv.request('POST', '/v1/events', { events: likes });
    assert.deepEqual(again.body, { accepted: 0, duplicates: 3, rejected: [] });
    await srv.engine.processor.catchUp();
    const f = await srv.request('GET', '/v1/items/i1/features');
    assert.equal(f.status, 200);
    assert.equal(f.body.values.likes_total, 3);
    assert.equal(f.body.attributes.author_id, 'a1');
    const u = await srv.request('GET', '/v1/users/u1/features');
    assert.equal(u.body.values.likes_total, 3);
    assert.equal(u.body.attributes.country, 'DE');
    assert.equal(u.body.lists.liked.length, 3);
  });

  void it('rejects bad events one by one, naming the field, and stores the good ones', async () => {
    const good = { type: 'view', id: 'ok-1', user_id: 'u9', item_id: 'i2', watch_ms: 1000 };
    const bad = [
      { type: 'teleport', id: 'b1', user_id: 'u9' },
      { type: 'view', id: 'b2', item_id: 'i2', watch_ms: 10 },
      { type: 'view', id: 'b3', user_id: 'u9', item_id: 'i2', watch_ms: -5 },
      { type: 'view', id: 'b4', user_id: 'u9', item_id: 'i2', watch_ms: 'long' },
      { type: 'like', id: 'b5', user_id: 'u9', item_id: 'i2', ts: Date.now() + 86_400_000 },
      { type: 'impression', id: 'b6', user_id: 'u9', item_id: 'i2', request_id: 'r' },
      { type: 'like', id: 'b7', user_id: 'u9', item_id: 'i2', colour: 'red' },
      'not an object',
      { type: 'follow', id: 'b9', user_id: 'u9' },
    ];
    const r = await srv.request('POST', '/v1/events', { events: [good, ...bad] });
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    const byIndex = Object.fromEntries(r.body.rejected.map((x: any) => [x.index, `${x.code}:${x.field}`]));
    assert.deepEqual(byIndex, {
      1: 'unknown_event_type:type',
      2: 'missing_field:user_id',
      3: 'out_of_range:watch_ms',
      4: 'invalid_type:watch_ms',
      5: 'ts_in_future:ts',
      6: 'missing_field:position',
      7: 'unknown_field:colour',
      8: 'not_an_object:',
      9: 'missing_field:author_id',
    });
    for (const x of r.body.rejected) assert.ok(x.message.length > 5);
    const retry = await srv.request('POST', '/v1/events', { events: bad.slice(0, 2) });
    assert.equal(retry.body.rejected.length, 2, 'rejected ids were not remembered as accepted');
  });

  void it('answers malformed requests with 4xx and an error naming the field, never a 5xx', async () => {
    const cases: [string, string, unknown, Record<string, string>, number, string, string][] = [
      ['POST', '/v1/events', '{"events": [', {}, 400, 'invalid_json', ''],
      ['POST', '/v1/events', 'events=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type', ''],
      ['POST', '/v1/events', { evts: [] }, {}, 400, 'unknown_field', 'evts'],
      ['POST', '/v1/events', {}, {}, 400, 'missing_field', 'events'],
      ['POST', '/v1/events', { events: 'x' }, {}, 400, 'invalid_type', 'events'],
      ['POST', '/v1/events', [1, 2], {}, 400, 'invalid_body', ''],
      ['POST', '/v1/events', { events: makeEvents(1001) }, {}, 413, 'too_many_events', 'events'],
      ['POST', '/v1/events', { events: [{ type: 'like', id: 'x'.repeat(300 * 1024) }] }, {}, 413, 'body_too_large', ''],
      ['PUT', '/v1/items', { items: {} }, {}, 400, 'invalid_type', 'items'],
      ['GET', '/v1/users/nobody/features', undefined, {}, 404, 'not_found', 'id'],
      ['GET', '/v1/trending?limit=0', undefined, {}, 400, 'invalid_field', 'limit'],
      ['GET', '/v1/nothing', undefined, {}, 404, 'no_route', ''],
    ];
    const before = (await srv.request('GET', '/v1/users/u1/features')).body;
    for (const [method, path, body, headers, status, code, field] of cases) {
      const r = await srv.request(method, path, body, headers);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(r.body).slice(0, 200)}`);
      assert.equal(r.body.error.code, code, path);
      assert.equal(r.body.error.field, field, path);
    }
    await srv.engine.processor.catchUp();
    assert.deepEqual((await srv.request('GET', '/v1/users/u1/features')).body.values.likes_total, before.values.likes_total);
  });

  void it('rejects invalid items with the field and keeps valid ones', async () => {
    const r = await srv.request('PUT', '/v1/items', {
      items: [{ id: 'ok', author_id: 'a', created_at: T0 }, { id: 'bad', author_id: 'a', created_at: -1 }, { id: 'bad2', created_at: T0 }],
    });
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.rejected.map((x: any) => `${x.index}:${x.field}`), ['1:created_at', '2:author_id']);
  });

  void it('deletes items, serves health, readiness, metrics and the OpenAPI document', async () => {
    assert.equal((await srv.request('DELETE', '/v1/items/i3')).status, 200);
    await srv.engine.processor.catchUp();
    assert.equal((await srv.request('GET', '/v1/items/i3/features')).body.attributes.deleted, true);
    assert.equal((await srv.request('GET', '/healthz')).status, 200);
    const ready = await srv.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    const m = await srv.request('GET', '/metrics');
    assert.match(m.body, /feedloop_events_accepted_total\{type="like"\} 3/);
    assert.match(m.body, /feedloop_events_rejected_total\{type="unknown",code="unknown_event_type"\}/);
    assert.match(m.body, /feedloop_http_request_duration_seconds_bucket\{.*route="\/v1\/events"/);
    assert.match(m.body, /feedloop_log_append_duration_seconds_count [1-9]/);
    assert.match(m.body, /feedloop_consumer_lag_events 0/);
    assert.match(m.body, /feedloop_feature_freshness_seconds_count [1-9]/);
    const doc = await srv.request('GET', '/openapi.json');
    assert.equal(doc.body.openapi, '3.1.0');
    assert.ok(doc.body.paths['/v1/events'].post);
    assert.ok(doc.body.components.schemas.Event.anyOf.length >= 9);
  });
});
