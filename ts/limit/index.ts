// AdaptiveLimiter: a concurrency limit around any async work, `await limiter.run(fn)` or
// `acquire()` / `release()`, whose limit follows the downstream: AIMD (loss-based), Vegas or
// Gradient2 (latency-based), or fixed. Waiters are served in arrival order.
import { durationField, type Duration } from '../backoff';
import type { RetryMetrics } from '../metrics';
import { checkFunction, checkNumber, checkObject, checkSignal, rangeError, typeError } from '../validate';
import { DEFAULT_WINDOW, type LimitAlgorithm } from './algorithm';
import { AIMD_DEFAULTS, AimdLimit } from './aimd';
import { FixedLimit } from './fixed';
import { GRADIENT2_DEFAULTS, Gradient2Limit } from './gradient2';
import { VEGAS_DEFAULTS, VegasLimit } from './vegas';

export type LimiterKind = 'aimd' | 'vegas' | 'gradient2' | 'fixed';
const KINDS: readonly LimiterKind[] = ['aimd', 'vegas', 'gradient2', 'fixed'];

export interface AdaptiveLimiterOptions {
  /** Default 'gradient2'. 'fixed' keeps `initial`. */
  limiter?: LimiterKind;
  /** Bounds and start; defaults are the algorithm's (Netflix's): AIMD and Gradient2 20..200 from 20, Vegas 1..1000 from 20. */
  min?: number;
  max?: number;
  initial?: number;
  /** A call slower than this counts as a drop (shrinks the limit); default 5 s. */
  timeout?: Duration;
  /** Calls averaged per update by the latency-based algorithms; default 50 (see DEFAULT_WINDOW). */
  windowSize?: number;
  /** Gradient2: how much slower than its long-term average a window may be before it counts as queuing; default 1.5 (>= 1). */
  tolerance?: number;
  /** Publishes the limit and in-flight count as gauges (`concurrency_limit`, `concurrency_inflight`). */
  metrics?: RetryMetrics;
  /** The `limiter` label of those gauges; default "default". */
  name?: string;
  /** The clock RTTs are measured with, in ms; default performance.now (a simulation passes its own). */
  clock?: () => number;
}

/** A slot taken from a limiter; release it exactly once. */
export interface Permit {
  /** Calls in flight when this one started, itself included. */
  readonly inflight: number;
  /** performance.now() when it was granted. */
  readonly startedAt: number;
  /**
   * Gives the slot back and reports the call: 'success' and 'dropped' (it failed or timed out) feed
   * the algorithm with the time since `startedAt`; 'ignore' (cancelled, not the downstream's doing)
   * does not. Default 'success'. A second release throws.
   */
  release(outcome?: 'success' | 'dropped' | 'ignore'): void;
}

interface Waiter {
  resolve: (p: Permit) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function bound(name: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : checkNumber(name, value, 1, 1_000_000, true);
}

/** The algorithm `options` names, its bounds checked. Exposed for the consumer's `concurrency` option. */
export function createAlgorithm(options: AdaptiveLimiterOptions, what = 'options'): LimitAlgorithm {
  checkObject(what, options);
  const kind = options.limiter ?? 'gradient2';
  if (!KINDS.includes(kind))
    throw (typeof kind === 'string' ? rangeError : typeError)(`${what}.limiter`, `one of ${KINDS.map((k) => `"${k}"`).join(', ')}`, kind);
  const defaults = kind === 'vegas' ? VEGAS_DEFAULTS : kind === 'aimd' ? AIMD_DEFAULTS : GRADIENT2_DEFAULTS;
  // Each given bound checked before any is used to default another.
  const givenMax = options.max === undefined ? undefined : bound(`${what}.max`, options.max, 0);
  const givenInitial = options.initial === undefined ? undefined : bound(`${what}.initial`, options.initial, 0);
  const min = bound(`${what}.min`, options.min, Math.min(defaults.min, givenMax ?? defaults.min, givenInitial ?? defaults.min));
  const max = givenMax ?? Math.max(defaults.max, min);
  if (max < min) throw rangeError(`${what}.max`, `>= ${what}.min (${min})`, max);
  const initial = givenInitial ?? Math.min(Math.max(defaults.initial, min), max);
  if (initial < min || initial > max) throw rangeError(`${what}.initial`, `within [min, max] = [${min}, ${max}]`, initial);
  const timeout = durationField(`${what}.timeout`, options.timeout, 5_000);
  const windowSize = bound(`${what}.windowSize`, options.windowSize, DEFAULT_WINDOW);
  const tolerance = options.tolerance === undefined ? GRADIENT2_DEFAULTS.tolerance : checkNumber(`${what}.tolerance`, options.tolerance, 1, 100);
  switch (kind) {
    case 'fixed':
      return new FixedLimit(initial);
    case 'aimd':
      return new AimdLimit({ ...AIMD_DEFAULTS, initial, min, max, timeout });
    case 'vegas':
      return new VegasLimit({ ...VEGAS_DEFAULTS, initial, min, max, timeout, windowSize });
    default:
      return new Gradient2Limit({ ...GRADIENT2_DEFAULTS, initial, min, max, timeout, windowSize, tolerance });
  }
}

export class AdaptiveLimiter {
  readonly kind: LimiterKind;
  private readonly algorithm: LimitAlgorithm;
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private head = 0;
  private unregister: (() => void) | undefined;
  private readonly clock: () => number;

  constructor(options: AdaptiveLimiterOptions = {}) {
    checkObject('options', options);
    this.algorithm = createAlgorithm(options);
    if (options.clock !== undefined) checkFunction('options.clock', options.clock);
    this.clock = options.clock ?? (() => performance.now());
    this.kind = options.limiter ?? 'gradient2';
    if (options.metrics !== undefined) {
      const m = options.metrics as Partial<RetryMetrics> | null;
      if (typeof m !== 'object' || m === null || typeof m._gauge !== 'function') throw typeError('options.metrics', 'a RetryMetrics', options.metrics);
      const name = options.name ?? 'default';
      if (typeof name !== 'string' || name === '') throw typeError('options.name', 'a non-empty string', name);
      const labels = { limiter: name };
      const offLimit = options.metrics._gauge('concurrency_limit', 'The adaptive concurrency limit.', labels, () => this.limit);
      const offInflight = options.metrics._gauge('concurrency_inflight', 'Calls holding a slot of the limiter.', labels, () => this.active);
      this.unregister = () => (offLimit(), offInflight());
    }
  }

  /** The current limit. */
  get limit(): number {
    return this.algorithm.limit;
  }

  /** Slots held now. */
  get inflight(): number {
    return this.active;
  }

  /** Callers waiting in acquire(). */
  get waiting(): number {
    return this.waiters.length - this.head;
  }

  /** A slot now, or undefined when the limit is reached (or others are already waiting). */
  tryAcquire(): Permit | undefined {
    if (this.active >= this.algorithm.limit || this.waiting > 0) return undefined;
    return this.grant();
  }

  /** A slot, waiting in line for one; rejects with `signal.reason` if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal !== undefined) checkSignal('signal', signal);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<Permit>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w, this.head);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
    });
  }

  /** Runs `fn` in a slot: a rejection or throw counts as a drop, a result as a success. */
  async run<T>(fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    checkFunction('fn', fn);
    const permit = await this.acquire(signal);
    let outcome: 'success' | 'dropped' = 'dropped';
    try {
      const value = await fn();
      outcome = 'success';
      return value;
    } finally {
      permit.release(outcome);
    }
  }

  /** Stops publishing gauges (the limiter keeps working). */
  close(): void {
    this.unregister?.();
    this.unregister = undefined;
  }

  private grant(): Permit {
    this.active++;
    const inflight = this.active;
    const startedAt = this.clock();
    let released = false;
    return {
      inflight,
      startedAt,
      release: (outcome = 'success') => {
        if (released) throw new Error('velo-retry: this permit was already released');
        released = true;
        this.active--;
        if (outcome !== 'ignore') this.algorithm.update(this.clock() - startedAt, inflight, outcome === 'dropped');
        this.wake();
      },
    };
  }

  /** Hands freed slots to waiters, oldest first. */
  private wake(): void {
    while (this.waiting > 0 && this.active < this.algorithm.limit) {
      const w = this.waiters[this.head++]!;
      if (w.onAbort !== undefined) w.signal!.removeEventListener('abort', w.onAbort);
      w.resolve(this.grant());
    }
    if (this.head > 64 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }
}

export type { LimitAlgorithm } from './algorithm';
