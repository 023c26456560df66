/**
 * Deadlines for pipeline stages: a stage's work races a timer; when the timer wins, the stage's AbortSignal fires
 * (so cooperative work can stop) and the caller takes its fallback. Synchronous work cannot be interrupted in JS:
 * a component that blocks the event loop overruns its deadline, which the stage timings and metrics then show.
 */

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: 'timeout' | 'error'; error?: unknown };

/**
 * Runs `work(signal)` against a `ms` deadline (no timer when `ms` is not finite). Never throws: errors and timeouts
 * come back as outcomes.
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => T | Promise<T>): Promise<Outcome<T>> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome<T>>((resolve) => {
    if (!Number.isFinite(ms)) return;
    timer = setTimeout(() => {
      ac.abort(new DeadlineExceededError(ms));
      resolve({ ok: false, reason: 'timeout' });
    }, ms);
  });
  const run = (async (): Promise<Outcome<T>> => {
    try {
      return { ok: true, value: await work(ac.signal) };
    } catch (error) {
      return { ok: false, reason: 'error', error };
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class DeadlineExceededError extends Error {
  constructor(readonly ms: number) {
    super(`deadline of ${ms} ms exceeded`);
    this.name = 'DeadlineExceededError';
  }
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
