// What the compat layers record into RetryMetrics: the same events and categories as retry().
import { CATEGORY_ID, categorizeError } from '../classify';
import type { RetryMetrics } from '../metrics';
import { typeError } from '../validate';

export interface CompatMetrics {
  success(attempts: number, start: number): void;
  retry(error: unknown): void;
  failure(error: unknown, attempts: number, start: number, timedOut: boolean): void;
}

/** A recorder over `metrics`, or undefined when none was given. */
export function compatMetrics(metrics: RetryMetrics | undefined | null): CompatMetrics | undefined {
  if (metrics === undefined || metrics === null) return undefined;
  if (typeof (metrics as RetryMetrics)._sink !== 'function') throw typeError('metrics', 'a RetryMetrics', metrics);
  const sink = metrics._sink();
  return {
    success: (attempts, start) => sink.success(attempts, performance.now() - start),
    retry: (error) => sink.retry(CATEGORY_ID[categorizeError(error)]),
    failure: (error, attempts, start, timedOut) => sink.failure(CATEGORY_ID[categorizeError(error)], attempts, performance.now() - start, timedOut),
  };
}
