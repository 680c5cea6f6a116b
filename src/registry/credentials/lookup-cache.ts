// A per-instance cache of lookups (a credential helper's answer, an ECR token). Concurrent callers for the same key
// share one lookup; a caller that aborts stops waiting, and the lookup itself is cancelled only when nobody is left
// waiting for it. Failures are not cached.
import { raceSignal } from './abort.js';

export interface Loaded<T> {
  value: T;
  /** Epoch milliseconds after which the value must be looked up again; Infinity for the instance's lifetime. */
  validUntil: number;
}

interface Running<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class LookupCache<T> {
  readonly #now: () => number;
  readonly #done = new Map<string, Loaded<T>>();
  readonly #running = new Map<string, Running<T>>();

  constructor(now: () => number) {
    this.#now = now;
  }

  async get(
    key: string,
    signal: AbortSignal | undefined,
    load: (signal: AbortSignal) => Promise<Loaded<T>>,
  ): Promise<T> {
    signal?.throwIfAborted();
    const hit = this.#done.get(key);
    if (hit && hit.validUntil > this.#now()) return hit.value;
    if (hit) this.#done.delete(key);
    let run = this.#running.get(key);
    if (!run) {
      const controller = new AbortController();
      const started: Running<T> = {
        controller,
        waiters: 0,
        promise: load(controller.signal).then(
          (loaded) => {
            if (this.#running.get(key) === started) this.#running.delete(key);
            if (loaded.validUntil > this.#now()) this.#done.set(key, loaded);
            return loaded.value;
          },
          (error: unknown) => {
            if (this.#running.get(key) === started) this.#running.delete(key);
            throw error;
          },
        ),
      };
      // Every waiter may have given up; the rejection is theirs to see, not an unhandled one.
      started.promise.catch(() => {});
      this.#running.set(key, started);
      run = started;
    }
    run.waiters++;
    try {
      return await raceSignal(run.promise, signal);
    } finally {
      run.waiters--;
      if (run.waiters === 0 && signal?.aborted && this.#running.get(key) === run) {
        this.#running.delete(key);
        run.controller.abort(signal.reason);
      }
    }
  }
}
