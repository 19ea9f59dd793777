// The retry engine. Two paths:
// - the success path (no timeout, no signal): resolve the options (cached per options object),
//   read the clock once, await fn. No timer, no listener, no closure: the async function's own
//   promise is the only allocation of ours. A `.then` chain with a per-call failure closure
//   measured faster (bench row "retry success path"), but allocates per call; this path does not.
// - everything else (a failure, a timeout, a signal) runs in `Run`, an ordinary async loop.
import {
  compileJitter,
  compileStrategy,
  compileStrategyCached,
  delayOf,
  durationField,
  jitterOf,
  type CompiledStrategy,
  type Duration,
  type JitterMode,
  type RetryStrategy,
} from './backoff';
import { CATEGORY_ID, categorizeError, isRetriable, type ErrorCategory } from './classify';
import { RetryError } from './errors';
import type { RetryMetrics } from './metrics';
import type { MetricsTwin } from './metrics/twin';
import { RetryPolicy } from './policy';
import { sleep, timerUntil } from './timers';
import { checkBoolean, checkFunction, checkNumber, checkSignal, typeError } from './validate';

export { RetryError } from './errors';

/** What `fn` receives on each attempt. */
export interface AttemptContext {
  /** 0 for the first attempt. */
  readonly attempt: number;
  /** Aborted when the caller's signal aborts or the total timeout passes; undefined when neither is set. */
  readonly signal: AbortSignal | undefined;
}

/** What `onRetry` and `shouldRetry` receive after a failed attempt. */
export interface RetryContext {
  /** The attempt that failed (0-based). */
  readonly attempt: number;
  /** Milliseconds the engine will wait before the next attempt (after jitter, cut to the deadline). */
  readonly delay: number;
  readonly error: unknown;
  readonly category: ErrorCategory;
  /** Milliseconds since the first attempt started. */
  readonly elapsed: number;
  /** Retries still allowed after this one. */
  readonly retriesLeft: number;
}

export interface RetryOptions {
  /** Delay schedule; default: RetryPolicy.defaults() (exponential 2s x1.5, max 120s, or VELOSTREAM_RETRY_* env). */
  strategy?: RetryStrategy;
  /** Randomizes each delay; default 'none'. */
  jitter?: JitterMode;
  /** Retries after the first attempt; default 10; Infinity retries until the timeout or signal. */
  retries?: number;
  /** Total time budget (ms or "30s"): waits are cut to the time left and an attempt still running at the deadline is abandoned. */
  timeout?: Duration;
  /** Aborting rejects at once with `signal.reason`, mid-attempt or mid-wait. */
  signal?: AbortSignal;
  /** Decides whether to retry; default: the error's category is retriable (and `error.retriable !== false`). */
  shouldRetry?: (error: unknown, context: RetryContext) => boolean | Promise<boolean>;
  /** Called before each wait. */
  onRetry?: (context: RetryContext) => void | Promise<void>;
  /** Waits do not keep the process alive; default false. */
  unref?: boolean;
  metrics?: RetryMetrics;
  /** Source of jitter randomness in [0, 1); default Math.random. */
  random?: () => number;
}

/** The default decision: an explicit flag on the error wins, then the category. */
export function defaultShouldRetry(error: unknown, category: ErrorCategory): boolean {
  if (typeof error === 'object' && error !== null) {
    const e = error as { retriable?: unknown; isRetriable?: unknown; isFatal?: unknown };
    if (typeof e.retriable === 'boolean') return e.retriable; // KafkaJS-style errors
    if (e.isFatal === true) return false; // librdkafka fatal errors: the client must be recreated
    if (e.isRetriable === true) return true; // node-rdkafka transactional errors
  }
  return isRetriable(category);
}

const DEFAULT_RETRIES = 10;
const FIRST: AttemptContext = Object.freeze({ attempt: 0, signal: undefined });
/** Rejection value of a race or wait cut short by the signal or the deadline; never escapes Run. */
const STOPPED = Symbol('stopped');

/** Every option checked and defaulted. */
interface Resolved {
  /** undefined: the defaults (RetryPolicy.defaults(), compiled when a retry needs them). */
  readonly strategy: CompiledStrategy | undefined;
  readonly retries: number;
  readonly jitter: number;
  /** ms, or undefined for none. */
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly shouldRetry: RetryOptions['shouldRetry'];
  readonly onRetry: RetryOptions['onRetry'];
  readonly unref: boolean;
  readonly metrics: MetricsTwin | undefined;
  readonly random: () => number;
}

const NO_OPTIONS: Resolved = Object.freeze({
  strategy: undefined,
  retries: DEFAULT_RETRIES,
  jitter: 0,
  timeout: undefined,
  signal: undefined,
  shouldRetry: undefined,
  onRetry: undefined,
  unref: false,
  metrics: undefined,
  random: Math.random,
});

// The last options object resolved, and its fields as they were: code that passes one options
// object to every call (the common case) has it validated once. The fields are compared each call,
// so an object changed in place is validated again.
let lastOptions: RetryOptions | undefined;
let lastResolved: Resolved = NO_OPTIONS;
let lastSeen: unknown[] = [];

function seen(o: RetryOptions): unknown[] {
  return [o.retries, o.jitter, o.timeout, o.signal, o.shouldRetry, o.onRetry, o.unref, o.metrics, o.random];
}

function unchanged(o: RetryOptions): boolean {
  const f = lastSeen;
  return (
    f[0] === o.retries &&
    f[1] === o.jitter &&
    f[2] === o.timeout &&
    f[3] === o.signal &&
    f[4] === o.shouldRetry &&
    f[5] === o.onRetry &&
    f[6] === o.unref &&
    f[7] === o.metrics &&
    f[8] === o.random
  );
}

/**
 * The one place retry options are validated and defaulted: at the door, before the first attempt,
 * on the success path as on every other. The strategy is compiled through backoff's own cache,
 * which notices a strategy object changed in place; undefined means the defaults, which read the
 * VELOSTREAM_RETRY_* environment and so are compiled only when a retry needs them.
 */
function resolveOptions(o: RetryOptions | undefined): Resolved {
  if (o === undefined) return NO_OPTIONS;
  if (typeof o !== 'object' || o === null) throw typeError('options', 'an object', o);
  const strategy = o.strategy === undefined ? undefined : compileStrategyCached(o.strategy);
  if (o === lastOptions && unchanged(o)) {
    // Same options; a strategy object changed in place compiles anew (a new object, rarely).
    if (strategy !== lastResolved.strategy) lastResolved = { ...lastResolved, strategy };
    return lastResolved;
  }
  if (o.retries !== undefined) checkNumber('retries', o.retries, 0, Infinity, true);

  if (o.signal !== undefined) checkSignal('signal', o.signal);
  if (o.shouldRetry !== undefined) checkFunction('shouldRetry', o.shouldRetry);
  if (o.onRetry !== undefined) checkFunction('onRetry', o.onRetry);
  if (o.random !== undefined) checkFunction('random', o.random);
  if (o.unref !== undefined) checkBoolean('unref', o.unref);
  if (o.metrics !== undefined && (typeof o.metrics !== 'object' || o.metrics === null || typeof (o.metrics as RetryMetrics)._sink !== 'function')) {
    throw typeError('metrics', 'a RetryMetrics', o.metrics);
  }
  const resolved: Resolved = {
    strategy,
    retries: o.retries ?? DEFAULT_RETRIES,
    jitter: compileJitter(o.jitter),
    timeout: o.timeout === undefined ? undefined : durationField('timeout', o.timeout, 0),
    signal: o.signal,
    shouldRetry: o.shouldRetry,
    onRetry: o.onRetry,
    unref: o.unref === true,
    metrics: o.metrics?._sink(),
    random: o.random ?? Math.random,
  };
  lastOptions = o;
  lastSeen = seen(o);
  lastResolved = resolved;
  return resolved;
}

/**
 * Calls `fn` until it succeeds, the retries run out, `shouldRetry` says no, the timeout passes or
 * the signal aborts. Resolves with fn's value; rejects with a RetryError (or the signal's reason).
 */
export async function retry<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: RetryOptions): Promise<T> {
  // Everything before the first await runs synchronously: fn is called within retry().
  if (typeof fn !== 'function') throw typeError('fn', 'a function', fn);
  const o = resolveOptions(options);
  if (o.timeout !== undefined || o.signal !== undefined) return new Run<T>(fn, o, performance.now()).start();
  const start = performance.now();
  try {
    const value = await fn(FIRST);
    o.metrics?.success(1, performance.now() - start);
    return value;
  } catch (error) {
    return afterFirstFailure(fn, o, start, error);
  }
}

/**
 * @internal For a caller that made the first attempt itself, with options it validated once
 * (the Kafka producer, per message): continues exactly as retry() does after a first failure.
 */
export function continueAfterFailure<T>(
  fn: (context: AttemptContext) => T | PromiseLike<T>,
  options: RetryOptions,
  startedAt: number,
  error: unknown,
): Promise<T> {
  return afterFirstFailure(fn, resolveOptions(options), startedAt, error);
}

/** Async, so that anything Run's set-up throws (an invalid VELOSTREAM_RETRY_* env var) rejects. */
async function afterFirstFailure<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, o: Resolved, start: number, error: unknown): Promise<T> {
  return new Run<T>(fn, o, start).failed(error);
}

/** The slow path: one retry() call that has failed once, or that has a timeout or signal. */
class Run<T> {
  private attempt = 0;
  private previousDelay = -1;
  private readonly deadline: number;
  private readonly strategy: CompiledStrategy;
  /** Aborts attempts and waits: the caller's signal, or the deadline. */
  private readonly stop: AbortController | undefined;
  private stopReason: 'signal' | 'deadline' | undefined;
  private cancelDeadline: (() => void) | undefined;
  private lastError: { error: unknown } | undefined;

  constructor(
    private readonly fn: (context: AttemptContext) => T | PromiseLike<T>,
    private readonly o: Resolved,
    private readonly startedAt: number,
  ) {
    this.strategy = o.strategy ?? compileStrategy(RetryPolicy.defaults().strategy);
    this.deadline = o.timeout === undefined ? Infinity : startedAt + o.timeout;
    if (o.signal !== undefined || o.timeout !== undefined) this.stop = new AbortController();
  }

  private now(): number {
    return performance.now() - this.startedAt;
  }

  /** Entry with a timeout or a signal: wire both to `stop`, then attempt from 0. */
  async start(): Promise<T> {
    const signal = this.o.signal;
    if (signal?.aborted) throw signal.reason;
    const onAbort = () => this.halt('signal', signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (this.deadline !== Infinity) {
      this.cancelDeadline = timerUntil(this.deadline, () => this.halt('deadline', new Error('retry timeout')), this.o.unref);
    }
    try {
      return await this.loop(undefined);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.cancelDeadline?.();
    }
  }

  private halt(reason: 'signal' | 'deadline', cause: unknown): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.stop!.abort(cause);
  }

  /** Entry after the success path's first attempt failed. */
  failed(error: unknown): Promise<T> {
    return this.loop({ error });
  }

  private async loop(first: { error: unknown } | undefined): Promise<T> {
    try {
      return await this.attempts(first);
    } catch (e) {
      if (e === STOPPED) this.stopped();
      throw e;
    }
  }

  private async attempts(first: { error: unknown } | undefined): Promise<T> {
    let failure = first;
    for (;;) {
      if (failure === undefined) {
        try {
          const value = await this.race(this.fn({ attempt: this.attempt, signal: this.stop?.signal ?? this.o.signal }));
          this.o.metrics?.success(this.attempt + 1, this.now());
          return value;
        } catch (error) {
          if (error === STOPPED) throw error;
          failure = { error };
        }
      }
      this.lastError = failure;
      await this.afterFailure(failure.error);
      failure = undefined;
      this.attempt++;
    }
  }

  /** Decides, reports and waits; throws when the run is over. */
  private async afterFailure(error: unknown): Promise<void> {
    if (this.stopReason !== undefined) throw STOPPED;
    const category = categorizeError(error);
    const attempts = this.attempt + 1;
    if (this.attempt >= this.o.retries) this.giveUp(error, category, false);

    let delay = delayOf(this.strategy, this.attempt);
    if (this.o.jitter !== 0) {
      const random = this.o.random();
      delay = jitterOf(this.o.jitter, this.strategy, delay, random, this.previousDelay < 0 ? delay : this.previousDelay);
    }
    const left = this.deadline - performance.now();
    if (left <= 0) this.giveUp(error, category, true);
    // Never sleep past the deadline. A delay that reaches it leaves no time for another attempt:
    // wait out what is left (the run lasts its whole budget) and time out, without a retry.
    const last = delay >= left;
    if (last) delay = left;
    this.previousDelay = delay;

    const context: RetryContext = { attempt: this.attempt, delay, error, category, elapsed: this.now(), retriesLeft: this.o.retries - attempts };
    const o = this.o;
    if (o.shouldRetry !== undefined ? !(await this.race(o.shouldRetry(error, context))) : !defaultShouldRetry(error, category)) {
      this.giveUp(error, category, false);
    }
    if (last) {
      await this.sleep(delay);
      this.giveUp(error, category, true);
    }
    if (o.onRetry !== undefined) await this.race(o.onRetry(context));
    this.o.metrics?.retry(CATEGORY_ID[category]);
    await this.sleep(delay);
  }

  /** The run was stopped mid-attempt or mid-wait: reject with the signal's reason, or time out. */
  private stopped(): never {
    const last = this.lastError;
    if (this.stopReason === 'signal') {
      const category = last === undefined ? 'Unknown' : categorizeError(last.error);
      this.o.metrics?.failure(CATEGORY_ID[category], this.attempt + 1, this.now(), false);
      throw this.o.signal!.reason;
    }
    if (last !== undefined) this.giveUp(last.error, categorizeError(last.error), true);
    const pending = Object.assign(new Error(`attempt ${this.attempt} had not settled when the timeout passed`), { name: 'TimeoutError' });
    this.giveUp(pending, 'Timeout', true);
  }

  private giveUp(error: unknown, category: ErrorCategory, timedOut: boolean): never {
    const attempts = this.attempt + 1;
    const elapsed = this.now();
    this.o.metrics?.failure(CATEGORY_ID[category], attempts, elapsed, timedOut);
    throw new RetryError(error, attempts, elapsed, category, timedOut);
  }

  /** Settles with `value`, or rejects as soon as the run is stopped (signal or deadline). */
  private race<V>(value: V | PromiseLike<V>): Promise<V> {
    const stop = this.stop;
    if (stop === undefined) return Promise.resolve(value);
    if (stop.signal.aborted) return Promise.reject(STOPPED);
    return new Promise<V>((resolve, reject) => {
      const onStop = () => reject(STOPPED);
      stop.signal.addEventListener('abort', onStop, { once: true });
      Promise.resolve(value).then(
        (v) => (stop.signal.removeEventListener('abort', onStop), resolve(v)),
        (e) => (stop.signal.removeEventListener('abort', onStop), reject(e)),
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 && this.stop === undefined) return Promise.resolve();
    // timers.sleep rejects only when the signal aborts: that is a stop, whatever the reason.
    return sleep(ms, this.stop?.signal, this.o.unref).catch(() => {
      throw STOPPED;
    });
  }
}
