// Timers for every wait in velo-retry: the engine's and the compat layers'.

/** setTimeout fires at once for delays above 2^31 - 1 ms, so longer waits are chained. */
const MAX_TIMER = 2 ** 31 - 1;

/** Wake-ups at most this early are libuv's stale loop clock, and are re-armed; see timerUntil. */
const EARLY_SLACK = 16;

/**
 * Calls `done` once the wait until `until` (a performance.now() time) is over; returns a canceller.
 * - setTimeout cannot hold more than 2^31 - 1 ms, so a longer wait is a chain of timers, counted
 *   down by what each one covered.
 * - libuv measures a timeout from its loop time, cached when the loop iteration began, so a timer
 *   can fire a millisecond or more early in real time. A wake-up at most EARLY_SLACK ms early
 *   is re-armed for the rest, which keeps a total timeout from ending short. A larger gap means a
 *   clock that is not ours to trust (fake timers that do not fake performance.now): the timer's
 *   own count is taken as the truth, so such a wait still ends.
 * The global setTimeout is looked up per call, so users' fake timers drive it.
 */
export function timerUntil(until: number, done: () => void, unref: boolean): () => void {
  let timer: NodeJS.Timeout;
  let remaining = until - performance.now();
  const arm = () => {
    const chunk = Math.min(Math.max(0, Math.ceil(remaining)), MAX_TIMER);
    timer = setTimeout(() => {
      remaining -= chunk;
      if (remaining > 0) return arm();
      const early = until - performance.now();
      if (early > 0 && early <= EARLY_SLACK) {
        remaining = early;
        return arm();
      }
      done();
    }, chunk);
    if (unref) timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * Resolves after `ms` (rejects with `signal.reason` as soon as the signal aborts), with
 * timerUntil's guarantees: no early end, waits past 2^31 - 1 ms chained, fake timers honoured.
 */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => (cancel(), reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    const cancel = timerUntil(performance.now() + ms, () => (signal?.removeEventListener('abort', onAbort), resolve()), unref);
  });
}
