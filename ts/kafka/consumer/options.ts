// The consumer's options: what each means, its default, and its validation at the door.
import { durationField, type Duration } from '../../backoff';
import { createAlgorithm, type LimiterKind } from '../../limit';
import type { LimitAlgorithm } from '../../limit/algorithm';
import { checkFunction, checkNumber, checkObject, rangeError, typeError } from '../../validate';
import type { KafkaOptions } from '../client';
import { resolveCodec, type Codec, type SerializerOptions } from '../codec';
import { checkCollector, type PerformanceCollector, type RoleStats } from '../../metrics/collector';
import { checkCircuitBreakerOptions, type BreakerState, type CircuitBreakerOptions } from '../../breaker';
import { checkTopicName } from '../topic-name';
import type { PartitionHealth } from './health';
import type { IncomingMessage } from './message';
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

export interface ConsumerOptions extends KafkaOptions, SerializerOptions {
  /** Records each message's record timestamp -> handled latency, bytes, rate and failures (role "consumer"). */
  collector?: PerformanceCollector;
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
  /**
   * Non-blocking retries: a message whose in-place retries (the policy) run out with a retriable
   * error goes to `<topic>-retry-<delayMs>` for the next delay, and is handled from there once due.
   */
  retryTopics?: { delays: readonly Duration[] };
  /** A message that fails for good goes to `<topic>-dlt` (or `topic`), with Spring Kafka's dead-letter headers. */
  deadLetter?: boolean | { topic: string };
  /** Create the retry topics and the dead-letter topic (partitions as their source topic) instead of waiting for them. */
  createTopics?: boolean;
  /** Called once a message is in the dead-letter topic. */
  onDeadLetter?: (message: IncomingMessage, error: unknown) => void;
  /** Pauses every partition while the downstream fails: see CircuitBreakerOptions. */
  breaker?: CircuitBreakerOptions;
  /** Called on each breaker transition. */
  onBreaker?: (state: BreakerState) => void;
  /** A partition whose low-water mark has not moved this long while work is pending is stalled; default 30 s. */
  stallAfter?: Duration;
  /** Called when a partition stalls. */
  onStall?: (stall: PartitionHealth) => void;
}

export interface ResolvedConsumerOptions {
  /** options.serializer: how a record's value becomes a handler's `data`. */
  codec: Codec | undefined;
  /** options.collector's consumer figures. */
  perf: RoleStats | undefined;
  /** Retry topic delays in ms, strictly increasing; empty when off. */
  retryDelays: readonly number[];
  /** The dead-letter topic for a source topic, or undefined when off. */
  deadLetterTopic: ((source: string) => string) | undefined;
  createTopics: boolean;
  onDeadLetter: ConsumerOptions['onDeadLetter'];
  breaker: CircuitBreakerOptions | undefined;
  onBreaker: ConsumerOptions['onBreaker'];
  stallAfter: number;
  onStall: ConsumerOptions['onStall'];
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

function retryDelaysOf(value: unknown): number[] {
  if (value === undefined) return [];
  checkObject('options.retryTopics', value);
  const delays = (value as { delays?: unknown }).delays;
  if (!Array.isArray(delays) || delays.length === 0)
    throw typeError('options.retryTopics.delays', 'a non-empty array of durations, such as ["1s", "10s", "1m"]', delays);
  const ms = delays.map((d, i) => Math.round(durationField(`options.retryTopics.delays[${i}]`, d as Duration, 0)));
  ms.forEach((d, i) => {
    if (d < 1) throw rangeError(`options.retryTopics.delays[${i}]`, 'at least 1 ms', delays[i]);
    // One topic per delay: equal delays would share a topic, and a shorter delay after a longer one breaks nothing but is surely a mistake.
    if (i > 0 && d <= ms[i - 1]!)
      throw rangeError(`options.retryTopics.delays[${i}]`, `longer than the delay before it (${ms[i - 1]} ms): delays increase`, delays[i]);
  });
  return ms;
}

function deadLetterOf(value: unknown): ((source: string) => string) | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return (source) => `${source}-dlt`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError('options.deadLetter', 'true, or { topic }', value);
  const topic = checkTopicName('options.deadLetter.topic', (value as { topic?: unknown }).topic);
  return () => topic;
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
  for (const k of ['onDeadLetter', 'onBreaker', 'onStall'] as const) if (options[k] !== undefined) checkFunction(`options.${k}`, options[k]);
  if (options.createTopics !== undefined && typeof options.createTopics !== 'boolean')
    throw typeError('options.createTopics', 'a boolean', options.createTopics);
  const stallAfter = durationField('options.stallAfter', options.stallAfter, 30_000);
  if (stallAfter < 1) throw rangeError('options.stallAfter', 'at least 1 ms', options.stallAfter);
  return {
    codec: resolveCodec(options),
    perf: checkCollector(options.collector)?._role('consumer'),
    retryDelays: retryDelaysOf(options.retryTopics),
    deadLetterTopic: deadLetterOf(options.deadLetter),
    createTopics: options.createTopics ?? false,
    onDeadLetter: options.onDeadLetter,
    breaker: options.breaker === undefined ? undefined : checkCircuitBreakerOptions(options.breaker, 'options.breaker'),
    onBreaker: options.onBreaker,
    stallAfter,
    onStall: options.onStall,
    ordering,
    algorithm: concurrencyOf(options.concurrency),
    maxBuffered: checkNumber('options.maxBuffered', options.maxBuffered ?? 1000, 1, 10_000_000, true),
    batchSize: checkNumber('options.batchSize', options.batchSize ?? 500, 1, 100_000, true),
    commitInterval,
    drainTimeout: durationField('options.drainTimeout', options.drainTimeout, 15_000),
    name,
  };
}
