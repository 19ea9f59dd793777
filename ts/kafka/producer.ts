// createProducer: send with retries and delivery reports. librdkafka already retries produce
// requests itself (until message.timeout.ms); what this adds is what it lacks: a promise per
// message settled by its delivery report, queue-full backpressure (poll and wait, never drop),
// and a retry policy over final delivery failures that can clear (timed out, leader moved), while
// failures that cannot (message too large, not authorized) fail at once.
import { ProducerClosedError, DeliveryUnknownError, FlushTimeoutError } from '../errors';
import type { MetricsTwin } from '../metrics/twin';
import type { BufferPoolStats } from '../pool';
import { continueAfterFailure, retry } from '../retry';
import { checkBoolean, checkNumber, rangeError, typeError } from '../validate';
import { binaryHeadersSupported } from './binary-headers';
import { checkConfig, connectFresh, disconnect, resolveKafkaOptions, splitConfig, type KafkaOptions, type ResolvedKafkaOptions } from './client';
import { call, loadDriver, type DeliveryReport, type KafkaError, type Metadata, type ProducerClient } from './driver';
import { Batcher, checkBatching, checkPartitioner, type BatchingOptions, type EnvelopeSink } from './batching';
import { resolveCodec, type Codec, type SerializerOptions } from './codec';
import { recommendCompression, type CompressionAdvice } from './compression';
import { checkCollector, type PerformanceCollector, type RoleStats } from '../metrics/collector';
import { checkCompression, newPayload, toPayload, type Compression, type Delivery, type OutgoingMessage } from './message';
import { Attempt, Batch, BatchItem, Outgoing, Send, lastResolve, newPromise, type Payload, type SendRetrier } from './settlers';

export type { Compression, Delivery, Headers, OutgoingMessage } from './message';

export interface ProducerOptions extends KafkaOptions, SerializerOptions {
  /**
   * Default 'none'; rejected when the linked librdkafka was built without it. 'auto': chosen by
   * recommendCompression over `samples` (goal `compressionGoal`); the advice is `producer.compressionAdvice`.
   */
  compression?: Compression | 'auto';
  /** Sampled payloads for compression: 'auto' (Buffers or strings; with a serializer, values it encodes). */
  samples?: readonly unknown[];
  /** What compression: 'auto' optimizes; default 'latency'. */
  compressionGoal?: 'latency' | 'bandwidth';
  /**
   * Many logical messages per Kafka record: each send joins the envelope of the partition its key
   * maps to, sent at maxMessages, maxBytes or after linger. See the README's envelope format.
   */
  batching?: BatchingOptions;
  /** enable.idempotence; default true (retries then never duplicate or reorder). */
  idempotence?: boolean;
  /** How often delivery reports are polled, ms; default 5. */
  pollInterval?: number;
  /**
   * Whether the driver sends a Buffer header value as its bytes; default: detected (node-rdkafka
   * patched by velo-retry, or @confluentinc/kafka-javascript). Without, binary header values are refused.
   */
  binaryHeaders?: boolean;
  /** Records each message's send -> delivery latency, bytes, rate and failures (role "producer"). */
  collector?: PerformanceCollector;
}

/** `V`: what a message's value may be (with options.serializer: what its codec takes, e.g. `createProducer<MyEvent>`). */
export interface VeloProducer<V = Buffer | string | null> {
  send(message: OutgoingMessage<V>): Promise<Delivery>;
  sendMany(messages: readonly OutgoingMessage<V>[]): Promise<Delivery[]>;
  flush(timeout?: number): Promise<void>;
  close(timeout?: number): Promise<void>;
  /** The underlying driver client, for what this façade does not cover. */
  readonly client: ProducerClient;
  /** Whether Buffer header values go out as their bytes (see ProducerOptions.binaryHeaders). */
  readonly binaryHeaders: boolean;
  /** The codec in use (compression.codec). */
  readonly compression: Compression;
  /** With compression: 'auto', what recommendCompression measured and why it chose. */
  readonly compressionAdvice: CompressionAdvice | undefined;
  /** With batching: the envelope buffers' pool (misses: envelopes that found no free buffer: raise poolSize). */
  readonly envelopePool: BufferPoolStats | undefined;
}

const QUEUE_FULL = -184;
/** librdkafka's RD_KAFKA_RESP_ERR__MSG_TIMED_OUT: no delivery within message.timeout.ms. */
const MSG_TIMED_OUT = -192;

/**
 * Whether a delivery report's error is librdkafka's message timeout. node-rdkafka 3.x hands a
 * delivery error to JS as its text only (src/callbacks.cc: Nan::Error(errstr)), so its code arrives
 * as -1 and the text, lower-cased by LibrdKafkaError, is what identifies it.
 */
function isMessageTimeout(err: KafkaError): boolean {
  return isLocalError(err, MSG_TIMED_OUT, 'message timed out');
}

/** librdkafka's local error `code`, or node-rdkafka's text-only form of it (code -1, its lower-cased text). */
function isLocalError(err: KafkaError | null | undefined, code: number, text: string): boolean {
  return err?.code === code || (err?.code === -1 && err.origin === 'local' && err.message === text);
}

/**
 * An idempotent producer's message that timed out may already be stored: librdkafka retries it
 * under its sequence number for message.timeout.ms (never twice), but a send of ours after that
 * is a new message, so a retry here would store it twice and out of order (measured on 3 brokers
 * with two down and a 3 s timeout: 531 of 2,000 stored twice, 10 reordered). So it is final, for
 * the caller to decide; message.timeout.ms (default 300 s) is the outage it rides out.
 */
function possiblyDelivered(err: KafkaError): DeliveryUnknownError {
  return new DeliveryUnknownError(`no delivery report within message.timeout.ms (${err.message}); it may have been stored, so it is not sent again`, err);
}
const TIMED_OUT = -185;

export async function createProducer<V = Buffer | string | null>(config: Record<string, unknown>, options: ProducerOptions = {}): Promise<VeloProducer<V>> {
  const base = checkConfig(config);
  const driver = loadDriver(options.driver);
  const resolved = resolveKafkaOptions(options, 'createProducer');
  const codec = resolveCodec(options);
  const batching = checkBatching(options.batching);
  const partitioner = checkPartitioner(batching ? base.partitioner : undefined);
  const advice = autoCompression(options, codec);
  const compression = advice ? advice.recommendation : checkCompression(driver, options.compression);
  const perf = checkCollector(options.collector)?._role('producer');
  const pollInterval = checkNumber('options.pollInterval', options.pollInterval ?? 5, 1, 60_000);
  const conf = {
    'enable.idempotence': options.idempotence ?? true,
    'compression.codec': compression,
    ...base,
    dr_cb: true,
    event_cb: true,
  };
  if (options.binaryHeaders !== undefined) checkBoolean('options.binaryHeaders', options.binaryHeaders);
  const binaryHeaders = options.binaryHeaders ?? binaryHeadersSupported(driver);
  const { global, topic } = splitConfig(conf);
  let metadata: Metadata | undefined;
  const client = await connectFresh(
    () => new driver.Producer(global, topic),
    resolved,
    (md) => (metadata = md),
  );
  const messageTimeout = Number(base['message.timeout.ms'] ?? base['delivery.timeout.ms'] ?? 300_000);
  const idempotent = String(conf['enable.idempotence']) === 'true';
  return new Producer(
    client,
    resolved,
    pollInterval,
    Number.isFinite(messageTimeout) && messageTimeout > 0 ? messageTimeout : 300_000,
    binaryHeaders,
    idempotent,
    codec,
    perf,
    compression,
    advice,
    batching,
    partitioner,
    metadata,
  ) as VeloProducer<V>;
}

/** compression: 'auto': the advice over options.samples (encoded by the codec when they are values). */
function autoCompression(options: ProducerOptions, codec: Codec | undefined): CompressionAdvice | undefined {
  if (options.compression !== 'auto') {
    if (options.samples !== undefined) throw rangeError('options.samples', "given only with compression: 'auto'", options.samples);
    if (options.compressionGoal !== undefined) throw rangeError('options.compressionGoal', "given only with compression: 'auto'", options.compressionGoal);
    return undefined;
  }
  if (!Array.isArray(options.samples) || options.samples.length === 0) {
    throw typeError('options.samples', "a non-empty array of sampled payloads when options.compression is 'auto'", options.samples);
  }
  const goal = options.compressionGoal;
  if (goal !== undefined && goal !== 'latency' && goal !== 'bandwidth')
    throw (typeof goal === 'string' ? rangeError : typeError)('options.compressionGoal', '"latency" or "bandwidth"', goal);
  const samples = codec
    ? options.samples.map((s, i) =>
        Buffer.isBuffer(s) || typeof s === 'string' ? s : toPayload({ topic: 'samples', value: s }, `options.samples[${i}]`, true, codec).value!,
      )
    : (options.samples as (Buffer | string)[]);
  return recommendCompression(samples, { goal: options.compressionGoal, driver: options.driver });
}

class Producer implements VeloProducer, SendRetrier, EnvelopeSink {
  /** options.batching: logical messages go out in envelopes. */
  private readonly batcher: Batcher | undefined;
  /**
   * Messages waiting for room in librdkafka's queue, oldest first from `head`. While any wait, new
   * ones queue behind them, so a full queue never reorders sends. They go out in order as delivery
   * reports free room: one drain per batch of reports, not one wake-up per waiting message.
   */
  private backlog: Outgoing[] = [];
  private head = 0;
  private drainScheduled = false;
  /** Serves delivery reports and drains when no report has come for a while. */
  private drainTimer: NodeJS.Timeout | undefined;
  /** The last queue-full error: what a message fails with after waiting message.timeout.ms for room. */
  private full: KafkaError | undefined;
  /** Woken when the backlog empties (flush and close wait for it). */
  private emptied: (() => void)[] = [];
  /** Handed to librdkafka, no delivery report yet: oldest to newest, linked through the messages. */
  private oldest: Outgoing | undefined;
  private newest: Outgoing | undefined;
  private closed = false;
  private readonly metrics: MetricsTwin | undefined;
  /** What send() validates a message into when its fields are copied at once (a Send, the batcher): toPayload's `into`. */
  private readonly scratch = newPayload();

  constructor(
    readonly client: ProducerClient,
    private readonly o: ResolvedKafkaOptions,
    pollInterval: number,
    /** ms a message waits for room in a full queue: message.timeout.ms. */
    private readonly queueFullLimit: number,
    /** The driver sends Buffer header values as their bytes. */
    readonly binaryHeaders: boolean,
    /** enable.idempotence: a timed-out message is then not sent again (see possiblyDelivered). */
    private readonly idempotent: boolean,
    /** options.serializer: what values go through; undefined: Buffers and strings as they are. */
    private readonly codec: Codec | undefined,
    /** options.collector's producer figures. */
    private readonly perf: RoleStats | undefined,
    readonly compression: Compression,
    readonly compressionAdvice: CompressionAdvice | undefined,
    batching: ConstructorParameters<typeof Batcher>[1] | undefined,
    partitioner: ConstructorParameters<typeof Batcher>[2],
    /** What it connected with: the batcher's partition counts of the topics there then. */
    metadata: Metadata | undefined,
  ) {
    this.metrics = o.perMessage.metrics?._sink();
    this.batcher = batching && new Batcher(this, batching, partitioner, perf);
    this.batcher?.knowCounts(metadata);
    client.setPollInterval(pollInterval);
    client.on('delivery-report', ((err: KafkaError | null, report: DeliveryReport) => {
      const item = report.opaque;
      // Not ours: a message produced directly on `client`.
      if (!(item instanceof Outgoing)) return;
      this.untrack(item);
      item.settle(
        err && this.idempotent && isMessageTimeout(err) ? possiblyDelivered(err) : err,
        err ? undefined : { topic: report.topic, partition: report.partition, offset: report.offset },
        this,
      );
      if (this.waiting > 0 && !this.drainScheduled) {
        this.drainScheduled = true;
        setImmediate(this.drain); // after the rest of this batch of reports: room for many at once
      }
    }) as never);
  }

  send(message: OutgoingMessage<unknown>): Promise<Delivery> {
    const o = this.o.perMessage;
    // A total timeout or a signal needs the engine from the start (which keeps the payload).
    const engine = o.timeout !== undefined || o.signal !== undefined;
    let payload: Payload;
    try {
      this.checkOpen();
      payload = toPayload(message, 'message', this.binaryHeaders, this.codec, engine && !this.batcher ? newPayload() : this.scratch);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.batcher) return this.batcher.add(payload);
    if (engine) {
      const sent = retry(({ signal }) => this.produceOnce(payload, signal), o);
      return this.perf ? this.observed(sent, performance.now(), payload.value) : sent;
    }
    // Otherwise the first attempt is made here, and one object is both librdkafka's opaque and the
    // settler of the send's one promise: with hundreds of thousands of sends in flight, what each
    // keeps alive is what costs (GC), so a send keeps its promise and that one object, no more.
    const promise = newPromise<Delivery>();
    this.handOver(new Send(payload, lastResolve())); // copies the scratch payload's fields
    return promise;
  }

  /** Hands one message to librdkafka, which reports on it later. Throws as produce() does. */
  private produce(item: Outgoing): void {
    this.track(item);
    try {
      this.client.produce(item.topic, item.partition, item.value, item.key, item.timestamp, item, item.headers);
    } catch (e) {
      this.untrack(item);
      throw e;
    }
    item.produced();
  }

  private track(item: Outgoing): void {
    item.prev = this.newest;
    if (this.newest) this.newest.next = item;
    else this.oldest = item;
    this.newest = item;
  }

  private untrack(item: Outgoing): void {
    if (item.prev) item.prev.next = item.next;
    else this.oldest = item.next;
    if (item.next) item.next.prev = item.prev;
    else this.newest = item.prev;
    item.prev = item.next = undefined;
  }

  /** Produces a message now, or queues it behind those waiting for room. A failure settles it. */
  /** @internal Produces a message now, or queues it behind those waiting for room (the batcher's way in too). */
  handOver(item: Outgoing): void {
    if (this.waiting > 0) {
      this.backlog.push(item);
      return;
    }
    try {
      this.produce(item);
    } catch (e) {
      if ((e as KafkaError).code !== QUEUE_FULL) return item.settle(e as KafkaError, undefined, this);
      this.full = e as KafkaError;
      this.backlog.push(item);
      this.waitForRoom();
    }
  }

  /**
   * Produces waiting messages in order until the queue is full again. A full queue is backpressure
   * (nothing was enqueued); a message that has waited message.timeout.ms (librdkafka's own bound on
   * a delivery) fails with the queue-full error, and the retry policy decides.
   */
  private readonly drain = (): void => {
    this.drainScheduled = false;
    const q = this.backlog;
    const now = performance.now();
    let i = this.head;
    for (; i < q.length; i++) {
      const item = q[i]!;
      if (item.abandoned(this.full!)) continue;
      try {
        this.produce(item);
      } catch (e) {
        const full = (e as KafkaError).code === QUEUE_FULL;
        if (full) this.full = e as KafkaError;
        if (full && now - item.start <= this.queueFullLimit) break;
        item.settle(e as KafkaError, undefined, this);
      }
    }
    if (i === q.length) {
      this.emptyBacklog();
      return;
    }
    // Drop what went out once it is most of the array: amortized O(1) per message.
    if (i * 2 > q.length) {
      this.backlog = q.slice(i);
      this.head = 0;
    } else {
      this.head = i;
    }
    this.waitForRoom();
  };

  /** Messages in the backlog. */
  private get waiting(): number {
    return this.backlog.length - this.head;
  }

  /** Empties the backlog, stops its timer, and wakes whoever waits for that; returns what was in it. */
  private emptyBacklog(): Outgoing[] {
    const left = this.backlog.slice(this.head);
    this.backlog = [];
    this.head = 0;
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    for (const wake of this.emptied.splice(0)) wake();
    return left;
  }

  /** Serves delivery reports now, and drains in 50 ms even if none frees room. */
  private waitForRoom(): void {
    this.client.poll();
    if (this.drainTimer !== undefined) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.drain();
    }, 50);
  }

  /** @internal A first attempt succeeded. */
  recordSuccess(start: number, value: Buffer | null | undefined): void {
    this.metrics?.success(1, performance.now() - start);
    if (value !== undefined) this.perf?.ok(performance.now() - start, value === null ? 0 : value.length);
  }

  /** A send's outcome into the collector: delivered (latency, bytes) or failed for good. */
  private observed(sent: Promise<Delivery>, start: number, value: Buffer | null): Promise<Delivery> {
    const perf = this.perf!;
    return sent.then(
      (d) => (perf.ok(performance.now() - start, value === null ? 0 : value.length), d),
      (e: unknown) => {
        perf.error();
        throw e;
      },
    );
  }

  /** @internal Continues a send whose first attempt failed, as retry() would. */
  retryAfter(payload: Payload, start: number, error: unknown, observe = true): Promise<Delivery> {
    if (this.closed) return Promise.reject(error); // a closing producer makes no new attempts
    const sent = continueAfterFailure(({ signal }) => this.produceOnce(payload, signal), this.o.perMessage, start, error);
    return this.perf && observe ? this.observed(sent, start, payload.value) : sent;
  }

  /** @internal A topic's partition count (the batcher maps keys to partitions as librdkafka does). */
  async partitions(topic: string): Promise<number> {
    return retry(async () => {
      const md = await call<Metadata>((cb) => this.client.getMetadata({ topic, timeout: 5_000 }, cb));
      const n = md.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
      if (n === 0) throw Object.assign(new Error(`Broker: Unknown topic or partition (${topic}: no partitions in the metadata)`), { code: 3 });
      return n;
    }, this.o.perMessage);
  }

  /** One produce by a retry attempt, settled by its delivery report; it queues for room like any send. */
  private produceOnce(p: Payload, signal: AbortSignal | undefined): Promise<Delivery> {
    return new Promise<Delivery>((resolve, reject) => {
      if (this.closed) reject(new ProducerClosedError('the producer closed before this retry'));
      else this.handOver(new Attempt(p, signal, resolve, reject));
    });
  }

  get envelopePool(): BufferPoolStats | undefined {
    return this.batcher?.pool.stats();
  }

  private checkOpen(): void {
    if (this.closed) throw new ProducerClosedError('this producer is closed');
  }

  /**
   * Sends all messages, in order; resolves with their deliveries in the same order, or rejects with
   * the first failure that the retry policy could not clear (messages still waiting for room then
   * are not sent). Every message is validated before any is sent. One small object per message and
   * one promise per batch.
   */
  async sendMany(messages: readonly OutgoingMessage<unknown>[]): Promise<Delivery[]> {
    if (!Array.isArray(messages)) throw typeError('messages', 'an array of messages', messages);
    this.checkOpen();
    const payloads = messages.map((m, i) => toPayload(m, `messages[${i}]`, this.binaryHeaders, this.codec));
    if (this.batcher) return this.batcher.addMany(payloads);
    const o = this.o.perMessage;
    if (o.timeout !== undefined || o.signal !== undefined) return Promise.all(payloads.map((p) => retry(({ signal }) => this.produceOnce(p, signal), o)));
    const batch = new Batch(this, payloads.length);
    for (let i = 0; i < payloads.length && !batch.failed; i++) this.handOver(new BatchItem(batch, i, payloads[i]!));
    return batch.done;
  }

  /** Waits for messages still waiting for room to be handed over, then for librdkafka to deliver everything. */
  async flush(timeout = 30_000): Promise<void> {
    checkNumber('timeout', timeout, 0);
    const deadline = performance.now() + timeout;
    if (this.batcher) {
      // Envelopes waiting for more go out now; sends still waiting for their topic's partition count are placed first.
      while (this.batcher.unplaced > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      this.batcher.flushAll();
    }
    if (this.waiting > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((wake) => this.emptied.push(wake)), new Promise<void>((wake) => (timer = setTimeout(wake, timeout)))]);
      clearTimeout(timer);
      if (this.waiting > 0) {
        throw new FlushTimeoutError(`flush timed out after ${timeout} ms with ${this.waiting} messages still waiting for room in librdkafka's queue`);
      }
    }
    const left = Math.max(0, Math.round(deadline - performance.now()));
    await call<unknown>((cb) => this.client.flush(left, cb)).catch((e: unknown) => {
      // librdkafka's own timeout (-185; node-rdkafka 3.x hands flush errors over as text, code -1,
      // "timed out"): the same condition as a backlog that did not drain, so the same error.
      if (!isLocalError(e as KafkaError | null, TIMED_OUT, 'timed out')) throw e;
      throw new FlushTimeoutError(`flush timed out after ${timeout} ms with messages librdkafka has not delivered yet`, e);
    });
  }

  /**
   * Flushes for at most `timeout` ms (the backlog included), then disconnects. Every send settles:
   * a message still waiting for room was never handed to librdkafka and rejects with
   * ERR_PRODUCER_CLOSED; one librdkafka has not reported on rejects with ERR_DELIVERY_UNKNOWN
   * (it may have reached the broker). A failure while closing is final: no retry.
   */
  async close(timeout = 30_000): Promise<void> {
    checkNumber('timeout', timeout, 0);
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush(timeout);
    } finally {
      this.batcher?.abandon(new ProducerClosedError('the producer closed before this message joined an envelope; it was not sent'));
      this.cancelBacklog();
      await disconnect(this.client, 0); // the flush is done or given up; node-rdkafka's own would take 5 s more
      this.cancelInFlight();
    }
  }

  private cancelBacklog(): void {
    const waiting = this.emptyBacklog();
    if (waiting.length === 0) return;
    const error = new ProducerClosedError(
      `the producer closed with ${waiting.length} messages still waiting for room in librdkafka's queue; they were not sent`,
    );
    for (const item of waiting) this.cancel(item, error);
  }

  /** Rejects a message at close; a retry's attempt is counted by the collector where its send ends (observed). */
  private cancel(item: Outgoing, error: Error): void {
    item.cancel(error);
    if (!(item instanceof Attempt)) this.perf?.error();
  }

  /** After disconnect, no delivery report comes for what librdkafka still held. */
  private cancelInFlight(): void {
    if (this.oldest === undefined) return;
    const error = new DeliveryUnknownError('the producer closed before librdkafka reported on this message: it may or may not have been delivered');
    let item: Outgoing | undefined = this.oldest;
    while (item !== undefined) {
      const next: Outgoing | undefined = item.next;
      item.prev = item.next = undefined;
      this.cancel(item, error);
      item = next;
    }
    this.oldest = this.newest = undefined;
  }
}
