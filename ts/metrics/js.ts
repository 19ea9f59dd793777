// TS twin of crates/core/src/metrics/: the same counters, the same log-linear histogram over
// microseconds (latencies floored to whole µs, as the native ring carries them), and the same
// exposition text, so both twins report identical snapshots for identical events. Totals are per thread.
import { CATEGORY_BY_ID, type ErrorCategory } from '../classify/categories';
import type { MetricsSnapshot, MetricsTwin } from './twin';

const EXACT = 16;
const MAX_EXP = 44;
export const BUCKETS = EXACT + ((MAX_EXP - 4) << 3);
const TWO_32 = 2 ** 32;

export function micros(ms: number): number {
  const us = Math.floor(ms * 1000);
  return us > 0 ? Math.min(us, Number.MAX_SAFE_INTEGER) : 0;
}

export function bucketOf(us: number): number {
  if (us < EXACT) return us;
  if (us < TWO_32) {
    // The common case, in 32-bit integer operations.
    const exp = 31 - Math.clz32(us);
    return EXACT + ((exp - 4) << 3) + ((us >>> (exp - 3)) & 7);
  }
  const exp = 63 - Math.clz32(Math.floor(us / TWO_32));
  if (exp >= MAX_EXP) return BUCKETS - 1;
  const sub = Math.floor(us / 2 ** (exp - 3)) & 7;
  return EXACT + ((exp - 4) << 3) + sub;
}

export function bucketUpper(b: number): number {
  if (b < EXACT) return b + 1;
  const i = b - EXACT;
  const exp = (i >> 3) + 4;
  return (8 + (i & 7) + 1) * 2 ** (exp - 3);
}

/** JavaScript's own number text is the reference the Rust twin imitates (js_number). */
export function prometheusText(s: MetricsSnapshot, prefix: string): string {
  let out = '';
  const metric = (name: string, kind: string, help: string, samples: [string, number][]) => {
    out += `# HELP ${prefix}_${name} ${help}\n# TYPE ${prefix}_${name} ${kind}\n`;
    for (const [suffix, v] of samples) out += `${prefix}_${name}${suffix} ${v}\n`;
  };
  metric('attempts_total', 'counter', 'Attempts made, successful or not.', [['', s.attempts]]);
  metric('successes_total', 'counter', 'Operations that succeeded.', [['', s.successes]]);
  metric('failures_total', 'counter', 'Operations that gave up.', [['', s.failures]]);
  metric('timeouts_total', 'counter', 'Operations that gave up at their deadline.', [['', s.timeouts]]);
  metric('retries_total', 'counter', 'Failed attempts that were retried.', [['', s.retries]]);
  metric(
    'errors_total',
    'counter',
    'Errors by category, retried or final.',
    CATEGORY_BY_ID.map((c) => [`{category="${c}"}`, s.errors[c]]),
  );
  const l = s.latency;
  metric('latency_seconds', 'summary', 'Whole-operation latency, retries and waits included.', [
    ['{quantile="0.5"}', l.p50 / 1000],
    ['{quantile="0.9"}', l.p90 / 1000],
    ['{quantile="0.99"}', l.p99 / 1000],
    ['_sum', (l.mean * l.count) / 1000],
    ['_count', l.count],
  ]);
  metric('success_rate_percent', 'gauge', 'Successes per attempt, percent.', [['', s.successRate]]);
  metric('timeout_rate_percent', 'gauge', 'Timeouts per attempt, percent.', [['', s.timeoutRate]]);
  return out;
}

/** Builds the snapshot object both twins return from flat figures. */
export function snapshotFrom(
  attempts: number,
  successes: number,
  failures: number,
  timeouts: number,
  retries: number,
  categories: ArrayLike<number>,
  count: number,
  meanMs: number,
  p50: number,
  p90: number,
  p99: number,
  max: number,
): MetricsSnapshot {
  const errors = {} as Record<ErrorCategory, number>;
  CATEGORY_BY_ID.forEach((c, i) => (errors[c] = categories[i]!));
  return {
    attempts,
    successes,
    failures,
    timeouts,
    retries,
    errors,
    successRate: attempts === 0 ? 0 : (successes * 100) / attempts,
    timeoutRate: attempts === 0 ? 0 : (timeouts * 100) / attempts,
    meanAttemptsPerSuccess: successes === 0 ? 0 : attempts / successes,
    latency: { count, mean: meanMs, p50, p90, p99, max },
  };
}

export class JsMetrics implements MetricsTwin {
  readonly shareId = null;
  private attempts = 0;
  private successes = 0;
  private failures = 0;
  private timeouts = 0;
  private retries = 0;
  private categories = new Float64Array(CATEGORY_BY_ID.length);
  private buckets = new Float64Array(BUCKETS);
  private count = 0;
  private sumUs = 0;
  private maxUs = 0;

  private time(latencyMs: number): void {
    const us = micros(latencyMs);
    this.buckets[bucketOf(us)]!++;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  success(attempts: number, latencyMs: number): void {
    this.attempts += attempts;
    this.successes++;
    this.time(latencyMs);
  }

  failure(category: number, attempts: number, latencyMs: number, timedOut: boolean): void {
    this.attempts += attempts;
    this.failures++;
    this.categories[category]!++;
    if (timedOut) this.timeouts++;
    this.time(latencyMs);
  }

  retry(category: number): void {
    this.retries++;
    this.categories[category]!++;
  }

  private quantileUs(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.floor((this.count * p + 99) / 100));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.buckets[b]!;
      if (seen >= rank) return Math.min(bucketUpper(b), this.maxUs);
    }
    return this.maxUs;
  }

  snapshot(): MetricsSnapshot {
    const c = this.count;
    return snapshotFrom(
      this.attempts,
      this.successes,
      this.failures,
      this.timeouts,
      this.retries,
      this.categories,
      c,
      c === 0 ? 0 : this.sumUs / c / 1000,
      this.quantileUs(50) / 1000,
      this.quantileUs(90) / 1000,
      this.quantileUs(99) / 1000,
      this.maxUs / 1000,
    );
  }

  prometheus(prefix: string): string {
    return prometheusText(this.snapshot(), prefix);
  }

  reset(): void {
    this.attempts = this.successes = this.failures = this.timeouts = this.retries = 0;
    this.categories.fill(0);
    this.buckets.fill(0);
    this.count = this.sumUs = this.maxUs = 0;
  }
}
