// Small pieces for AbortSignal plumbing: a child signal that also fires after a time limit, and a wait on a shared
// promise that one caller can give up on without cancelling it for the others.

export interface TimedSignal {
  signal: AbortSignal;
  /** Clears the timer and detaches from the parent; call it when the guarded work is over. */
  dispose(): void;
}

/** A signal aborted when `parent` aborts (with its reason) or after `ms` (with `timeoutReason()`). */
export function timedSignal(parent: AbortSignal | undefined, ms: number, timeoutReason: () => unknown): TimedSignal {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(timeoutReason()), ms);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}

/** Resolves as `promise` does, or rejects with the signal's reason as soon as it aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
