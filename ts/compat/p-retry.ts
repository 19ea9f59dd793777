// velo-retry/p-retry: p-retry 9's API and behaviour (defaults, validation messages, callback order,
// delay formula, AbortError), loadable with require() on Node 20 where p-retry 9 itself is ESM-only
// and needs Node 22. With `metrics`, each call also feeds RetryMetrics with error categories.
//
// The success path calls `input` and chains one `.then`: no async frame, no options copy, and the
// clock is read only when maxRetryTime or metrics need it.
import { sleepOnce } from '../timers';
import { compatMetrics, type CompatMetrics } from './report';
import type { RetryMetrics } from '../metrics';

export interface RetryContext {
  readonly error: Error;
  readonly attemptNumber: number;
  readonly retriesLeft: number;
  readonly retriesConsumed: number;
  /** ms until the next attempt (0 when none follows); may be cut short by maxRetryTime. */
  readonly retryDelay: number;
}

export interface Options {
  // p-retry 9's own callback types, void unions included, so code typed against it compiles.
  /* eslint-disable @typescript-eslint/no-invalid-void-type */
  readonly onFailedAttempt?: (context: RetryContext) => void | Promise<void>;
  readonly shouldRetry?: (context: RetryContext) => boolean | Promise<boolean>;
  readonly shouldConsumeRetry?: (context: RetryContext) => boolean | void | Promise<boolean | void>;
  /* eslint-enable @typescript-eslint/no-invalid-void-type */
  readonly retries?: number;
  readonly factor?: number;
  readonly minTimeout?: number;
  readonly maxTimeout?: number;
  readonly randomize?: boolean;
  readonly maxRetryTime?: number;
  readonly signal?: AbortSignal;
  readonly unref?: boolean;
  /** velo-retry: record attempts, categories and latency here. */
  readonly metrics?: RetryMetrics;
}

/** Throw it from `input` to stop retrying; pRetry rejects with the error it wraps. */
export class AbortError extends Error {
  override readonly name = 'AbortError' as const;
  readonly originalError: Error;

  constructor(message: string | Error) {
    super(typeof message === 'string' ? message : undefined);
    if (message instanceof Error) {
      this.originalError = message;
      this.message = message.message;
    } else {
      this.originalError = new Error(message);
      this.message = this.originalError.message;
      // Point the wrapped error's stack at the caller, not at this constructor.
      Error.captureStackTrace?.(this.originalError, AbortError);
    }
  }
}

/** setTimeout cannot hold more; p-retry caps every delay here. */
const MAXIMUM_DELAY = 2 ** 31 - 1;

interface Resolved {
  retries: number;
  factor: number;
  minTimeout: number;
  maxTimeout: number;
  randomize: boolean;
  maxRetryTime: number;
  onFailedAttempt?: Options['onFailedAttempt'];
  shouldRetry?: Options['shouldRetry'];
  shouldConsumeRetry?: Options['shouldConsumeRetry'];
  signal?: AbortSignal;
  unref: boolean;
  metrics?: CompatMetrics;
}

const given = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

function numberOption(name: string, value: unknown, allowInfinity = false): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`Expected \`${name}\` to be a number${allowInfinity ? ' or Infinity' : ''}.`);
  if (!allowInfinity && !Number.isFinite(value)) throw new TypeError(`Expected \`${name}\` to be a finite number.`);
  if (value < 0) throw new TypeError(`Expected \`${name}\` to be \u2265 0.`);
  return value;
}

function typedOption(name: string, value: unknown, type: 'function' | 'boolean'): void {
  if (given(value) && typeof value !== type) throw new TypeError(`Expected \`${name}\` to be a ${type}.`);
}

/** p-retry's defaults and checks, in its order; null means "not given", as there. */
function resolve(o: Options): Resolved {
  const retries = o.retries ?? 10;
  if (typeof retries === 'number') {
    if (retries < 0) throw new TypeError('Expected `retries` to be a non-negative number.');
    if (Number.isNaN(retries)) throw new TypeError('Expected `retries` to be a valid number or Infinity, got NaN.');
    if (Number.isFinite(retries) && !Number.isInteger(retries)) throw new TypeError('Expected `retries` to be a non-negative integer or Infinity.');
  } else {
    throw new TypeError('Expected `retries` to be a number or Infinity.');
  }
  if (Object.hasOwn(o, 'forever')) throw new Error('The `forever` option is no longer supported. For many use-cases, you can set `retries: Infinity` instead.');
  typedOption('onFailedAttempt', o.onFailedAttempt, 'function');
  typedOption('shouldRetry', o.shouldRetry, 'function');
  typedOption('shouldConsumeRetry', o.shouldConsumeRetry, 'function');
  typedOption('randomize', o.randomize, 'boolean');
  typedOption('unref', o.unref, 'boolean');
  const signal = o.signal;
  if (given(signal)) {
    const s = signal as Partial<AbortSignal>;
    if (typeof s.throwIfAborted !== 'function' || typeof s.addEventListener !== 'function' || typeof s.removeEventListener !== 'function') {
      throw new TypeError('Expected `signal` to be an AbortSignal.');
    }
  }
  const factor = numberOption('factor', o.factor ?? 2);
  return {
    retries,
    // A factor of 0 would drop every delay after the first to 0: p-retry keeps it constant.
    factor: factor === 0 ? 1 : factor,
    minTimeout: numberOption('minTimeout', o.minTimeout ?? 1000),
    maxTimeout: numberOption('maxTimeout', o.maxTimeout ?? Infinity, true),
    maxRetryTime: numberOption('maxRetryTime', o.maxRetryTime ?? Infinity, true),
    randomize: o.randomize ?? false,
    onFailedAttempt: o.onFailedAttempt ?? undefined,
    shouldRetry: o.shouldRetry ?? undefined,
    shouldConsumeRetry: o.shouldConsumeRetry ?? undefined,
    signal: signal ?? undefined,
    unref: o.unref ?? false,
    metrics: compatMetrics(o.metrics),
  };
}

/** The wait before retry number `retriesConsumed + 1`: p-retry's formula. */
function delayFor(retriesConsumed: number, o: Resolved): number {
  if (o.minTimeout === 0) return 0; // and a factor grown to Infinity would make NaN
  const random = o.randomize ? Math.random() + 1 : 1;
  const timeout = Math.round(random * o.minTimeout * o.factor ** retriesConsumed);
  return Math.min(timeout, Math.ceil(o.maxTimeout), MAXIMUM_DELAY);
}

/** A TypeError is a programming error and is not retried, except the ones fetch throws for network failures. */
const NETWORK_MESSAGES = new Set([
  'network error',
  'NetworkError when attempting to fetch resource.',
  'The Internet connection appears to be offline.',
  'Network request failed',
  'fetch failed',
  'terminated',
  ' A network error occurred.',
  'Network connection lost',
]);

function isNetworkTypeError(e: Error): boolean {
  if (Object.prototype.toString.call(e) !== '[object Error]' || e.name !== 'TypeError' || typeof e.message !== 'string') return false;
  const m = e.message;
  if (m === 'Load failed' || (m.startsWith('Load failed (') && m.endsWith(')'))) return e.stack === undefined || '__sentry_captured__' in e;
  if (m.startsWith('error sending request for url')) return true;
  if (m === 'Failed to fetch' || (m.startsWith('Failed to fetch (') && m.endsWith(')'))) return true;
  return NETWORK_MESSAGES.has(m);
}

function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function unwrapAbortError(error: Error): Error {
  let cause = error;
  while (cause instanceof AbortError && cause.originalError instanceof Error) cause = cause.originalError;
  return cause;
}

const remaining = (start: number, max: number) => (Number.isFinite(max) ? max - (performance.now() - start) : max);

/**
 * After a failed attempt: callbacks in p-retry's order (shouldConsumeRetry, onFailedAttempt,
 * shouldRetry), then the wait. Throws when the run is over; returns whether a retry was consumed.
 */
async function afterFailure(thrown: unknown, attemptNumber: number, retriesConsumed: number, start: number, o: Resolved): Promise<boolean> {
  const abortIfNeeded = () => o.signal?.throwIfAborted();
  const error = thrown instanceof Error ? thrown : new TypeError(`Non-error was thrown: "${describeThrown(thrown)}". You should only throw errors.`);
  // A cancellation outranks everything, an AbortError from the operation included.
  abortIfNeeded();
  if (error instanceof AbortError) {
    const cause = unwrapAbortError(error);
    o.metrics?.failure(cause, attemptNumber, start, false);
    throw cause;
  }
  const retriesLeft = o.retries - retriesConsumed;
  const retriable = !(error instanceof TypeError) || isNetworkTypeError(error);
  // The delay is drawn only when a retry can follow, so Math.random is not consumed for nothing.
  const delay = retriable && remaining(start, o.maxRetryTime) > 0 && retriesLeft > 0 ? delayFor(retriesConsumed, o) : 0;

  const consume = (await o.shouldConsumeRetry?.(Object.freeze({ error, attemptNumber, retriesLeft, retriesConsumed, retryDelay: delay }))) ?? true;
  abortIfNeeded();
  const effectiveDelay = consume ? delay : 0;
  const context: RetryContext = Object.freeze({ error, attemptNumber, retriesLeft, retriesConsumed, retryDelay: effectiveDelay });
  await o.onFailedAttempt?.(context);
  abortIfNeeded();

  const giveUp = (timedOut: boolean): never => {
    o.metrics?.failure(error, attemptNumber, start, timedOut);
    throw error;
  };
  if (!retriable || retriesLeft <= 0) giveUp(false);
  if (remaining(start, o.maxRetryTime) <= 0) giveUp(true);
  const again = o.shouldRetry ? await o.shouldRetry(context) : true;
  abortIfNeeded();
  if (!again) giveUp(false);
  const left = remaining(start, o.maxRetryTime);
  if (left <= 0) giveUp(true);
  o.metrics?.retry(error);
  if (!consume) return false;
  const wait = Math.min(effectiveDelay, left);
  if (wait > 0) await sleepOnce(wait, o.signal, o.unref);
  return true;
}

async function loop<T>(input: (attemptNumber: number) => PromiseLike<T> | T, o: Resolved, start: number, firstError: unknown): Promise<T> {
  let attemptNumber = 1;
  let retriesConsumed = 0;
  let failure: { error: unknown } | undefined = { error: firstError };
  for (;;) {
    if (failure === undefined) {
      attemptNumber++;
      try {
        o.signal?.throwIfAborted();
        const result = await input(attemptNumber);
        o.signal?.throwIfAborted();
        o.metrics?.success(attemptNumber, start);
        return result;
      } catch (error) {
        failure = { error };
      }
    }
    if (await afterFailure(failure.error, attemptNumber, retriesConsumed, start, o)) retriesConsumed++;
    failure = undefined;
  }
}

/** Calls `input(attemptNumber)` (from 1) until it resolves, retrying failures like p-retry 9. */
function pRetry<T>(input: (attemptNumber: number) => PromiseLike<T> | T, options: Options = {}): Promise<T> {
  let o: Resolved;
  try {
    o = resolve(options);
    o.signal?.throwIfAborted();
  } catch (e) {
    return Promise.reject(e);
  }
  const start = Number.isFinite(o.maxRetryTime) || o.metrics ? performance.now() : 0;
  let result: PromiseLike<T> | T;
  try {
    result = input(1);
  } catch (error) {
    return loop(input, o, start, error);
  }
  return Promise.resolve(result).then(
    (value) => {
      if (o.signal?.aborted) return loop(input, o, start, o.signal.reason);
      o.metrics?.success(1, start);
      return value;
    },
    (error) => loop(input, o, start, error),
  );
}

/** Wraps `fn` so that every call is retried with `options`. */
function makeRetriable<A extends unknown[], R>(fn: (...args: A) => PromiseLike<R> | R, options?: Options): (...args: A) => Promise<R> {
  return function (this: unknown, ...args: A) {
    return pRetry(() => fn.apply(this, args), options);
  };
}

// require('velo-retry/p-retry') is pRetry itself, carrying these exports (p-retry-entry.cjs, beside this file); the ESM
// entry (p-retry-entry.mjs) re-exports that same object, so there is one instance.
export { pRetry, makeRetriable };
export default pRetry;
