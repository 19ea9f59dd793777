// velo-retry/async-retry: async-retry 1.3.3's API and behaviour, which is node-retry 0.13's: delays
// drawn up front for every retry and sorted ascending, `randomize` on by default, the final error
// the most frequent message among the failures (ties: the latest). With `metrics`, each call
// also feeds RetryMetrics with error categories.
//
// Where the original misbehaves, this does not (README, "Migrating"):
// - bail() stops the retries: async-retry rejected but went on calling fn in the background;
// - retries: Infinity works: node-retry computed an infinite array of delays and ran out of memory;
// - an onRetry that throws rejects with that error: the original left the promise pending forever.
import type { RetryMetrics } from '../metrics';
import { timerUntil } from '../timers';
import { compatMetrics, type CompatMetrics } from './report';

declare namespace retry {
  interface Options {
    /** Retries after the first attempt; default 10. Infinity retries forever. */
    retries?: number;
    factor?: number;
    minTimeout?: number;
    maxTimeout?: number;
    /** Multiplies each delay by a random factor in [1, 2); default true. */
    randomize?: boolean;
    /** Keep retrying with the last delay once `retries` are used up. */
    forever?: boolean;
    /** Stop retrying after this many ms. */
    maxRetryTime?: number;
    unref?: boolean;
    onRetry?: (error: Error, attempt: number) => unknown;
    /** velo-retry: record attempts, categories and latency here. */
    metrics?: RetryMetrics;
  }
  type RetryFunction<A> = (bail: (error?: Error) => void, attempt: number) => A | Promise<A>;
}

/** One node-retry delay: round(random * max(minTimeout, 1) * factor^attempt), capped. */
function delayAt(i: number, o: Required<Pick<retry.Options, 'factor' | 'minTimeout' | 'maxTimeout' | 'randomize'>>): number {
  const random = o.randomize ? Math.random() + 1 : 1;
  return Math.min(Math.round(random * Math.max(o.minTimeout, 1) * o.factor ** i), o.maxTimeout);
}

/** node-retry's mainError: the most frequent message; among equals, the latest. */
function mainError(errors: unknown[]): unknown {
  const counts = new Map<unknown, number>();
  let main: unknown = null;
  let best = 0;
  for (const e of errors) {
    const message = (e as { message?: unknown } | null)?.message;
    const n = (counts.get(message) ?? 0) + 1;
    counts.set(message, n);
    if (n >= best) {
      main = e;
      best = n;
    }
  }
  return main;
}

function retry<A>(fn: retry.RetryFunction<A>, opts?: retry.Options): Promise<A> {
  return new Promise<A>((resolve, reject) => {
    const options = opts ?? {};
    const o = {
      retries: options.retries ?? 10,
      factor: options.factor ?? 2,
      minTimeout: options.minTimeout ?? 1000,
      maxTimeout: options.maxTimeout ?? Infinity,
      // async-retry defaults randomize to true only when the key is absent.
      randomize: 'randomize' in options ? options.randomize! : true,
    };
    if (o.minTimeout > o.maxTimeout) throw new Error('minTimeout is greater than maxTimeout');
    const forever = options.forever === true || o.retries === Infinity;
    let metrics: CompatMetrics | undefined;
    try {
      metrics = compatMetrics(options.metrics);
    } catch (e) {
      return reject(e);
    }
    const start = performance.now();
    const startDate = Date.now();
    const maxRetryTime = options.maxRetryTime || Infinity;

    // Delays are drawn up front and sorted, as node-retry does, so the same Math.random gives the
    // same waits; only an unbounded count is drawn lazily (node-retry's array never ended).
    const finite = Number.isFinite(o.retries);
    const delays: number[] = [];
    if (finite) {
      for (let i = 0; i < o.retries; i++) delays.push(delayAt(i, o));
      if (forever && delays.length === 0) delays.push(delayAt(0, o));
      delays.sort((a, b) => a - b);
    }
    const lastDelay = delays[delays.length - 1];
    let used = 0;

    let errors: unknown[] = [];
    let attempt = 1;
    let done = false;
    let cancelWait: (() => void) | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      cancelWait?.(); // a bail or a failing onRetry leaves no attempt pending
      settle();
    };
    const bail = (error?: Error) => {
      metrics?.failure(error, attempt, start, false);
      finish(() => reject(error || new Error('Aborted')));
    };

    /** node-retry's operation.retry(): whether another attempt was scheduled. */
    const scheduleRetry = (error: unknown): number | undefined => {
      if (!error) return undefined;
      if (Date.now() - startDate >= maxRetryTime) {
        errors.push(error);
        errors.unshift(new Error('RetryOperation timeout occurred'));
        return undefined;
      }
      errors.push(error);
      let delay = finite ? delays[used++] : delayAt(used++, o);
      if (delay === undefined) {
        if (!forever || lastDelay === undefined) return undefined;
        errors = errors.slice(-1); // forever: only the last error is kept
        delay = lastDelay;
      }
      return delay;
    };

    const onError = (error: unknown, num: number) => {
      if (done) return;
      if ((error as { bail?: unknown } | null | undefined)?.bail) return bail(error as Error);
      const delay = scheduleRetry(error);
      if (delay === undefined) {
        const main = mainError(errors);
        metrics?.failure(main ?? error, num, start, Date.now() - startDate >= maxRetryTime);
        return finish(() => reject(main));
      }
      metrics?.retry(error);
      // As node-retry: the next attempt is scheduled first, then onRetry is told.
      cancelWait = timerUntil(performance.now() + delay, () => {
        cancelWait = undefined;
        attempt++;
        run(attempt);
      }, options.unref === true);
      try {
        options.onRetry?.(error as Error, num);
      } catch (e) {
        metrics?.failure(e, num, start, false);
        finish(() => reject(e));
      }
    };

    const run = (num: number) => {
      let value: A | Promise<A>;
      try {
        value = fn(bail, num);
      } catch (error) {
        return onError(error, num);
      }
      Promise.resolve(value).then(
        (v) => {
          if (!done) metrics?.success(num, start);
          finish(() => resolve(v));
        },
        (error) => onError(error, num),
      );
    };
    run(attempt);
  });
}

export = retry;
