/** Error categories. Ids match the Rust enum (crates/core/src/classify/category.rs). */
export const ErrorCategory = {
  Unknown: 'Unknown',
  TopicMissing: 'TopicMissing',
  Network: 'Network',
  Authentication: 'Authentication',
  Configuration: 'Configuration',
  Timeout: 'Timeout',
  Throttled: 'Throttled',
  QueueFull: 'QueueFull',
  InvalidRequest: 'InvalidRequest',
} as const;

export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

/** Index = the category id shared with Rust. */
export const CATEGORY_BY_ID: readonly ErrorCategory[] = [
  'Unknown',
  'TopicMissing',
  'Network',
  'Authentication',
  'Configuration',
  'Timeout',
  'Throttled',
  'QueueFull',
  'InvalidRequest',
];

export const CATEGORY_ID: Readonly<Record<ErrorCategory, number>> = Object.fromEntries(CATEGORY_BY_ID.map((c, i) => [c, i])) as Record<ErrorCategory, number>;

const NON_RETRIABLE = new Set<string>(['Authentication', 'Configuration', 'InvalidRequest']);

/**
 * Worth retrying: the condition can clear by itself. Authentication, configuration and malformed
 * requests fail the same way every time, so they fail fast.
 */
export function isRetriable(category: ErrorCategory): boolean {
  if (!(category in CATEGORY_ID)) {
    throw Object.assign(new RangeError(`velo-retry: category must be one of ${CATEGORY_BY_ID.join(', ')}, got ${JSON.stringify(category)}`), {
      code: 'ERR_OUT_OF_RANGE',
    });
  }
  return !NON_RETRIABLE.has(category);
}
