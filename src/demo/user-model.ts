/**
 * How a simulated user reacts to an item in a feed slot. Pure: the outcome depends only on the world, the inputs and
 * the random draws of the given generator.
 *
 * With a = dot(user, item) ∈ [−1, 1] (latent affinity), q = item quality (≈ N(0, 0.5²)), d = duration in s,
 * p = 0-based slot in the page, n = items already watched in the session (capped at 50), ε ~ N(0, 1):
 *
 *   z = 5·a + 0.6·q − 0.3·ln(d / 20) − 0.04·p − 0.01·n − 1.5 + 0.7·ε
 *   watch ratio r = sigmoid(z);  watch_ms = round(r · duration_ms)
 *   complete ⇔ r ≥ 0.95;  skip ⇔ r < 0.2
 *   P(like) = sigmoid(−7 + 4a + 2.5r),  P(share) = sigmoid(−9 + 4a + 2.5r),  P(comment) = sigmoid(−9.5 + 3a + 2.5r),
 *   P(follow) = sigmoid(−9 + 4a + 2.5r) (once per author per session)
 *   P(hide) = 0.04 when a < 0.1 and r < 0.2, else 0; the hide has scope `author` with probability 0.25
 *   P(session ends after the item) = 0.015 + 0.12·(1 − r)² (+ 0.5 after a hide), capped at 1
 *
 * So a same-category item (a ≈ 0.7) is watched to ~0.85 on average, an unrelated one (a ≈ 0) to ~0.2; later slots
 * and long sessions lower the ratio a little, and bad items end sessions sooner.
 */
import { gaussian, sigmoid, type Rand } from '../util/prng.js';
import type { World } from './world.js';

/** Coefficients of the reaction model (see the module comment). */
export const REACTION_MODEL = {
  affinityWeight: 5,
  qualityWeight: 0.6,
  durationWeight: 0.3,
  referenceDurationSec: 20,
  positionWeight: 0.04,
  fatigueWeight: 0.01,
  fatigueCap: 50,
  bias: -1.5,
  noiseSd: 0.7,
  completeRatio: 0.95,
  skipRatio: 0.2,
  hideMaxAffinity: 0.1,
  hideProb: 0.04,
  hideAuthorScopeProb: 0.25,
  endBase: 0.015,
  endBadWeight: 0.12,
  endAfterHide: 0.5,
} as const;

/** What the user carries through a session. */
export interface SessionState {
  /** Items watched so far in the session. */
  watched: number;
  /** Authors followed in this session (a user follows an author at most once per session). */
  followedAuthors: readonly number[];
}

/** One item's outcome. */
export interface Reaction {
  watchRatio: number;
  watchMs: number;
  complete: boolean;
  like: boolean;
  share: boolean;
  comment: boolean;
  follow: boolean;
  skip: boolean;
  hide: boolean;
  hideScope: 'item' | 'author';
  /** The session ends after this item. */
  endSession: boolean;
}

/** A fresh session. */
export function newSession(): SessionState {
  return { watched: 0, followedAuthors: [] };
}

/** The noise-free part of the watch logit z (the expected watch ratio is increasing in it). */
export function watchLogit(world: World, u: number, i: number, position: number, session: SessionState): number {
  const m = REACTION_MODEL;
  const a = world.affinity(u, i);
  const durationSec = Math.max(1, world.itemDurationMs[i] / 1000);
  return (
    m.affinityWeight * a +
    m.qualityWeight * world.itemQuality[i] -
    m.durationWeight * Math.log(durationSec / m.referenceDurationSec) -
    m.positionWeight * position -
    m.fatigueWeight * Math.min(m.fatigueCap, session.watched) +
    m.bias
  );
}

/** Draws the user's reaction to item i in slot `position`. Consumes a fixed number of draws from `rand` (8). */
export function react(world: World, u: number, i: number, position: number, session: SessionState, rand: Rand): Reaction {
  const m = REACTION_MODEL;
  const a = world.affinity(u, i);
  const r = sigmoid(watchLogit(world, u, i, position, session) + m.noiseSd * gaussian(rand));
  const author = world.itemAuthor[i];
  const uLike = rand();
  const uShare = rand();
  const uComment = rand();
  const uFollow = rand();
  const uHide = rand();
  const uEnd = rand();
  const skip = r < m.skipRatio;
  const hide = skip && a < m.hideMaxAffinity && uHide < m.hideProb;
  const pEnd = m.endBase + m.endBadWeight * (1 - r) * (1 - r) + (hide ? m.endAfterHide : 0);
  return {
    watchRatio: r,
    watchMs: Math.round(r * world.itemDurationMs[i]),
    complete: r >= m.completeRatio,
    like: uLike < sigmoid(-7 + 4 * a + 2.5 * r),
    share: uShare < sigmoid(-9 + 4 * a + 2.5 * r),
    comment: uComment < sigmoid(-9.5 + 3 * a + 2.5 * r),
    follow: !session.followedAuthors.includes(author) && uFollow < sigmoid(-9 + 4 * a + 2.5 * r),
    skip,
    hide,
    hideScope: hide && uHide < m.hideProb * m.hideAuthorScopeProb ? 'author' : 'item',
    endSession: uEnd < Math.min(1, pEnd),
  };
}

/** The session after watching item i with reaction `r` (a new object; the input is not changed). */
export function nextSession(session: SessionState, world: World, i: number, r: Reaction): SessionState {
  return {
    watched: session.watched + 1,
    followedAuthors: r.follow ? [...session.followedAuthors, world.itemAuthor[i]] : session.followedAuthors,
  };
}
