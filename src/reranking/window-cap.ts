/**
 * The greedy engine behind the cap re-rankers (author cap, category cap).
 *
 * A cap "at most `maxPer` items of one key within any `window` consecutive slots" holds for the item placed in slot k
 * when its key occurs fewer than `maxPer` times in slots k−window+1 … k−1. Slots are filled in order; each takes the
 * best-ranked remaining item that keeps every cap. When none does, caps are relaxed from the last one: the slot takes
 * the best item keeping the longest possible prefix of `caps` (so list them most important first), and, when not even
 * the first cap can be kept, the best remaining item: a full slate beats an empty one. Items passed over stay
 * available for later slots. Unknown keys (−1) are never capped.
 *
 * Cost: O(n) set-up, then per slot a scan from the best remaining item that stops at the first item keeping every
 * cap: O(limit · n · caps) worst case, O(limit · caps) when the ranked list already respects the caps. Window counts
 * are kept incrementally in one Int32Array per cap.
 */
import type { SlateItem } from './reranker.js';

export interface WindowCap {
  /** The key of each slate item, by slate index: 0 … keyCount−1, or −1 for none (never capped). */
  keys: Int32Array;
  /** Number of distinct keys. */
  keyCount: number;
  /** At most this many items of one key… */
  maxPer: number;
  /** …within any this many consecutive slots. */
  window: number;
}

export interface WindowCapOptions {
  /**
   * No cap is ever relaxed: filling stops at the first slot no remaining item can take, and the slate comes back
   * shorter (the pipeline tops it up from other lists under the same cap).
   */
  hard?: boolean;
  /** The items not placed follow the filled slots in their input order, so a cap re-ranker after this one can still choose among them. */
  slack?: boolean;
}

/** The first `min(limit, slate.length)` slots filled greedily under `caps` (see the file comment and `WindowCapOptions`). */
export function applyWindowCaps(slate: readonly SlateItem[], limit: number, caps: readonly WindowCap[], { hard = false, slack = false }: WindowCapOptions = {}): SlateItem[] {
  const n = slate.length;
  const want = Math.min(n, Math.max(0, Math.floor(limit)));
  const out: SlateItem[] = [];
  if (want === 0) return slack ? [...slate] : out;
  const C = caps.length;
  const counts = caps.map((c) => new Int32Array(c.keyCount));
  const maxPer = caps.map((c) => c.maxPer);
  // the window before a slot is the previous `window − 1` slots; 0 means the cap only limits a single slot
  const span = caps.map((c) => Math.max(0, Math.floor(c.window) - 1));
  const placed = new Int32Array(want);
  const taken = new Uint8Array(n);
  let head = 0;
  for (let k = 0; k < want; k++) {
    while (taken[head]) head++;
    let pick = head;
    let pickLevel = -1;
    for (let i = head; i < n && pickLevel < C; i++) {
      if (taken[i]) continue;
      let level = 0;
      while (level < C) {
        const key = caps[level].keys[i];
        if (key >= 0 && !(counts[level][key] < maxPer[level])) break;
        level++;
      }
      if (level > pickLevel) {
        pick = i;
        pickLevel = level;
      }
    }
    if (hard && pickLevel < C) break;
    taken[pick] = 1;
    placed[k] = pick;
    out.push(slate[pick]);
    for (let c = 0; c < C; c++) {
      if (span[c] === 0) continue;
      const keys = caps[c].keys;
      const key = keys[pick];
      if (key >= 0) counts[c][key]++;
      const leaving = k - span[c]; // slot k's window is k−span … k−1; slot k + 1's drops slot k − span
      if (leaving >= 0) {
        const old = keys[placed[leaving]];
        if (old >= 0) counts[c][old]--;
      }
    }
  }
  if (slack) for (let i = 0; i < n; i++) if (!taken[i]) out.push(slate[i]);
  return out;
}
