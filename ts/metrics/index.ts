// RetryMetrics: the public face of the metrics hot path.
import { CATEGORY_ID, type ErrorCategory } from '../classify/categories';
import { NativeUnavailableError } from '../errors';
import { native, nativeStatus } from '../native/load';
import { checkBoolean, checkNumber, checkObject, rangeError, typeError } from '../validate';
import { registerFamilies, renderText } from './exposition';
import { JsMetrics, retryFamilies } from './js';
import { NativeRingMetrics } from './native';
import { SeriesRegistry, type Labels } from './series';
import type { MetricsSnapshot, MetricsTwin } from './twin';

/** Gauges and counters beside the retry totals, each by `name{labels}`. */
export interface SeriesValues {
  gauges: Record<string, number>;
  counters: Record<string, number>;
}

export type { MetricsSnapshot, LatencySummary } from './twin';

export interface RetryMetricsOptions {
  /** Metric name prefix in the Prometheus text; default "velo_retry". */
  prefix?: string;
  /**
   * 'native' (default when the binding loads): process-wide totals in Rust, recorded through a
   * shared-memory ring, visible to every worker thread that attaches. 'js': totals in this thread.
   */
  implementation?: 'native' | 'js';
}

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function categoryId(category: unknown): number {
  const id = typeof category === 'string' ? CATEGORY_ID[category as ErrorCategory] : undefined;
  if (id === undefined) {
    throw (typeof category === 'string' ? rangeError : typeError)('category', `one of ${Object.keys(CATEGORY_ID).join(', ')}`, category);
  }
  return id;
}

/**
 * Counts attempts, outcomes and error categories, and times whole operations. Pass one to
 * `retry({ metrics })` (and the Kafka and compat layers); read it with `snapshot()` or `toPrometheus()`.
 */
export class RetryMetrics {
  readonly prefix: string;
  /** Which twin records: 'native' or 'js'. */
  readonly implementation: 'native' | 'js';
  private readonly twin: MetricsTwin;
  private readonly series = new SeriesRegistry();

  constructor(options: RetryMetricsOptions = {}, shareId?: number) {
    checkObject('options', options);
    const prefix = options.prefix ?? 'velo_retry';
    if (typeof prefix !== 'string') throw typeError('options.prefix', 'a string', prefix);
    if (!PREFIX.test(prefix)) throw rangeError('options.prefix', 'a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix);
    const impl = options.implementation ?? (native ? 'native' : 'js');
    if (impl !== 'native' && impl !== 'js') throw rangeError('options.implementation', '"native" or "js"', impl);
    if (impl === 'native' && !native) {
      throw new NativeUnavailableError('RetryMetrics', nativeStatus.reason);
    }
    this.prefix = prefix;
    this.implementation = impl;
    this.twin = impl === 'native' ? new NativeRingMetrics(shareId) : new JsMetrics();
  }

  /**
   * Joins metrics created in another thread, by the `shareId` that thread passed over (for example
   * in `workerData`): both then add to, and read, the same process-wide totals.
   */
  static attach(shareId: number, options: Omit<RetryMetricsOptions, 'implementation'> = {}): RetryMetrics {
    checkNumber('shareId', shareId, 1, Number.MAX_SAFE_INTEGER, true);
    return new RetryMetrics({ ...options, implementation: 'native' }, shareId);
  }

  /** The id `RetryMetrics.attach` takes in another thread; null for the 'js' implementation. */
  get shareId(): number | null {
    return this.twin.shareId;
  }

  /** An operation succeeded after `attempts` attempts (>= 1), taking `latencyMs` in all. */
  recordSuccess(attempts: number, latencyMs: number): void {
    checkNumber('attempts', attempts, 1, 0xffff_ffff, true);
    checkNumber('latencyMs', latencyMs, 0);
    this.twin.success(attempts, latencyMs);
  }

  /** An operation gave up after `attempts` attempts; `category` is its last error's. */
  recordFailure(category: ErrorCategory, attempts: number, latencyMs: number, timedOut = false): void {
    const id = categoryId(category);
    checkNumber('attempts', attempts, 0, 0xffff_ffff, true);
    checkNumber('latencyMs', latencyMs, 0);
    checkBoolean('timedOut', timedOut);
    this.twin.failure(id, attempts, latencyMs, timedOut);
  }

  /** One attempt failed with `category` and will be retried. */
  recordRetry(category: ErrorCategory): void {
    this.twin.retry(categoryId(category));
  }

  /** @internal The engine's entry: arguments already valid. */
  _sink(): MetricsTwin {
    return this.twin;
  }

  /**
   * @internal A gauge read at each snapshot (a consumer's in-flight count, a limiter's limit), in
   * this thread; returns its unregister function.
   */
  _gauge(name: string, help: string, labels: Labels, read: () => number): () => void {
    return this.series.gauge(name, help, labels, read);
  }

  /** @internal A labelled counter in this thread (messages dead-lettered, per topic). */
  _counter(name: string, help: string, labels: Labels): { add(n?: number): void; readonly value: number } {
    return this.series.counter(name, help, labels);
  }

  /** The retry totals, and the gauges and counters registered here (by `name{labels}`). */
  snapshot(): MetricsSnapshot & SeriesValues {
    return { ...this.twin.snapshot(), ...this.series.values() };
  }

  /** Prometheus text exposition format 0.0.4. */
  toPrometheus(): string {
    return this.twin.prometheus(this.prefix) + renderText(this.series.families(this.prefix));
  }

  /**
   * Registers these metrics on a prom-client Registry (`require('prom-client').register`, or one
   * of yours), read at each scrape; returns the function that unregisters them.
   */
  registerWith(registry: unknown): () => void {
    return registerFamilies(registry, () => [...retryFamilies(this.twin.snapshot(), this.prefix), ...this.series.families(this.prefix)], 'RetryMetrics');
  }

  /** Zeroes the totals and the counters (gauges read live values). */
  reset(): void {
    this.twin.reset();
    this.series.reset();
  }
}
