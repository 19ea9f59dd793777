// TS twin of crates/core/src/metrics/: the same counters, the same log-linear histogram over
// microseconds (latencies floored to whole µs, as the native ring carries them), and the same
// exposition text, so both twins report identical snapshots for identical events. Totals are per thread.
import { CATEGORY_BY_ID, type ErrorCategory } from '../classify/categories';
import { renderText, type Family } from './exposition';
import { LatencyHistogram } from './histogram';
import type { MetricsSnapshot, MetricsTwin } from './twin';

/** The retry totals as metric families; JavaScript's own number text is the reference the Rust twin imitates (js_number). */
export function retryFamilies(s: MetricsSnapshot, prefix: string): Family[] {
  const one = (name: string, type: Family['type'], help: string, value: number): Family => ({ name: `${prefix}_${name}`, help, type, samples: [{ value }] });
  const l = s.latency;
  const latency = `${prefix}_latency_seconds`;
  return [
    one('attempts_total', 'counter', 'Attempts made, successful or not.', s.attempts),
    one('successes_total', 'counter', 'Operations that succeeded.', s.successes),
    one('failures_total', 'counter', 'Operations that gave up.', s.failures),
    one('timeouts_total', 'counter', 'Operations that gave up at their deadline.', s.timeouts),
    one('retries_total', 'counter', 'Failed attempts that were retried.', s.retries),
    {
      name: `${prefix}_errors_total`,
      help: 'Errors by category, retried or final.',
      type: 'counter',
      samples: CATEGORY_BY_ID.map((c) => ({ labels: { category: c }, value: s.errors[c] })),
    },
    {
      name: latency,
      help: 'Whole-operation latency, retries and waits included.',
      type: 'summary',
      samples: [
        { labels: { quantile: '0.5' }, value: l.p50 / 1000 },
        { labels: { quantile: '0.9' }, value: l.p90 / 1000 },
        { labels: { quantile: '0.99' }, value: l.p99 / 1000 },
        { name: `${latency}_sum`, value: (l.mean * l.count) / 1000 },
        { name: `${latency}_count`, value: l.count },
      ],
    },
    one('success_rate_percent', 'gauge', 'Successes per attempt, percent.', s.successRate),
    one('timeout_rate_percent', 'gauge', 'Timeouts per attempt, percent.', s.timeoutRate),
  ];
}

export function prometheusText(s: MetricsSnapshot, prefix: string): string {
  return renderText(retryFamilies(s, prefix));
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
  private readonly latency = new LatencyHistogram();

  success(attempts: number, latencyMs: number): void {
    this.attempts += attempts;
    this.successes++;
    this.latency.add(latencyMs);
  }

  failure(category: number, attempts: number, latencyMs: number, timedOut: boolean): void {
    this.attempts += attempts;
    this.failures++;
    this.categories[category]!++;
    if (timedOut) this.timeouts++;
    this.latency.add(latencyMs);
  }

  retry(category: number): void {
    this.retries++;
    this.categories[category]!++;
  }

  snapshot(): MetricsSnapshot {
    const l = this.latency.summary();
    return snapshotFrom(
      this.attempts,
      this.successes,
      this.failures,
      this.timeouts,
      this.retries,
      this.categories,
      l.count,
      l.mean,
      l.p50,
      l.p90,
      l.p99,
      l.max,
    );
  }

  prometheus(prefix: string): string {
    return prometheusText(this.snapshot(), prefix);
  }

  reset(): void {
    this.attempts = this.successes = this.failures = this.timeouts = this.retries = 0;
    this.categories.fill(0);
    this.latency.reset();
  }
}
