import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedFeatureStore } from '../../src/backends/embedded/embedded-feature-store.js';
import type { LogEntry } from '../../src/log/log-entry.js';
import type { FeedContext } from '../../src/pipeline/feed-context.js';
import { localTrendingSource } from '../../src/retrieval/heuristic-sources.js';
import { T0, testConfig } from '../helpers/fixtures.js';

const cfg = testConfig('/nonexistent');
const NOW = T0 + 3_600_000;

/** Items fr0..fr5 liked by French users (fr0 most), de0..de3 by German ones, be0 by a Belgian French speaker. */
async function world() {
  const store = await EmbeddedFeatureStore.open({ features: cfg.features, partitionCount: 1 });
  const entries: LogEntry[] = [];
  const items = [...Array.from({ length: 6 }, (_, i) => `fr${i}`), ...Array.from({ length: 4 }, (_, i) => `de${i}`), 'be0'];
  for (const id of items) entries.push({ kind: 'item', item: { id, author_id: 'a', created_at: T0 - 86_400_000 }, ts: T0 });
  const profiles: [string, string | undefined, string | undefined][] = [
    ['fr-a', 'FR', 'fr'],
    ['fr-b', 'FR', 'fr'],
    ['de-a', 'DE', 'de'],
    ['be-a', 'BE', 'fr'],
    // the users asking for a feed: no history
    ['new-fr', 'FR', 'fr'],
    ['new-be', 'BE', 'fr'],
    ['new-de-speaker', undefined, 'de'],
    ['new-nowhere', undefined, undefined],
  ];
  for (const [id, country, language] of profiles) entries.push({ kind: 'user', user: { id, country, language }, ts: T0 });
  let n = 0;
  const like = (user_id: string, item_id: string) => entries.push({ kind: 'event', event: { type: 'like', id: `e${n++}`, user_id, item_id, ts: T0 + n } });
  for (let i = 0; i < 6; i++) for (let r = 0; r < 6 - i; r++) like(r % 2 ? 'fr-a' : 'fr-b', `fr${i}`);
  for (let i = 0; i < 4; i++) for (let r = 0; r < 8 - i; r++) like('de-a', `de${i}`);
  like('be-a', 'be0');
  store.apply(entries, [0]);
  return store;
}

function ctx(store: EmbeddedFeatureStore, userId: string): FeedContext {
  return {
    request: { requestId: 'r', userId, sessionId: undefined, limit: 10, nowMs: NOW, variant: 'home' },
    store,
    user: store.describe('user', userId, NOW),
    config: cfg.feed,
    configVersion: 'test',
  };
}

const fetch = async (c: FeedContext, k: number) => Promise.resolve(localTrendingSource.fetch(c, k));

void describe('local-trending source', () => {
  void it('serves a new user what is trending in their country, scored by the country engagement', async () => {
    const store = await world();
    assert.equal(localTrendingSource.name, 'local-trending');
    assert.ok('local-trending' in cfg.feed.quotas);
    const out = await fetch(ctx(store, 'new-fr'), 4);
    assert.deepEqual(out.map((x) => x.itemId), ['fr0', 'fr1', 'fr2', 'fr3']);
    assert.deepEqual(out, store.trendingIn('country', 'FR', 4, NOW));
    assert.ok(out[0].score > out[3].score && out[3].score > 0);
    const all = await fetch(ctx(store, 'new-fr'), 100);
    assert.ok(all.every((x) => x.itemId.startsWith('fr') || x.itemId === 'be0'), 'nothing only German users liked');
  });

  void it('tops up from the language when the country is short, without duplicates', async () => {
    const store = await world();
    const out = await fetch(ctx(store, 'new-be'), 4);
    assert.deepEqual(out.map((x) => x.itemId), ['be0', 'fr0', 'fr1', 'fr2'], 'Belgium first, then French speakers');
    assert.deepEqual(out[0], store.trendingIn('country', 'BE', 1, NOW)[0]);
    assert.deepEqual(out.slice(1), store.trendingIn('language', 'fr', 3, NOW), 'language items keep their language score');
    const all = await fetch(ctx(store, 'new-be'), 100);
    assert.equal(new Set(all.map((x) => x.itemId)).size, all.length);
    assert.equal(all.length, 7);
  });

  void it('uses the language alone when there is no country, and gives nothing without either', async () => {
    const store = await world();
    assert.deepEqual((await fetch(ctx(store, 'new-de-speaker'), 2)).map((x) => x.itemId), ['de0', 'de1']);
    assert.deepEqual(await fetch(ctx(store, 'new-nowhere'), 10), []);
    assert.deepEqual(await fetch(ctx(store, 'never-seen'), 10), [], 'a user never seen has no profile');
    assert.deepEqual(await fetch(ctx(store, 'new-fr'), 0), []);
  });
});
