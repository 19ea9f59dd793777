// The consumer's options: what each means, its default, and its validation at the door.
import { durationField, type Duration } from '../../backoff';
import { createAlgorithm, type LimiterKind } from '../../limit';
import type { LimitAlgorithm } from '../../limit/algorithm';
import { checkFunction, checkNumber, checkObject, rangeError, typeError } from '../../validate';
import type { KafkaOptions } from '../client';
import type { TopicWait } from './topic-wait';

export type Ordering = 'key' | 'partition' | 'unordered';

export interface ConcurrencyOptions {
  /** Default 'gradient2' (the bench's consumer rows say why). */
  limiter?: LimiterKind;
  /** Default 4. */
  min?: number;
  /** Default 64. */
  max?: number;
  /** Default 16. */
  initial?: number;
  /** A message slower than this (retries included) counts as a drop; default 5 s. */
  timeout?: Duration;
}

export interface ConsumerOptions extends KafkaOptions {
  topics: readonly string[];
  /** How long to wait for missing topics (ms or "30s"); default topic.wait.timeout, else 0 = do not wait. */
  waitTimeout?: Duration;
  /** Called before each wait for missing topics. */
  onTopicWait?: (wait: TopicWait) => void;
  /** Messages fetched per consume call, at most; default 500. */
  batchSize?: number;
  /** Start from the earliest offset when the group has none committed (auto.offset.reset). */
  fromBeginning?: boolean;
  /**
   * 'key' (default): messages with the same key in one partition are handled one at a time, in
   * offset order, different keys in parallel; a message with no key is a key of its own.
   * 'partition': one at a time per partition. 'unordered': no constraint.
   */
  ordering?: Ordering;
  /** A fixed limit (a number), or an adaptive one; default adaptive: Gradient2, 4..64 from 16. */
  concurrency?: number | ConcurrencyOptions;
  /** Messages fetched but not started, at most; fetching pauses when full. Default 1000. */
  maxBuffered?: number;
  /** How often finished work is committed (the low-water mark per partition); default 1 s. Also on revoke and close. */
  commitInterval?: Duration;
  /** How long a revoke waits for the revoked partitions' messages in flight; default 15 s. Keep it below max.poll.interval.ms. */
  drainTimeout?: Duration;
  /** The `consumer` label of the consumer's gauges; default the group.id. */
  name?: string;
}

export interface ResolvedConsumerOptions {
  ordering: Ordering;
  /** Builds the limit algorithm (one per run). */
  algorithm: () => LimitAlgorithm;
  maxBuffered: number;
  batchSize: number;
  commitInterval: number;
  drainTimeout: number;
  name: string;
}

const ORDERINGS: readonly Ordering[] = ['key', 'partition', 'unordered'];
const DEFAULT_CONCURRENCY: ConcurrencyOptions = { limiter: 'gradient2', min: 4, max: 64, initial: 16 };

function concurrencyOf(value: unknown): () => LimitAlgorithm {
  if (value === undefined) return () => createAlgorithm(DEFAULT_CONCURRENCY, 'options.concurrency');
  if (typeof value === 'number') {
    const n = checkNumber('options.concurrency', value, 1, 100_000, true);
    return () => createAlgorithm({ limiter: 'fixed', min: n, max: n, initial: n }, 'options.concurrency');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw typeError('options.concurrency', 'a number (a fixed limit) or { limiter, min, max, initial }', value);
  }
  const c = value as ConcurrencyOptions;
  for (const k of Object.keys(c)) {
    if (!['limiter', 'min', 'max', 'initial', 'timeout'].includes(k))
      throw rangeError('options.concurrency', 'an object with limiter, min, max, initial or timeout', `key ${k}`);
  }
  const max = c.max ?? Math.max(DEFAULT_CONCURRENCY.max!, c.min ?? 0);
  const min = c.min ?? Math.min(DEFAULT_CONCURRENCY.min!, max);
  const options = {
    limiter: c.limiter ?? DEFAULT_CONCURRENCY.limiter,
    min,
    max,
    initial: c.initial ?? Math.min(Math.max(DEFAULT_CONCURRENCY.initial!, min), max),
    timeout: c.timeout,
  };
  createAlgorithm(options, 'options.concurrency'); // validated now, at createConsumer
  return () => createAlgorithm(options, 'options.concurrency');
}

export function resolveConsumerOptions(options: ConsumerOptions, groupId: string): ResolvedConsumerOptions {
  checkObject('options', options);
  const ordering = options.ordering ?? 'key';
  if (!ORDERINGS.includes(ordering))
    throw (typeof ordering === 'string' ? rangeError : typeError)('options.ordering', '"key", "partition" or "unordered"', ordering);
  if (options.onTopicWait !== undefined) checkFunction('options.onTopicWait', options.onTopicWait);
  const name = options.name ?? groupId;
  if (typeof name !== 'string' || name === '') throw typeError('options.name', 'a non-empty string', name);
  const commitInterval = durationField('options.commitInterval', options.commitInterval, 1_000);
  if (commitInterval < 1) throw rangeError('options.commitInterval', 'at least 1 ms', options.commitInterval);
  return {
    ordering,
    algorithm: concurrencyOf(options.concurrency),
    maxBuffered: checkNumber('options.maxBuffered', options.maxBuffered ?? 1000, 1, 10_000_000, true),
    batchSize: checkNumber('options.batchSize', options.batchSize ?? 500, 1, 100_000, true),
    commitInterval,
    drainTimeout: durationField('options.drainTimeout', options.drainTimeout, 15_000),
    name,
  };
}
