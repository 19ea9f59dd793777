// velo-retry: Kafka-aware retries for Node.js. The whole public API, on one screen.
import { nativeStatus } from './native/load';

/** The retry engine. */
export { retry, defaultShouldRetry } from './retry';
export type { RetryOptions, AttemptContext, RetryContext } from './retry';

/** Delay schedules. */
export { calculateDelay, DEFAULTS } from './backoff';
export type { RetryStrategy, JitterMode, Duration } from './backoff';

/** Duration text. */
export { parseDuration, formatDuration, durationCache } from './duration';
export type { CacheStats } from './duration';

/** Velostream configuration: properties, env vars, defaults. */
export { RetryPolicy } from './policy';
export type { Properties, ResolvedPolicy, TopicDefaults } from './policy';

/** Error classification. */
export { categorizeError, categorizeErrors, categorizeMessages, isRetriable, ErrorCategory } from './classify';

/** Errors: one base class with `code` and `retriable`, one subclass per condition to catch. */
export {
  VeloRetryError,
  RetryError,
  ProducerClosedError,
  DeliveryUnknownError,
  FlushTimeoutError,
  DriverMissingError,
  NativeUnavailableError,
  BufferReleasedTwiceError,
  CodecError,
  PeerMissingError,
  EnvelopeError,
} from './errors';

/** Adaptive concurrency limits around any async work (AIMD, Vegas, Gradient2, fixed). */
export { AdaptiveLimiter } from './limit';
export type { AdaptiveLimiterOptions, LimiterKind, Permit } from './limit';

/** A count-based circuit breaker over a sliding time window (the consumer's, usable on its own). */
export { CircuitBreaker } from './breaker';
export type { CircuitBreakerOptions, BreakerState } from './breaker';

/** Metrics and the buffer pool. */
export { RetryMetrics } from './metrics';
export type { RetryMetricsOptions, MetricsSnapshot, LatencySummary, SeriesValues } from './metrics';
/** Throughput of a Kafka pipeline: latency histogram, rates over a sliding window, error rate, prom-client bridge. */
export { PerformanceCollector } from './metrics/collector';
export type { PerformanceCollectorOptions, PerformanceSnapshot, RoleSnapshot } from './metrics/collector';
export { BufferPool } from './pool';
export type { BufferPoolOptions, BufferPoolStats } from './pool';

/** Which twin serves the hot paths: 'native' (the Rust binding loaded) or 'js'. */
export const implementation: 'native' | 'js' = nativeStatus.binding ? 'native' : 'js';

/** Where the binding came from, or why it did not load, and every path tried. */
export const nativeInfo: Readonly<{ loadedFrom: string | null; reason: string | null; tried: readonly string[] }> = Object.freeze({
  loadedFrom: nativeStatus.loadedFrom,
  reason: nativeStatus.reason,
  tried: Object.freeze([...nativeStatus.tried]),
});
