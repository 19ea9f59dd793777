// Timers for every wait in velo-retry. Two kinds, because two promises are made:
// - the engine's (`timerUntil`, `sleep`): a wait never ends short of its deadline. libuv measures a
//   timeout from its loop time, cached when the loop iteration began, so a timer can fire a
//   millisecond or more early in real time; a total timeout that ends 1.4 ms short is a bug there.
//   So an early wake-up is re-armed for the rest.
// - the compat layers' (`once`, `sleepOnce`): one setTimeout per delay, as p-retry, async-retry and
//   exponential-backoff make, so code that counts or stubs setTimeout (a common way tests speed
//   retries up) sees the original's calls. Re-arming there made a stubbed setTimeout that fires at
//   once see 9, 8, 7 ... 1 ms timers after a 10 ms one. The originals never promised more than
//   setTimeout's own precision, and neither does this.
// Both chain waits longer than setTimeout can hold, and both look the global setTimeout up per
// call, so users' fake timers drive them.

/** setTimeout fires at once for delays above 2^31 - 1 ms, so longer waits are chained. */
const MAX_TIMER = 2 ** 31 - 1;

/** Wake-ups at most this early are libuv's stale loop clock, and are re-armed; see timerUntil. */
const EARLY_SLACK = 16;

/**
 * Calls `done` after `ms` as setTimeout counts it: one setTimeout call for any delay it can hold
 * (the value passed on as given, so a NaN waits as setTimeout reads it), a chain of them for longer
 * ones. Returns a canceller.
 */
export function once(ms: number, done: () => void, unref: boolean): () => void {
  let timer: NodeJS.Timeout;
  let remaining = ms;
  const arm = () => {
    const chunk = remaining > MAX_TIMER ? MAX_TIMER : remaining;
    timer = setTimeout(() => {
      remaining -= chunk;
      if (remaining > 0) arm();
      else done();
    }, chunk);
    if (unref) timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * Calls `done` once the wait until `until` (a performance.now() time) is over; returns a canceller.
 * A wake-up at most EARLY_SLACK ms early is re-armed for the rest, which keeps a total timeout from
 * ending short. A larger gap means a clock that is not ours to trust (fake timers that do not fake
 * performance.now): the timer's own count is taken as the truth, so such a wait still ends.
 */
export function timerUntil(until: number, done: () => void, unref: boolean): () => void {
  let cancel: () => void;
  const arm = (ms: number) => {
    cancel = once(
      Math.max(0, Math.ceil(ms)),
      () => {
        const early = until - performance.now();
        if (early > 0 && early <= EARLY_SLACK) arm(early);
        else done();
      },
      unref,
    );
  };
  arm(until - performance.now());
  return () => cancel();
}

type Timer = (ms: number, done: () => void, unref: boolean) => () => void;

const untilTimer: Timer = (ms, done, unref) => timerUntil(performance.now() + ms, done, unref);

function sleepWith(timer: Timer, ms: number, signal: AbortSignal | undefined, unref: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => (cancel(), reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    const cancel = timer(ms, () => (signal?.removeEventListener('abort', onAbort), resolve()), unref);
  });
}

/** The engine's wait: resolves after `ms`, never early (timerUntil); rejects with `signal.reason` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return sleepWith(untilTimer, ms, signal, unref);
}

/** The compat layers' wait: one setTimeout per delay (once); rejects with `signal.reason` as soon as the signal aborts. */
export function sleepOnce(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return sleepWith(once, ms, signal, unref);
}
