// velo-retry/exponential-backoff: exponential-backoff 3.1.3's backOff(), same options, defaults,
// delay formula (startingDelay * timeMultiple^n, capped at maxDelay; full jitter rounds) and
// `retry(e, attemptNumber)` awaited after every failure. With `metrics`, each call also feeds
// RetryMetrics with error categories.
//
// Validation policy (README, "Migrating"): the original validates nothing, and reads its options
// with JavaScript's own coercion; so does this layer, with the same results: `numOfAttempts: '3'`
// is 3 attempts, a `jitter` other than 'full' is none, a `startingDelay` that is not a number makes
// each wait NaN, which setTimeout reads as 1 ms. It departs only where the original never ends or
// fails late for a reason known at the call:
// - a numOfAttempts that no count reaches (NaN, 'abc', undefined given explicitly) retried forever
//   there; here it is a TypeError;
// - a `request` or `retry` that is not a function failed only after the first attempt (request: after
//   every attempt and its waits); here each is a TypeError at the call;
// - delays past 2^31 - 1 ms wait that long (setTimeout fired them at once).
import type { RetryMetrics } from '../metrics';
import { sleepOnce } from '../timers';
import { checkFunction, typeError } from '../validate';
import { compatMetrics } from './report';

export type JitterType = 'none' | 'full';

export interface IBackOffOptions {
  /** Wait startingDelay before the first call too; default false. */
  delayFirstAttempt: boolean;
  /** 'none' (default) or 'full': a random delay in [0, delay], rounded. */
  jitter: JitterType;
  /** Cap on any delay, ms; default Infinity. */
  maxDelay: number;
  /** Attempts in all, at least 1; default 10. */
  numOfAttempts: number;
  /** Called with each error and the upcoming attempt number; false stops. Default: always true. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the original's own signature; `unknown` would break callers that read e.message
  retry: (e: any, attemptNumber: number) => boolean | Promise<boolean>;
  /** First delay, ms; default 100. */
  startingDelay: number;
  /** Factor between delays; default 2. */
  timeMultiple: number;
  /** velo-retry: record attempts, categories and latency here. */
  metrics?: RetryMetrics;
}

export type BackoffOptions = Partial<IBackOffOptions>;

const DEFAULTS: IBackOffOptions = {
  delayFirstAttempt: false,
  jitter: 'none',
  maxDelay: Infinity,
  numOfAttempts: 10,
  retry: () => true,
  startingDelay: 100,
  timeMultiple: 2,
};

function sanitize(options: BackoffOptions): IBackOffOptions {
  // The original's merge: an object spread, which copies a string's characters and skips null.
  const o: IBackOffOptions = { ...DEFAULTS, ...options };
  if (o.numOfAttempts < 1) o.numOfAttempts = 1; // the original raises anything below 1 to 1
  // Compared as the original compares (`attemptNumber >= numOfAttempts`): a value no count reaches.
  if (!(Number.MAX_VALUE >= o.numOfAttempts) && !(o.numOfAttempts >= Infinity)) {
    throw typeError('numOfAttempts', 'a number (the original retried forever with this value)', o.numOfAttempts);
  }
  checkFunction('retry', o.retry);
  return o;
}

/** The original's formula, coercion and all. */
function delayFor(o: IBackOffOptions, power: number): number {
  const delay = Math.min(o.startingDelay * Math.pow(o.timeMultiple, power), o.maxDelay);
  return o.jitter === 'full' ? Math.round(Math.random() * delay) : delay;
}

/** Calls `request` until it resolves, waiting startingDelay * timeMultiple^n between attempts. */
export async function backOff<T>(request: () => Promise<T>, options: BackoffOptions = {}): Promise<T> {
  if (typeof request !== 'function') throw typeError('request', 'a function', request);
  const o = sanitize(options);
  const metrics = compatMetrics(o.metrics);
  const start = metrics ? performance.now() : 0;
  let attemptNumber = 0;
  for (;;) {
    // Before attempt n: nothing before the first unless delayFirstAttempt, which shifts the powers by one.
    if (o.delayFirstAttempt) await sleepOnce(delayFor(o, attemptNumber));
    else if (attemptNumber > 0) await sleepOnce(delayFor(o, attemptNumber - 1));
    try {
      const value = await request();
      metrics?.success(attemptNumber + 1, start);
      return value;
    } catch (e) {
      attemptNumber++;
      const again = await o.retry(e, attemptNumber);
      if (!again || attemptNumber >= o.numOfAttempts) {
        metrics?.failure(e, attemptNumber, start, false);
        throw e;
      }
      metrics?.retry(e);
    }
  }
}
