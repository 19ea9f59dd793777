// velo-retry/async-retry: async-retry 1.3.3's API and behaviour, which is node-retry 0.13's: delays
// drawn up front for every retry and sorted ascending, `randomize` on by default, the final error
// the most frequent message among the failures (ties: the latest). With `metrics`, each call
// also feeds RetryMetrics with error categories.
//
// Validation policy (README, "Migrating"): async-retry validates nothing, and code written against it
// relies on how node-retry reads its options, so this layer reads them the same way: merged with
// `for...in`, compared and multiplied with JavaScript's own coercion. `retries: '3'` is 3 retries,
// `retries: 'abc'` (or null, or undefined given explicitly) none, and a `factor` that is not a number
// makes every later wait NaN, which setTimeout reads as 1 ms; each exactly as the original, timers
// included. It departs only where the original never settles or crashes:
// - bail() stops the retries: async-retry rejected but went on calling fn in the background;
// - retries: Infinity (or 'Infinity') works: node-retry computed an endless array of delays and
//   ran out of memory;
// - an onRetry that throws rejects with that error, and one that is not a function is a TypeError
//   at the call: the original left the promise pending forever in both cases.
import type { RetryMetrics } from '../metrics';
import { once } from '../timers';
import { typeError } from '../validate';
import { compatMetrics, type CompatMetrics } from './report';

// A namespace merged with the function, as @types/async-retry declares it, so `retry.Options` and
// `export =` both work for code written against the original.
// eslint-disable-next-line @typescript-eslint/no-namespace
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

type Settings = Required<Pick<retry.Options, 'factor' | 'minTimeout' | 'maxTimeout' | 'randomize'>> & { retries: number };

/** node-retry's option merge: its defaults, then every enumerable key given (undefined values too). */
function settings(options: retry.Options): Settings {
  const o: Record<string, unknown> = { retries: 10, factor: 2, minTimeout: 1000, maxTimeout: Infinity, randomize: false };
  for (const key in options) o[key] = (options as Record<string, unknown>)[key];
  // async-retry defaults randomize to true only when the key is absent.
  if (!('randomize' in options)) o.randomize = true;
  return o as Settings;
}

/** One retry() call. The success path costs one promise, this object and the bail closure. */
class Run<A> {
  private readonly start: number;
  private readonly startDate: number;
  private readonly maxRetryTime: number;
  private readonly forever: boolean;
  private readonly endless: boolean;
  private readonly metrics: CompatMetrics | undefined;
  private delays: number[] | undefined;
  private used = 0;
  private errors: unknown[] = [];
  private attempt = 1;
  private done = false;
  private cancelWait: (() => void) | undefined;
  readonly bail = (error?: Error) => {
    this.metrics?.failure(error, this.attempt, this.start, false);
    this.finish(() => this.reject(error || new Error('Aborted')));
  };

  constructor(
    private readonly fn: retry.RetryFunction<A>,
    private readonly options: retry.Options,
    private readonly o: Settings,
    private readonly resolve: (value: A) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    // As node-retry counts retries (`i < retries`, with the same coercion), a count no number
    // reaches is unbounded: 'Infinity' as well as Infinity. Compared here, in the promise's
    // executor, so a value that cannot be compared (a Symbol) rejects at once, as there.
    this.endless = Number.MAX_VALUE < o.retries;
    this.forever = Boolean(options.forever) || this.endless;
    this.maxRetryTime = options.maxRetryTime || Infinity;
    this.startDate = this.maxRetryTime === Infinity ? 0 : Date.now();
    this.metrics = compatMetrics(options.metrics);
    this.start = this.metrics ? performance.now() : 0;
  }

  private finish(settle: () => void): void {
    if (this.done) return;
    this.done = true;
    this.cancelWait?.(); // a bail or a failing onRetry leaves no attempt pending
    settle();
  }

  private timedOut(): boolean {
    return this.maxRetryTime !== Infinity && Date.now() - this.startDate >= this.maxRetryTime;
  }

  /**
   * node-retry draws every delay up front and sorts them. They are drawn here, at the first
   * failure, in the same order: the same Math.random gives the same waits, and a call that
   * succeeds at once draws nothing. Only an unbounded count is drawn one at a time.
   */
  private nextDelay(): number | undefined {
    const o = this.o;
    if (this.endless) return delayAt(this.used++, o);
    if (this.delays === undefined) {
      this.delays = [];
      for (let i = 0; i < o.retries; i++) this.delays.push(delayAt(i, o));
      if (this.forever && this.delays.length === 0) this.delays.push(delayAt(0, o));
      this.delays.sort((a, b) => a - b);
    }
    const d = this.delays[this.used++];
    if (d !== undefined) return d;
    if (!this.forever || this.delays.length === 0) return undefined;
    this.errors = this.errors.slice(-1); // forever: only the last error is kept
    return this.delays[this.delays.length - 1];
  }

  /** node-retry's operation.retry(): the delay before another attempt, or undefined when none follows. */
  private scheduleRetry(error: unknown): number | undefined {
    if (!error) return undefined;
    if (this.timedOut()) {
      this.errors.push(error);
      this.errors.unshift(new Error('RetryOperation timeout occurred'));
      return undefined;
    }
    this.errors.push(error);
    return this.nextDelay();
  }

  private failed(error: unknown, num: number): void {
    if (this.done) return;
    if ((error as { bail?: unknown } | null | undefined)?.bail) return this.bail(error as Error);
    const delay = this.scheduleRetry(error);
    if (delay === undefined) {
      const main = mainError(this.errors);
      this.metrics?.failure(main ?? error, num, this.start, this.timedOut());
      return this.finish(() => this.reject(main));
    }
    this.metrics?.retry(error);
    // As node-retry: the next attempt is scheduled first, then onRetry is told.
    this.cancelWait = once(
      delay,
      () => {
        this.cancelWait = undefined;
        this.run(++this.attempt);
      },
      Boolean(this.options.unref),
    );
    try {
      if (this.options.onRetry) this.options.onRetry(error as Error, num);
    } catch (e) {
      this.metrics?.failure(e, num, this.start, false);
      this.finish(() => this.reject(e));
    }
  }

  run(num: number): void {
    let value: A | Promise<A>;
    try {
      value = this.fn(this.bail, num);
    } catch (error) {
      return this.failed(error, num);
    }
    Promise.resolve(value).then(
      (v) => {
        if (!this.done) this.metrics?.success(num, this.start);
        this.finish(() => this.resolve(v));
      },
      (error) => this.failed(error, num),
    );
  }
}

function retry<A>(fn: retry.RetryFunction<A>, opts?: retry.Options): Promise<A> {
  return new Promise<A>((resolve, reject) => {
    const options = opts || {};
    if (typeof options !== 'object' && typeof options !== 'function') throw typeError('options', 'an object', options);
    if (options.onRetry && typeof options.onRetry !== 'function') throw typeError('onRetry', 'a function', options.onRetry);
    const o = settings(options);
    if (o.minTimeout > o.maxTimeout) throw new Error('minTimeout is greater than maxTimeout');
    new Run(fn, options, o, resolve, reject).run(1);
  });
}

export = retry;
