import type { ErrorCategory } from '../classify/categories';

/** What both metrics twins offer. Categories are ids (see classify/categories.ts). */
export interface MetricsTwin {
  /** An operation succeeded after `attempts` attempts, `latencyMs` after it started. */
  success(attempts: number, latencyMs: number): void;
  /** An operation gave up; `category` is its last error's. */
  failure(category: number, attempts: number, latencyMs: number, timedOut: boolean): void;
  /** One attempt failed and will be retried. */
  retry(category: number): void;
  snapshot(): MetricsSnapshot;
  prometheus(prefix: string): string;
  reset(): void;
  /** An id another thread can attach to (native), or null (TS: totals live in this thread only). */
  readonly shareId: number | null;
}

export interface LatencySummary {
  /** Operations timed (successes and failures). */
  count: number;
  /** Milliseconds. Quantiles are bucket upper bounds (12.5 % wide buckets), clamped to max. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface MetricsSnapshot {
  attempts: number;
  successes: number;
  failures: number;
  timeouts: number;
  retries: number;
  /** Errors seen per category, retried or final. */
  errors: Record<ErrorCategory, number>;
  /** successes / attempts, percent; 0 with no attempts. */
  successRate: number;
  /** timeouts / attempts, percent; 0 with no attempts. */
  timeoutRate: number;
  /** attempts / successes; 0 with no successes. */
  meanAttemptsPerSuccess: number;
  latency: LatencySummary;
}

/** Ring slot layout shared with Rust (crates/core/src/metrics/event.rs, Event::to_slot). */
export const EventKind = { Success: 1, Failure: 2, Retry: 3 } as const;
export const MAX_RING_ATTEMPTS = 2 ** 13 - 1;
export const MAX_RING_US = 2 ** 32;
