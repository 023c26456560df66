import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ServeRecord } from '../../src/domain/feed.js';
import type { WireEvent } from '../../src/domain/schemas.js';
import { readServeLog } from '../../src/serve-log/read-serve-log.js';
import { trainRankerFromDataDir } from '../../src/training/ranking/train-from-data-dir.js';
import { makeItems, rng, tempDir, testConfig } from '../helpers/fixtures.js';
import { startServer } from '../helpers/server.js';

/**
 * The learning loop on the real server: users who like one category react to served feeds (impressions with the
 * request id, views, likes), the ranker is trained from the serve log, reloaded without a restart, and from then on
 * ranks the home feed with its heads and value model (visible with debug=1 and in the serve log); when the model
 * fails the heuristic ranker takes over and the response says so.
 */
void describe('learned ranking end to end', () => {
  void it('trains from the serve log, swaps in without downtime, explains the value model, falls back on failure', async () => {
    const { dir, cleanup } = await tempDir();
    const cfg = testConfig(dir, (c) => {
      c.feed.maxPerAuthor = 10;
      c.feed.seenWindowMs = 1; // keep serving the same small catalog
      c.feed.completedWindowMs = 1;
    });
    const srv = await startServer(cfg);
    try {
      const now = Date.now();
      const items = makeItems(80).map((i) => ({ ...i, created_at: now - 3_600_000 }));
      await srv.request('PUT', '/v1/items', { items });
      const category = new Map(items.map((i) => [i.id, i.category]));
      const r = rng(5);
      let seq = 0;
      // 40 users, each liking category c(u): 12 feed pages each
      for (let page = 0; page < 12; page++) {
        const events: WireEvent[] = [];
        for (let u = 0; u < 40; u++) {
          const userId = `u${u}`;
          const feed = await srv.request('GET', `/v1/feed?user_id=${userId}&limit=10&session_id=s${u}-${page}&variant=home-heuristic`);
          assert.equal(feed.status, 200);
          for (const it of feed.body.items as { item_id: string; position: number }[]) {
            const base = { user_id: userId, item_id: it.item_id, session_id: `s${u}-${page}` };
            events.push({ type: 'impression', id: `e${seq++}`, ...base, request_id: feed.body.request_id, position: it.position });
            const likes = category.get(it.item_id) === `c${u % 5}`;
            events.push({ type: 'view', id: `e${seq++}`, ...base, watch_ms: likes ? 20_000 : 1_000 + Math.floor(r() * 2000) });
            if (likes && r() < 0.7) events.push({ type: 'like', id: `e${seq++}`, ...base });
            if (likes && r() < 0.5) events.push({ type: 'complete', id: `e${seq++}`, ...base });
          }
        }
        for (let i = 0; i < events.length; i += 1000) assert.equal((await srv.request('POST', '/v1/events', { events: events.slice(i, i + 1000) })).status, 200);
        await srv.engine.processor.catchUp();
      }
      await srv.engine.serveLog.flush();

      // before training: the home feed is ranked by the heuristic (delegation, not a degradation)
      const before = await srv.request('GET', '/v1/feed?user_id=u1&limit=10&debug=1');
      assert.equal(before.body.debug.ranker.name, 'learned');
      assert.match(before.body.debug.ranker.version, /^heuristic-/);
      assert.deepEqual(before.body.debug.degraded, []);

      const trained = await trainRankerFromDataDir(cfg, { source: 'serve-log', epochs: 8, minPositives: 20 });
      assert.equal(trained.examples.source, 'serve-log');
      assert.ok(trained.examples.n >= 3000, `examples ${trained.examples.n}`);
      const likeRow = trained.evaluation.rows.find((x) => x.model === 'multitask' && x.head === 'like');
      assert.ok(likeRow && likeRow.auc > 0.75, `like AUC ${likeRow?.auc}`);

      // reload while feed requests are in flight: none fails
      const during = Array.from({ length: 20 }, (_, k) => srv.request('GET', `/v1/feed?user_id=u${k}&limit=10`));
      const reload = await srv.request('POST', '/v1/models/ranking/reload');
      for (const res of await Promise.all(during)) assert.equal(res.status, 200);
      assert.equal(reload.status, 200);
      assert.equal(reload.body.ranking.version, trained.model.version);
      const models = await srv.request('GET', '/v1/models');
      assert.equal(models.body.ranking.version, trained.model.version);

      const after = await srv.request('GET', '/v1/feed?user_id=u1&limit=10&debug=1');
      assert.equal(after.body.debug.ranker.version, trained.model.version);
      assert.deepEqual(after.body.debug.degraded, []);
      const w = cfg.ranking.valueWeights;
      for (const it of after.body.items as { item_id: string; score: number }[]) {
        const s = after.body.debug.item_scores[it.item_id];
        for (const head of ['p_complete', 'p_like', 'p_share', 'p_follow', 'p_hide', 'watch_ratio']) assert.ok(s[head] >= 0 && s[head] <= 1, `${head} ${s[head]}`);
        const value = w.complete * s.p_complete + w.like * s.p_like + w.share * s.p_share + w.follow * s.p_follow + w.hide * s.p_hide + w.watch * s.watch_ratio;
        assert.ok(Math.abs(value - s.ranker_score) < 1e-3, `value model ${value} vs score ${s.ranker_score}`);
      }
      // the learned ranker puts the user's category first: the served items by their ranker score (the served order
      // also carries exploration, diversity and the caps, which made a check on it fail ~1 run in 5)
      const scoreOf = (id: string): number => after.body.debug.item_scores[id].ranker_score;
      const byRanker = (after.body.items as { item_id: string }[]).map((x) => x.item_id).sort((a, b) => scoreOf(b) - scoreOf(a));
      const top = byRanker.slice(0, 5).map((id) => category.get(id));
      assert.ok(top.filter((c) => c === 'c1').length >= 2, `top categories ${top.join(',')}`);
      const mean = (ids: string[]) => ids.reduce((t, id) => t + scoreOf(id), 0) / ids.length;
      const liked = byRanker.filter((id) => category.get(id) === 'c1');
      const others = byRanker.filter((id) => category.get(id) !== 'c1');
      if (others.length) assert.ok(mean(liked) > mean(others), `mean ranker score c1 ${mean(liked)} vs others ${mean(others)}`);

      // the serve log records the model version and every head
      // the record is written after the response is sent (on its 'finish'), which the client may see first: retry
      let rec: ServeRecord | undefined;
      for (let attempt = 0; !rec && attempt < 50; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20));
        await srv.engine.serveLog.flush();
        for await (const x of readServeLog(join(dir, 'servelog'))) if (x.request_id === after.body.request_id) rec = x;
      }
      assert.ok(rec);
      assert.equal(rec.model_versions.ranker, trained.model.version);
      assert.equal(rec.scores.p_like.length, rec.candidates.length);

      // a failing model: the heuristic ranker orders the slate and the response names the fallback
      await srv.engine.ranking.current!.scorer.release();
      const failed = await srv.request('GET', '/v1/feed?user_id=u1&limit=10&debug=1');
      assert.equal(failed.status, 200);
      assert.equal(failed.body.items.length, 10);
      assert.deepEqual(failed.body.debug.degraded, ['ranker:learned']);
      assert.match(failed.body.debug.ranker.version, /^heuristic-/);
      await srv.engine.reloadRanking();
    } finally {
      await srv.close();
      await cleanup();
    }
  });
});
