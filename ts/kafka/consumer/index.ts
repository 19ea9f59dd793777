// createConsumer: a consumer that waits for its topics, then handles messages in parallel, within
// the order its mode keeps (per key, per partition, or none), under a concurrency limit that can
// follow the downstream, committing per partition only the low-water mark of finished work, and
// safe across rebalances (drain, commit, release; late results dropped) and close.
//
// The flow: one consume call at a time fetches up to the room left in the buffer (librdkafka pauses
// fetching when the buffer is full, and consume keeps being called so the group keeps us); each
// message is tracked by its partition's offsets and queued by the dispatcher; while the limit
// allows, ready messages start. A finished message advances its lane and its partition's mark; a
// timer commits the marks.
import { durationField } from '../../backoff';
import { categorizeError, isRetriable } from '../../classify';
import type { LimitAlgorithm } from '../../limit/algorithm';
import { FixedLimit } from '../../limit/fixed';
import type { RetryMetrics } from '../../metrics';
import type { MetricsTwin } from '../../metrics/twin';
import { continueAfterFailure, retry, type RetryOptions } from '../../retry';
import { sleep } from '../../timers';
import { checkFunction, checkNumber, typeError } from '../../validate';
import { checkConfig, connectFresh, disconnect, resolveKafkaOptions, splitConfig, type ResolvedKafkaOptions } from '../client';
import { ensureTopic } from '../admin';
import { binaryHeadersSupported } from '../binary-headers';
import { CONSUMER_ONLY } from '../config-schema';
import { call, loadDriver, type ConsumerClient, type DriverMessage, type KafkaError, type Metadata, type TopicPartitionOffset } from '../driver';
import { createProducer } from '../producer';
import { checkTopicName } from '../topic-name';
import { CircuitBreaker, type BreakerState } from '../../breaker';
import type { PartitionHealth } from './health';
import { headersOf, unpack } from './message';
import { isEnvelope } from '../../envelope';
import { RetryError } from '../../errors';
import { defaultShouldRetry } from '../../retry';
import type { VeloProducer } from '../producer';
import { Dispatcher } from './dispatcher';
import { FailurePaths, ParkedError, type Route } from './failure';
import type { IncomingMessage } from './message';
import { resolveConsumerOptions, type ConsumerOptions, type ResolvedConsumerOptions } from './options';
import { Partition, partitionKey, type PauseReason } from './partition';
import { waitForTopics } from './topic-wait';
import type { HandlerContext, Work } from './work';

export type { IncomingMessage, BatchPosition } from './message';
export type { ConsumerOptions, ConcurrencyOptions, Ordering } from './options';
export { TopicWaitError, type TopicWait } from './topic-wait';
export type { HandlerContext } from './work';
export type { PartitionHealth } from './health';
export { ParkedError } from './failure';

export type Handler<T = unknown> = (message: IncomingMessage<T>, context: HandlerContext) => unknown;

export interface ConsumerStats {
  /** The concurrency limit now. */
  limit: number;
  /** Messages being handled. */
  inflight: number;
  /** Messages fetched and not started. */
  buffered: number;
  /** Partitions assigned. */
  assigned: number;
  /** The largest number of messages handled at once so far. */
  maxInflight: number;
}

export interface VeloConsumer<T = unknown> extends AsyncIterable<IncomingMessage<T>> {
  /** Per assigned partition: its oldest unfinished message, and whether its low-water mark is stalled. */
  health(): PartitionHealth[];
  /**
   * Calls `handler(message, { attempt, signal })` for each message, in parallel within the ordering
   * mode and the concurrency limit; a failing handler is retried by the policy, its key (or
   * partition) waiting meanwhile. Resolves after stop() or close(), once in-flight work is done and
   * committed; rejects when a message's retries run out (nothing from it on is committed).
   */
  run(handler: Handler<T>): Promise<void>;
  /** Stops fetching and starting messages; run() resolves when what is in flight is done and committed. */
  stop(): void;
  /** Stops, drains in-flight work, commits, and disconnects, within `timeout` ms (default 30 s). */
  close(timeout?: number): Promise<void>;
  /** How the wait for topics went. */
  readonly topicWait: { attempts: number; elapsedMs: number };
  readonly stats: ConsumerStats;
  readonly client: ConsumerClient;
}

const ASSIGN = -175;
const REVOKE = -174;
/** ms each consume call waits for a next message: short, so a trickle of messages is not held back to fill a batch. */
const CONSUME_TIMEOUT = 25;
/** How long a full buffer just stops fetching before librdkafka's pause (ms); see fetch(). */
const BUFFER_WAIT = 1_000;
/** A handler's way to end a message without finishing it: the iterator's when iteration stops. */
const CANCELLED = Symbol('cancelled');

type RebalanceHook = (err: KafkaError | undefined, assignment: { topic: string; partition: number }[]) => void;

export async function createConsumer<T = unknown>(config: Record<string, unknown>, options: ConsumerOptions): Promise<VeloConsumer<T>> {
  const base = checkConfig(config);
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object with topics', options);
  const { topics } = options;
  if (!Array.isArray(topics) || topics.length === 0) throw typeError('options.topics', 'a non-empty array of topic names', topics);
  topics.forEach((t, i) => checkTopicName(`options.topics[${i}]`, t));
  const groupId = base['group.id'];
  if (typeof groupId !== 'string' || groupId === '') throw typeError('config["group.id"]', 'a non-empty string (consumers belong to a group)', groupId);
  if (base.rebalance_cb !== undefined) {
    throw typeError('config.rebalance_cb', "undefined: velo-retry's consumer handles rebalances itself (drain, commit, release)", base.rebalance_cb);
  }
  if (base['enable.auto.commit'] !== undefined && base['enable.auto.commit'] !== false && base['enable.auto.commit'] !== 'false') {
    throw typeError(
      'config["enable.auto.commit"]',
      'false or unset: velo-retry commits the low-water mark of finished work itself',
      base['enable.auto.commit'],
    );
  }
  const resolved = resolveKafkaOptions(options, 'createConsumer');
  const co = resolveConsumerOptions(options, groupId);
  const waitTimeout = durationField('options.waitTimeout', options.waitTimeout, resolved.waitTimeout);
  const driver = loadDriver(options.driver);

  // The rebalance callback is part of the client's config, made before the consumer exists: it
  // calls whichever consumer is attached, and until then does what node-rdkafka would.
  const hook: { rebalance: RebalanceHook | undefined } = { rebalance: undefined };
  const conf = {
    ...base,
    'enable.auto.commit': false,
    event_cb: true,
    offset_commit_cb: true,
    rebalance_cb: function (this: ConsumerClient, err: KafkaError | undefined, assignment: { topic: string; partition: number }[]) {
      if (hook.rebalance) return hook.rebalance(err, assignment);
      const cooperative = this.rebalanceProtocol() === 'COOPERATIVE';
      if (err?.code === ASSIGN) {
        if (cooperative) this.incrementalAssign(assignment);
        else this.assign(assignment);
      } else if (err?.code === REVOKE) {
        if (cooperative) this.incrementalUnassign(assignment);
        else this.unassign();
      }
    },
  };
  const sources = [...topics];
  const binaryHeaders = binaryHeadersSupported(driver);
  const paths =
    co.retryDelays.length > 0 || co.deadLetterTopic !== undefined
      ? new FailurePaths(sources, co.retryDelays, co.deadLetterTopic, groupId, binaryHeaders)
      : undefined;
  if (paths)
    for (const t of [...paths.retryTopics, ...sources.map((s) => paths.deadLetterTopic(s)).filter((t) => t !== undefined)])
      checkTopicName(`the topic ${t} (from options.retryTopics / options.deadLetter)`, t);
  const { global, topic } = splitConfig(conf);
  if (options.fromBeginning) topic['auto.offset.reset'] = 'earliest';
  const client = await connectFresh(() => new driver.KafkaConsumer(global, topic), resolved);
  let producer: VeloProducer | undefined;
  try {
    const brokers = String(base['bootstrap.servers'] ?? base['metadata.broker.list'] ?? '<brokers>');
    const wait = await waitForTopics(client, sources, waitTimeout, resolved, options, brokers);
    const subscription = [...sources];
    if (paths) {
      const failureTopics = [...paths.retryTopics, ...new Set(sources.map((s) => paths.deadLetterTopic(s)!).filter(Boolean))];
      // Retry records and dead letters go out through a producer of the consumer's own, on the
      // same cluster (the consumer-only properties left out).
      const producerConfig = Object.fromEntries(
        Object.entries(base).filter(([k]) => !CONSUMER_ONLY.has(k) && k !== 'rebalance_cb' && k !== 'offset_commit_cb'),
      );
      if (co.createTopics) await createFailureTopics(client, producerConfig, paths, sources, options, resolved);
      else await waitForTopics(client, failureTopics, waitTimeout, resolved, options, brokers);
      subscription.push(...paths.retryTopics);
      producer = await createProducer(producerConfig, {
        retry: options.retry,
        metrics: options.metrics,
        driver: options.driver,
        env: options.env,
        connectTimeout: options.connectTimeout,
        binaryHeaders,
      });
    }
    client.setDefaultConsumeTimeout?.(CONSUME_TIMEOUT);
    const consumer = new Consumer(client, resolved, co, wait, options.metrics, paths && producer ? { paths, producer } : undefined);
    hook.rebalance = (err, assignment) => consumer.onRebalance(err, assignment);
    client.subscribe(subscription);
    return consumer as VeloConsumer as VeloConsumer<T>; // data is what options.serializer gives: the caller names its type
  } catch (e) {
    await producer?.close(5_000).catch(() => {});
    await disconnect(client);
    throw e;
  }
}

/** Creates the retry and dead-letter topics that do not exist yet, each with its source topic's partition count. */
async function createFailureTopics(
  client: ConsumerClient,
  base: Record<string, unknown>,
  paths: FailurePaths,
  sources: string[],
  options: ConsumerOptions,
  resolved: ResolvedKafkaOptions,
): Promise<void> {
  const md = await call<Metadata>((cb) => client.getMetadata({ timeout: Math.min(5_000, resolved.connectTimeout) }, cb));
  const partitionsOf = new Map(md.topics.map((t) => [t.name, t.partitions.length]));
  const admin = { driver: options.driver, env: options.env, retry: options.retry, connectTimeout: options.connectTimeout };
  for (const source of sources) {
    const partitions = partitionsOf.get(source) ?? -1;
    const topics = [...paths.delays.map((_, i) => paths.retryTopic(source, i)), paths.deadLetterTopic(source)];
    for (const t of topics) if (t !== undefined && !partitionsOf.has(t)) await ensureTopic(base, t, { partitions }, admin);
  }
}

/** Waits for `p`, at most `ms`; the timer does not outlive it (a pending timer would keep the process alive). */
async function within(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((wake) => (timer = setTimeout(wake, Math.max(0, ms))))]);
  clearTimeout(timer);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

class Consumer implements VeloConsumer {
  private readonly partitions = new Map<string, Partition>();
  private readonly epochs = new Map<string, number>();
  private dispatcher: Dispatcher;
  private algorithm: LimitAlgorithm;
  private handler: Handler | undefined;
  private buffered = 0;
  private inflight = 0;
  private maxInflight = 0;
  /** 'idle' before run(); 'running'; 'stopping' (no new work; draining); 'closed'. */
  private state: 'idle' | 'running' | 'stopping' | 'closed' = 'idle';
  private fetchLoop: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private pausedForBuffer = false;
  /** The fetch loop, waiting for room in the buffer. */
  private roomWaiter: (() => void) | undefined;
  /**
   * Logical messages per record, the most in the last batch fetched (an envelope counts as its
   * messages, a record as one); 0 before the first record. Room is counted in logical messages and
   * consume takes a record count: a fetch asks for room / this records, so envelopes of 100 fill
   * the buffer as 100 records would (asking for 500 of them fetched 50,000 messages into a buffer of
   * 1,000, then paused every partition's window and fetched again after each resume).
   */
  private perRecord = 0;
  /** Why run() will reject: a message whose retries ran out (with nowhere to go), or a fatal consume error. */
  private fatal: { error: unknown } | undefined;
  private runDone: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** Rebalances in order: a revoke drains before the next one is looked at. */
  private rebalancing: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  private readonly metrics: MetricsTwin | undefined;
  private readonly retryOptions: RetryOptions;
  private readonly retryFromStart: boolean;
  /** False while iterating: the loop body is the handler, and it is not ours to retry. */
  private retrying = true;
  private unregister: (() => void)[] = [];
  private readonly paths: FailurePaths | undefined;
  private readonly producer: VeloProducer | undefined;
  private readonly breaker: CircuitBreaker | undefined;
  private readonly counters: { handled: { add(n?: number): void }; dropped: { add(n?: number): void }; commitFailures: { add(n?: number): void } } | undefined;

  constructor(
    readonly client: ConsumerClient,
    o: ResolvedKafkaOptions,
    private readonly co: ResolvedConsumerOptions,
    readonly topicWait: { attempts: number; elapsedMs: number },
    private readonly retryMetrics: RetryMetrics | undefined,
    failure: { paths: FailurePaths; producer: VeloProducer } | undefined,
  ) {
    this.paths = failure?.paths;
    this.producer = failure?.producer;
    if (co.breaker !== undefined) {
      this.breaker = new CircuitBreaker(co.breaker, (state) => this.onBreakerChange(state));
    }
    this.dispatcher = new Dispatcher(co.ordering);
    this.algorithm = co.algorithm();
    this.retryOptions = o.perMessage;
    this.metrics = o.perMessage.metrics?._sink();
    // A total timeout or a signal needs the engine from the first attempt; otherwise the first
    // attempt is a plain call, and only a failure enters the engine (as the producer does).
    this.retryFromStart = o.perMessage.timeout !== undefined || o.perMessage.signal !== undefined;
    client.on('offset.commit', ((err: KafkaError | undefined, offsets: TopicPartitionOffset[]) => this.onCommitted(err, offsets)) as never);
    if (retryMetrics) {
      const labels = { consumer: co.name };
      this.counters = {
        handled: retryMetrics._counter('consumer_messages', 'Messages handled to completion.', labels),
        dropped: retryMetrics._counter('consumer_late_results', 'Results that arrived for a partition no longer held, dropped uncommitted.', labels),
        commitFailures: retryMetrics._counter('consumer_commit_failures', 'Offset commits the broker refused (the marks are committed again).', labels),
      };
      this.unregister.push(
        retryMetrics._gauge('consumer_concurrency_limit', "The consumer's concurrency limit.", labels, () => this.algorithm.limit),
        retryMetrics._gauge('consumer_inflight', 'Messages being handled.', labels, () => this.inflight),
        retryMetrics._gauge('consumer_buffered', 'Messages fetched and not started.', labels, () => this.buffered),
        retryMetrics._gauge(
          'consumer_parked_keys',
          'Keys with a message in the retry path, whose later messages follow it there.',
          labels,
          () => this.paths?.parkedKeys ?? 0,
        ),
        retryMetrics._gauge('consumer_stalled_partitions', 'Partitions whose low-water mark has not moved for stallAfter with work pending.', labels, () => {
          let n = 0;
          for (const p of this.partitions.values()) if (p.owned && p.stalled) n++;
          return n;
        }),
        retryMetrics._gauge(
          'consumer_breaker_state',
          'The circuit breaker: 0 closed, 1 open, 2 half-open.',
          labels,
          () => ({ closed: 0, open: 1, 'half-open': 2 })[this.breaker?.state ?? 'closed'],
        ),
      );
    }
  }

  get stats(): ConsumerStats {
    let assigned = 0;
    for (const p of this.partitions.values()) if (p.owned) assigned++;
    return { limit: this.algorithm.limit, inflight: this.inflight, buffered: this.buffered, assigned, maxInflight: this.maxInflight };
  }

  run(handler: Handler): Promise<void> {
    checkFunction('handler', handler);
    return this.start(handler, false);
  }

  /** `iterating`: the handler is the iterator's hand-over, sequential and never retried. */
  private start(handler: Handler, iterating: boolean): Promise<void> {
    if (this.state !== 'idle')
      return Promise.reject(
        new Error(`velo-retry/kafka: run() or iteration already ${this.state === 'closed' ? 'ended: the consumer is closed' : 'started on this consumer'}`),
      );
    this.handler = handler;
    if (iterating) {
      // One message at a time, in each partition's order (key lanes would reorder a partition's keys).
      this.algorithm = new FixedLimit(1);
      this.dispatcher = new Dispatcher('partition');
    }
    this.retrying = !iterating;
    this.state = 'running';
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.runDone = { promise, resolve, reject };
    this.commitTimer = setInterval(() => this.commit(false), this.co.commitInterval);
    this.commitTimer.unref();
    this.stallTimer = setInterval(() => this.checkStalls(), Math.max(10, Math.min(1_000, this.co.stallAfter / 4)));
    this.stallTimer.unref();
    this.fetchLoop = this.fetch();
    return promise;
  }

  // ---------------------------------------------------------------- fetching

  private async fetch(): Promise<void> {
    while (this.state === 'running') {
      // Room for one more record: as many messages as the largest record lately held (one
      // envelope larger than the whole buffer still comes in once the buffer is empty).
      const need = Math.min(Math.max(1, this.perRecord), this.co.maxBuffered);
      let room = this.co.maxBuffered - this.buffered;
      if (room < need && !this.pausedForBuffer) {
        // Full: stop fetching. For a short while that is just not calling consume (librdkafka keeps
        // its own bounded prefetch queue, and the group is kept by its heartbeat thread); past it,
        // librdkafka's pause, so that consume can be called again (rebalances are served in it)
        // without messages arriving. Pausing at once costs a fetch round trip on every resume.
        await this.roomOrAfter(BUFFER_WAIT);
        room = this.co.maxBuffered - this.buffered;
        if (this.state !== 'running') break;
        if (room < need) this.pauseForBuffer(true);
      }
      let messages: DriverMessage[];
      try {
        // While paused, consume keeps being called (rebalances and max.poll.interval.ms depend on
        // it); it returns nothing from paused partitions.
        messages = await call<DriverMessage[]>((cb) =>
          this.client.consume(room >= need ? this.recordsFor(Math.min(this.co.batchSize, room, this.windowRoom())) : 1, cb),
        );
      } catch (e) {
        if (this.state !== 'running') break;
        if (!isRetriable(categorizeError(e))) {
          this.fail(e);
          break;
        }
        await sleep(100); // a broker down or a transient error: librdkafka reconnects by itself
        continue;
      }
      let most = 0;
      for (const m of messages) most = Math.max(most, this.accept(m));
      if (messages.length > 0) {
        this.perRecord = most;
        this.pump();
      }
    }
  }

  /** Records to ask for to fetch about `messages` messages: one until a record has been seen. */
  private recordsFor(messages: number): number {
    return this.perRecord === 0 ? 1 : Math.max(1, Math.floor(messages / this.perRecord));
  }

  /**
   * How many more messages the fullest fetching partition's uncommitted window holds: a batch
   * asks for no more, so no window passes maxBuffered (a batch may come from any one partition).
   * At least 1: a full window pauses its partition, and consume keeps being called.
   */
  private windowRoom(): number {
    let room = this.co.maxBuffered;
    for (const p of this.partitions.values()) {
      if (!p.owned || p.pauses.size > 0) continue;
      const left = this.co.maxBuffered - p.offsets.pending;
      if (left < room) room = left;
    }
    return Math.max(1, room);
  }

  /** A fetched record in; how many messages it held (an envelope's count, else 1). */
  private accept(m: DriverMessage): number {
    const logical = isEnvelope(m.headers) ? unpack(m) : undefined;
    const held = logical?.length ?? 1;
    const p = this.partitions.get(partitionKey(m.topic, m.partition));
    if (p === undefined || !p.owned || p.revoking) return held; // fetched before a revoke: its new owner fetches it again
    if (p.pauses.has('due')) return held; // behind a retry record not yet due: fetched again after the seek
    if (this.paths?.stageOf(m.topic) !== undefined && this.notDue(p, m)) return held;
    if (logical) for (const l of logical) this.track(l, p);
    else this.track(m, p);
    return held;
  }

  /** One message (a record, or a logical message of an envelope: several share its offset) into its lane and its partition's offsets. */
  private track(m: DriverMessage, p: Partition): void {
    const w = this.dispatcher.enqueue(m, p);
    // The first offset fetched is where the group's committed offset (or auto.offset.reset) put
    // us: committing it again would say nothing.
    if (p.committed === undefined && p.offsets.mark() === undefined) p.committed = m.offset;
    p.offsets.track(w);
    p.buffered++;
    this.buffered++;
    // A message that stays unfinished holds the mark while later ones finish; all of those are
    // redelivered after a crash. The window from the mark to the newest fetched is capped at
    // maxBuffered per partition, so that redelivery is too.
    if (p.offsets.pending >= this.co.maxBuffered) this.setPaused(p, 'window', true);
  }

  /**
   * A retry record is handled only once due: one that is not yet pauses its partition (consume
   * goes on), seeks it back to the record, and resumes it at the due time. Due times only grow
   * along a retry partition (one delay per topic), so nothing behind it is due earlier. A record
   * whose due time cannot be read is handled now, as a fresh message, and counted; one due later
   * than its topic's delay from now is held for the delay only, and counted.
   */
  private notDue(p: Partition, m: DriverMessage): boolean {
    const now = Date.now();
    let wait: number;
    if (p.dueHeld?.offset === m.offset) {
      // Read again (after its wait, or fetched before the seek): due by the time decided the first time.
      wait = p.dueHeld.until - now;
    } else {
      const due = this.paths!.dueIn(m.topic, headersOf(m.headers), now);
      if (due === undefined || due.clamped) {
        const [name, help] =
          due === undefined
            ? ['consumer_retry_headers_unreadable', 'Retry records whose due time could not be read, handled at once.']
            : ['consumer_retry_due_clamped', "Retry records due later than their topic's delay from now (clock skew or a corrupt header), held for the delay."];
        this.retryMetrics?._counter(name, help, { consumer: this.co.name }).add();
      }
      wait = due?.wait ?? 0;
      p.dueHeld = { offset: m.offset, until: now + wait };
    }
    if (wait <= 0) {
      p.dueHeld = undefined;
      return false;
    }
    this.setPaused(p, 'due', true);
    this.client.seek({ topic: m.topic, partition: m.partition, offset: m.offset }, 0, () => {});
    clearTimeout(p.dueTimer);
    p.dueTimer = setTimeout(() => {
      p.dueTimer = undefined;
      this.setPaused(p, 'due', false);
    }, wait);
    return true;
  }

  /** Librdkafka-pauses or resumes one partition for one reason; its fetching is paused while any reason holds. */
  setPaused(p: Partition, reason: PauseReason, on: boolean): void {
    const before = p.pauses.size > 0;
    if (on) p.pauses.add(reason);
    else p.pauses.delete(reason);
    const after = p.pauses.size > 0;
    if (before === after || !p.owned) return;
    try {
      if (after) this.client.pause([p.toppar]);
      else this.client.resume([p.toppar]);
    } catch {
      // not assigned any more (a revoke in progress): nothing to pause
    }
  }

  private pauseForBuffer(on: boolean): void {
    if (this.pausedForBuffer === on) return;
    this.pausedForBuffer = on;
    for (const p of this.partitions.values()) if (p.owned) this.setPaused(p, 'buffer', on);
  }

  // ---------------------------------------------------------------- handling

  /** Starts ready messages while the limit allows. */
  private pump(): void {
    if (this.state !== 'running') return;
    const b = this.breaker;
    while (this.inflight < this.algorithm.limit) {
      if (b !== undefined && b.state === 'open') break;
      const w = this.dispatcher.next();
      if (w === undefined) break;
      // A half-open breaker starts one probe; the others wait.
      if (b !== undefined && b.state === 'half-open' && !b.allow()) {
        this.dispatcher.unshift(w);
        break;
      }
      const p = w.partition;
      p.buffered--;
      this.buffered--;
      p.inflight++;
      this.inflight++;
      if (this.inflight > this.maxInflight) this.maxInflight = this.inflight;
      w.started = true;
      void this.execute(w, this.inflight);
    }
    // Resume fetching once the buffer has drained to half: not after every message.
    if (this.buffered <= this.co.maxBuffered / 2) {
      if (this.pausedForBuffer) this.pauseForBuffer(false);
      if (this.roomWaiter) {
        const wake = this.roomWaiter;
        this.roomWaiter = undefined;
        wake();
      }
    }
  }

  /** Resolves when the buffer has drained to half, or after `ms`. */
  private roomOrAfter(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => ((this.roomWaiter = undefined), resolve()), ms);
      this.roomWaiter = () => (clearTimeout(timer), resolve());
    });
  }

  private async execute(w: Work, inflight: number): Promise<void> {
    const start = performance.now();
    let dropped = false;
    try {
      const paths = this.paths;
      // A message of a parked key that is not the oldest of its line follows it into the retry path.
      const follow = paths !== undefined && this.co.ordering === 'key' ? paths.follow(w) : undefined;
      if (follow !== undefined) {
        await this.forward(w, follow, new ParkedError(), 'Unknown', paths!.priorAttempts(w));
      } else {
        try {
          await this.handle(w, start);
          paths?.unpark(w);
          if (this.co.perf) {
            const m = w.message;
            this.co.perf.ok(Date.now() - (m.timestamp ?? w.fetchedAt), m.value === null ? 0 : m.value.length);
          }
        } catch (e) {
          if (e !== CANCELLED) this.co.perf?.error();
          if (e === CANCELLED || !this.retrying) throw e;
          dropped = true;
          const route = this.routeOf(w, e);
          if (route === undefined) throw e;
          await this.forward(w, route.route, route.error, route.category, route.attempts);
        }
      }
      if (w.current) {
        w.done = true;
        this.counters?.handled.add();
      } else {
        this.counters?.dropped.add(); // its partition was revoked (or lost) meanwhile: never committed
      }
    } catch (e) {
      dropped = true;
      if (e !== CANCELLED) this.fail(e);
    } finally {
      this.algorithm.update(performance.now() - start, inflight, dropped);
      const p = w.partition;
      p.settled();
      if (p.pauses.has('window') && p.offsets.pending <= this.co.maxBuffered / 2) this.setPaused(p, 'window', false);
      this.inflight--;
      this.dispatcher.finished(w);
      this.pump();
      if (this.inflight === 0 && this.idleWaiters.length) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Calls the handler for `w`, retrying by the policy; throws what the retries end with. */
  private async handle(w: Work, start: number): Promise<void> {
    const handler = this.handler!;
    const attempt = (n: number) => this.attempt(w, n, handler);
    if (this.retryFromStart && this.retrying) {
      await retry((ctx) => attempt(ctx.attempt), this.retryOptions);
      return;
    }
    try {
      // The first attempt: its breaker permit was taken when it started (pump).
      this.decode(w);
      const r = this.recorded(handler(w.message, w));
      if (isThenable(r)) await r;
      this.metrics?.success(1, performance.now() - start);
    } catch (first) {
      if (first === CANCELLED || !this.retrying) throw first;
      await continueAfterFailure((ctx) => attempt(ctx.attempt), this.retryOptions, start, first);
    }
  }

  /** One retry attempt: waits for the breaker to allow it, then calls the handler. */
  private async attempt(w: Work, n: number, handler: Handler): Promise<unknown> {
    w.attempt = n;
    const b = this.breaker;
    if (b !== undefined && n > 0) while (!b.allow()) await b.changed();
    this.decode(w);
    return this.recorded(handler(w.message, w));
  }

  /** The value through options.serializer, once; a CodecError (not retriable) ends the message's attempts. */
  private decode(w: Work): void {
    if (w.message.malformed !== undefined) throw w.message.malformed; // an envelope that could not be read
    const codec = this.co.codec;
    if (codec === undefined || w.decoded) return;
    const m = w.message;
    if (m.value !== null) m.data = codec.deserialize(m.value);
    w.decoded = true;
  }

  /** Reports a handler call's outcome to the breaker (a failure counts when its category can clear). */
  private recorded(r: unknown): unknown {
    const b = this.breaker;
    if (b === undefined) return r;
    if (!isThenable(r)) {
      b.record(false);
      return r;
    }
    return Promise.resolve(r).then(
      (v) => (b.record(false), v),
      (e: unknown) => {
        if (e !== CANCELLED) b.record(isRetriable(categorizeError(e)));
        throw e;
      },
    );
  }

  /** The breaker moved: pause every partition while it is open (consume still runs), resume when it closes. */
  private onBreakerChange(state: BreakerState): void {
    for (const p of this.partitions.values()) if (p.owned) this.setPaused(p, 'breaker', state !== 'closed');
    this.retryMetrics?._counter('consumer_breaker_transitions', 'Circuit breaker transitions, by the state entered.', { consumer: this.co.name, state }).add();
    try {
      this.co.onBreaker?.(state);
    } catch {
      // a callback's failure is not the consumer's
    }
    if (state !== 'open') this.pump();
  }

  /** Where a message whose retries are spent goes, with what to say about it; undefined: nowhere (run() fails). */
  private routeOf(w: Work, e: unknown): { route: Route; error: unknown; category: string; attempts: number } | undefined {
    const paths = this.paths;
    if (paths === undefined) return undefined;
    const cause = e instanceof RetryError ? e.cause : e;
    const category = categorizeError(cause);
    const route = paths.route(w.message.topic, defaultShouldRetry(cause, category));
    if (route === undefined) return undefined;
    return { route, error: cause, category, attempts: paths.priorAttempts(w) + (e instanceof RetryError ? e.attempts : 1) };
  }

  /** Produces `w` to a retry or dead-letter topic and waits for the delivery; `w` is then done here. */
  private async forward(w: Work, route: Route, error: unknown, category: string, attempts: number): Promise<void> {
    const paths = this.paths!;
    const record =
      route.kind === 'retry' ? paths.retryRecord(w, route, error, category, attempts) : paths.deadLetterRecord(w, route.topic, error, category, attempts);
    await this.producer!.send(record);
    if (route.kind === 'retry') {
      if (this.co.ordering === 'key') paths.park(w, route.stage);
      this.retryMetrics
        ?._counter('consumer_retried', 'Messages sent to a retry topic, by the category of their last error.', { consumer: this.co.name, category })
        .add();
    } else {
      paths.unpark(w);
      this.retryMetrics
        ?._counter('consumer_dead_lettered', 'Messages sent to the dead-letter topic, by the category of their last error.', {
          consumer: this.co.name,
          category,
        })
        .add();
      try {
        this.co.onDeadLetter?.(w.message, error);
      } catch {
        // a callback's failure is not the message's
      }
    }
  }

  /** A message's retries ran out (or consuming failed for good): run() rejects once in-flight work is done; nothing from it on is committed. */
  private fail(error: unknown): void {
    this.fatal ??= { error };
    if (this.state === 'running') void this.finish(Infinity);
  }

  // ---------------------------------------------------------------- health

  health(): PartitionHealth[] {
    const out: PartitionHealth[] = [];
    for (const p of this.partitions.values()) if (p.owned) out.push(this.healthOf(p));
    return out;
  }

  private healthOf(p: Partition): PartitionHealth {
    const w = p.offsets.oldest();
    const oldest =
      w === undefined
        ? undefined
        : { offset: w.offset, key: w.message.key === null ? null : w.message.key.toString(), since: w.fetchedAt, attempts: w.started ? w.attempt + 1 : 0 };
    return { topic: p.topic, partition: p.partition, pending: p.offsets.pending, oldest, markMovedAt: p.markMovedAt, stalled: p.stalled };
  }

  /** A partition whose mark has not moved for stallAfter while work is pending is stalled: said once per stall. */
  private checkStalls(): void {
    const now = Date.now();
    for (const p of this.partitions.values()) {
      if (!p.owned) continue;
      const mark = p.offsets.mark();
      if (mark !== p.lastMark || p.offsets.pending === 0) {
        p.lastMark = mark;
        p.markMovedAt = now;
        p.stalled = false;
        continue;
      }
      if (p.stalled || now - p.markMovedAt < this.co.stallAfter) continue;
      p.stalled = true;
      this.retryMetrics
        ?._counter('consumer_stalls', 'Partitions whose low-water mark stopped moving for stallAfter with work pending.', { consumer: this.co.name })
        .add();
      try {
        this.co.onStall?.(this.healthOf(p));
      } catch {
        // a callback's failure is not the consumer's
      }
    }
  }

  // ---------------------------------------------------------------- commits

  /** Commits each owned partition's mark that moved; `only` limits it to some partitions. */
  private commit(sync: boolean, only?: Iterable<Partition>): void {
    const offsets: TopicPartitionOffset[] = [];
    for (const p of only ?? this.partitions.values()) {
      if (!p.owned) continue;
      const mark = p.offsets.mark();
      if (mark === undefined || mark === p.committed) continue;
      offsets.push({ topic: p.topic, partition: p.partition, offset: mark });
      p.committed = mark;
    }
    if (offsets.length === 0) return;
    try {
      if (sync) this.client.commitSync(offsets);
      else this.client.commit(offsets);
    } catch (e) {
      this.onCommitted(e as KafkaError, offsets);
    }
  }

  /** A refused commit is made again at the next interval (unless the partition moved on). */
  private onCommitted(err: KafkaError | undefined | null, offsets: TopicPartitionOffset[] | undefined): void {
    if (!err) return;
    this.counters?.commitFailures.add();
    for (const o of offsets ?? []) {
      const p = this.partitions.get(partitionKey(o.topic, o.partition));
      if (p && p.committed === o.offset) p.committed = undefined;
    }
  }

  // ---------------------------------------------------------------- rebalances

  /** node-rdkafka's rebalance_cb: assign at once; a revoke drains, commits and releases first. */
  onRebalance(err: KafkaError | undefined, assignment: { topic: string; partition: number }[]): void {
    const code = err?.code;
    this.rebalancing = this.rebalancing
      .then(() => (code === ASSIGN ? this.assign(assignment) : code === REVOKE ? this.revoke(assignment) : undefined))
      .catch(() => {});
  }

  /** The group's protocol, read at the first rebalance (the client refuses to say once it is closing). */
  private protocol: string | undefined;

  private get cooperative(): boolean {
    if (this.protocol === undefined) {
      try {
        this.protocol = this.client.rebalanceProtocol();
      } catch {
        return false;
      }
    }
    return this.protocol === 'COOPERATIVE';
  }

  private assign(assignment: { topic: string; partition: number }[]): void {
    const cooperative = this.cooperative;
    for (const tp of assignment) {
      const key = partitionKey(tp.topic, tp.partition);
      const epoch = (this.epochs.get(key) ?? 0) + 1;
      this.epochs.set(key, epoch);
      this.partitions.set(key, new Partition(tp.topic, tp.partition, epoch));
    }
    try {
      if (cooperative) this.client.incrementalAssign(assignment);
      else this.client.assign(assignment);
      // librdkafka keeps a partition's pause flag on its client across a revoke and a later assign
      // (librdkafka issue #1849): one this client paused before losing it would come back paused,
      // with no pause of ours to lift, and never be fetched again. A new assignment starts resumed.
      this.client.resume(assignment);
    } catch {
      return; // disconnecting
    }
    for (const tp of assignment) {
      const p = this.partitions.get(partitionKey(tp.topic, tp.partition))!;
      if (this.pausedForBuffer) this.setPaused(p, 'buffer', true);
      if (this.breaker !== undefined && this.breaker.state !== 'closed') this.setPaused(p, 'breaker', true);
    }
  }

  private async revoke(assignment: { topic: string; partition: number }[]): Promise<void> {
    const cooperative = this.cooperative;
    const revoked: Partition[] = [];
    for (const p of cooperative ? assignment.map((tp) => this.partitions.get(partitionKey(tp.topic, tp.partition))) : this.partitions.values()) {
      if (p === undefined || !p.owned) continue;
      // Start nothing new from it; what it buffered is dropped (its next owner fetches it).
      p.revoking = true;
      this.buffered -= p.buffered;
      p.buffered = 0;
      revoked.push(p);
    }
    if (this.state !== 'closed') {
      await within(Promise.all(revoked.map((p) => p.drained())), this.co.drainTimeout);
      this.commit(true, revoked);
    }
    for (const p of revoked) {
      clearTimeout(p.dueTimer);
      p.owned = false; // results still in flight from it are now late: dropped, never committed
      this.partitions.delete(partitionKey(p.topic, p.partition));
    }
    try {
      if (cooperative) this.client.incrementalUnassign(assignment);
      else this.client.unassign();
    } catch {
      // disconnecting: librdkafka releases them itself
    }
    this.pump();
  }

  // ---------------------------------------------------------------- stopping

  stop(): void {
    if (this.state === 'running') void this.finish(Infinity);
  }

  /** Stops fetching and starting, waits for in-flight work up to `budget` ms, commits; settles run(). */
  private async finish(budget: number): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.roomWaiter?.();
    const deadline = performance.now() + budget;
    await this.fetchLoop;
    await this.idle(deadline - performance.now());
    this.dispatcher.clear();
    clearInterval(this.commitTimer);
    clearInterval(this.stallTimer);
    this.commit(true);
    if (this.fatal) this.runDone?.reject(this.fatal.error);
    else this.runDone?.resolve();
  }

  /** Resolves when nothing is in flight, or after `ms`. */
  private idle(ms: number): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = ms === Infinity ? undefined : setTimeout(resolve, Math.max(0, ms));
      this.idleWaiters.push(() => (clearTimeout(timer), resolve()));
    });
  }

  async close(timeout = 30_000): Promise<void> {
    checkNumber('timeout', timeout, 0);
    if (this.state === 'closed') return;
    const deadline = performance.now() + timeout;
    if (this.state === 'running') {
      await this.finish(timeout);
    } else if (this.state === 'stopping') {
      await within(
        this.runDone?.promise.catch(() => {}),
        timeout,
      );
    }
    this.state = 'closed';
    clearInterval(this.commitTimer);
    clearInterval(this.stallTimer);
    this.breaker?.dispose();
    for (const p of this.partitions.values()) clearTimeout(p.dueTimer);
    await within(
      this.producer?.close(Math.max(0, deadline - performance.now())).catch(() => {}),
      deadline - performance.now(),
    );
    for (const off of this.unregister.splice(0)) off();
    // Whatever is still in flight past the timeout is told to stop; its result will be dropped.
    for (const p of this.partitions.values()) p.owned = false;
    await within(disconnect(this.client), deadline - performance.now());
  }

  // ---------------------------------------------------------------- iteration

  /** One message at a time, in fetch order; a message is done (and committable) when the loop asks for the next. */
  [Symbol.asyncIterator](): AsyncIterator<IncomingMessage> {
    type Result = IteratorResult<IncomingMessage>;
    let waiting: { resolve: (r: Result) => void; reject: (e: unknown) => void } | undefined;
    let queued: { message: IncomingMessage; done: () => void; cancel: () => void } | undefined;
    let current: { done: () => void; cancel: () => void } | undefined;
    let ended: { error: unknown } | undefined;
    const running = this.start(
      (message) =>
        new Promise<void>((done, cancel) => {
          const item = { message, done, cancel: () => cancel(CANCELLED) };
          if (waiting) {
            const w = waiting;
            waiting = undefined;
            current = item;
            w.resolve({ value: message, done: false });
          } else queued = item;
        }),
      true,
    );
    running.then(
      () => (ended = { error: undefined }),
      (error: unknown) => (ended = { error }),
    );
    const finished = (): Promise<Result> => (ended?.error !== undefined ? Promise.reject(ended.error) : Promise.resolve({ value: undefined, done: true }));
    void running.finally(() => {
      if (!waiting) return;
      const w = waiting;
      waiting = undefined;
      void finished().then(w.resolve, w.reject);
    });
    return {
      next: (): Promise<Result> => {
        // The loop asked for the next message: the one it had is handled.
        current?.done();
        current = undefined;
        if (queued) {
          const q = queued;
          queued = undefined;
          if (this.state !== 'running') {
            q.cancel();
            return running.then(finished, finished);
          }
          current = q;
          return Promise.resolve({ value: q.message, done: false });
        }
        if (this.state !== 'running') return running.then(finished, finished);
        return new Promise<Result>((resolve, reject) => (waiting = { resolve, reject }));
      },
      return: async (): Promise<Result> => {
        // The loop ended (break, return, throw) without asking for another: the last message is
        // not taken as handled, and is fetched again by the next consumer of the group.
        current?.cancel();
        queued?.cancel();
        current = queued = undefined;
        this.stop();
        await running.catch(() => {});
        return { value: undefined, done: true };
      },
    };
  }
}
