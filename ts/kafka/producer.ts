// createProducer: send with retries and delivery reports. librdkafka already retries produce
// requests itself (until message.timeout.ms); what this adds is what it lacks: a promise per
// message settled by its delivery report, queue-full backpressure (poll and wait, never drop),
// and a retry policy over final delivery failures that can clear (timed out, leader moved), while
// failures that cannot (message too large, not authorized) fail at once.
import type { MetricsTwin } from '../metrics/twin';
import { continueAfterFailure, retry } from '../retry';
import { checkNumber, checkObject, rangeError, typeError } from '../validate';
import { checkConfig, connectFresh, disconnect, resolveOptions, type KafkaOptions, type ResolvedKafkaOptions } from './client';
import { call, loadDriver, type DeliveryReport, type Driver, type KafkaError, type ProducerClient } from './driver';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducerOptions extends KafkaOptions {
  /** Default 'none'; rejected when the linked librdkafka was built without it. */
  compression?: Compression;
  /** enable.idempotence; default true (retries then never duplicate or reorder). */
  idempotence?: boolean;
  /** How often delivery reports are polled, ms; default 5. */
  pollInterval?: number;
}

export type Headers = Record<string, string | Buffer> | [string, string | Buffer][];

export interface OutgoingMessage {
  topic: string;
  value: Buffer | string | null;
  key?: Buffer | string | null;
  headers?: Headers;
  /** Default: the partitioner picks. */
  partition?: number;
  timestamp?: number;
}

export interface Delivery {
  topic: string;
  partition: number;
  offset: number;
}

export interface VeloProducer {
  send(message: OutgoingMessage): Promise<Delivery>;
  sendMany(messages: readonly OutgoingMessage[]): Promise<Delivery[]>;
  flush(timeout?: number): Promise<void>;
  close(timeout?: number): Promise<void>;
  /** The underlying driver client, for what this façade does not cover. */
  readonly client: ProducerClient;
}

const COMPRESSION: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const QUEUE_FULL = -184;
const TIMED_OUT = -185;

/**
 * A message on its way to librdkafka, and librdkafka's `opaque` for it: what it is, and what its
 * delivery report (or a failure before one) settles.
 */
abstract class Outgoing {
  /** performance.now() when it was first handed over: it waits for room at most message.timeout.ms. */
  readonly start = performance.now();
  /** Neighbours in the producer's list of messages handed to librdkafka and not yet reported on. */
  prev: Outgoing | undefined = undefined;
  next: Outgoing | undefined = undefined;
  // The payload's fields, copied: with hundreds of thousands of messages in flight, one object
  // per message fewer to keep alive is GC time saved (the validated payload itself dies young).
  readonly topic: string;
  readonly partition: number | null;
  readonly timestamp: number | null;
  readonly value: Buffer | null;
  readonly key: Buffer | null;
  readonly headers: Record<string, Buffer | string>[] | undefined;

  constructor(p: Payload) {
    this.topic = p.topic;
    this.partition = p.partition;
    this.timestamp = p.timestamp;
    this.value = p.value;
    this.key = p.key;
    this.headers = p.headers;
  }

  /** Its delivery report, or a failure to produce it. */
  abstract settle(err: KafkaError | null, delivery: Delivery | undefined): void;

  /** Rejects it without a retry: the producer closed first. */
  abstract cancel(error: Error): void;

  /** True when its sender no longer wants it sent (the attempt was aborted, the batch failed); it has settled itself. */
  abandoned(_full: KafkaError): boolean {
    return false;
  }
}

/** One produce made by a retry attempt: its delivery report settles the attempt's promise. */
class Attempt extends Outgoing {
  constructor(
    payload: Payload,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (d: Delivery) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    super(payload);
  }

  settle(err: KafkaError | null, delivery: Delivery | undefined): void {
    if (err) this.reject(err);
    else this.resolve(delivery!);
  }

  cancel(error: Error): void {
    this.reject(error);
  }

  override abandoned(full: KafkaError): boolean {
    if (!this.signal?.aborted) return false;
    this.reject(full); // the engine stopped waiting for this attempt; nothing was sent
    return true;
  }
}

/** Errors of a closed producer: final, so a retry policy does not try again. */
function closedError(code: 'ERR_PRODUCER_CLOSED' | 'ERR_DELIVERY_UNKNOWN', message: string): Error {
  return Object.assign(new Error(`velo-retry/kafka: ${message}`), { code, retriable: false });
}

/** A validated message, in the shape produce() takes: the fields an Outgoing copies. */
type Payload = Pick<Outgoing, 'topic' | 'partition' | 'timestamp' | 'value' | 'key' | 'headers'>;

function checkCompression(driver: Driver, c: unknown): Compression {
  if (c === undefined) return 'none';
  if (typeof c !== 'string' || !COMPRESSION.includes(c as Compression)) {
    throw (typeof c === 'string' ? rangeError : typeError)('options.compression', `one of ${COMPRESSION.join(', ')}`, c);
  }
  if (c !== 'none' && driver.features && !driver.features.includes(c)) {
    throw rangeError('options.compression', `a codec this librdkafka ${driver.librdkafkaVersion ?? ''} was built with (${driver.features.filter((f) => COMPRESSION.includes(f as Compression)).join(', ') || 'none'})`, c);
  }
  return c as Compression;
}

function toBuffer(name: string, v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v);
  throw typeError(name, 'a Buffer, a string or null', v);
}

/**
 * node-rdkafka sends a header value as a C string made from its UTF-8 text: a NUL byte ends it
 * and bytes that are not UTF-8 are replaced. Rather than lose data silently, such values are refused.
 */
function toHeaders(h: Headers | undefined, message: string): Record<string, Buffer | string>[] | undefined {
  if (h === undefined) return undefined;
  if (typeof h !== 'object' || h === null) throw typeError(`${message}.headers`, 'an object or an array of [key, value] pairs', h);
  const entries = Array.isArray(h) ? h : Object.entries(h);
  return entries.map(([k, v]) => {
    if (typeof k !== 'string' || k === '' || k.includes('\0')) throw typeError(`${message}.headers key`, 'a non-empty string without NUL', k);
    const name = `${message}.headers["${k}"]`;
    if (typeof v === 'string') {
      if (v.includes('\0')) throw rangeError(name, 'text without NUL characters (node-rdkafka ends header values at the first NUL)', v);
    } else if (Buffer.isBuffer(v)) {
      if (v.includes(0) || !Buffer.from(v.toString('utf8'), 'utf8').equals(v)) {
        throw rangeError(name, 'UTF-8 bytes without NUL (node-rdkafka sends header values as C strings); base64-encode binary values', v);
      }
    } else {
      throw typeError(name, 'a string or Buffer', v);
    }
    return { [k]: v };
  });
}

/** Validates a message and converts what librdkafka needs; `name` is how errors refer to it. */
function toPayload(m: OutgoingMessage, name = 'message'): Payload {
  checkObject(name, m);
  if (typeof m.topic !== 'string' || m.topic === '') throw typeError(`${name}.topic`, 'a non-empty string', m.topic);
  if (m.partition !== undefined && (!Number.isInteger(m.partition) || m.partition < 0)) throw rangeError(`${name}.partition`, 'an integer >= 0', m.partition);
  return {
    topic: m.topic,
    partition: m.partition ?? null,
    timestamp: m.timestamp ?? null,
    value: toBuffer(`${name}.value`, m.value),
    key: m.key === undefined ? null : toBuffer(`${name}.key`, m.key),
    headers: toHeaders(m.headers, name),
  };
}

export async function createProducer(config: Record<string, unknown>, options: ProducerOptions = {}): Promise<VeloProducer> {
  const base = checkConfig(config);
  const driver = loadDriver(options.driver);
  const resolved = resolveOptions(options, 'createProducer');
  const compression = checkCompression(driver, options.compression);
  const pollInterval = options.pollInterval ?? 5;
  if (!(pollInterval >= 1)) throw rangeError('options.pollInterval', 'a number of ms >= 1', pollInterval);
  const conf = {
    'enable.idempotence': options.idempotence ?? true,
    'compression.codec': compression,
    ...base,
    dr_cb: true,
    event_cb: true,
  };
  const client = await connectFresh(() => new driver.Producer(conf), resolved);
  const messageTimeout = Number(base['message.timeout.ms'] ?? base['delivery.timeout.ms'] ?? 300_000);
  return new Producer(client, resolved, pollInterval, Number.isFinite(messageTimeout) && messageTimeout > 0 ? messageTimeout : 300_000);
}

class Producer implements VeloProducer {
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

  constructor(
    readonly client: ProducerClient,
    private readonly o: ResolvedKafkaOptions,
    pollInterval: number,
    /** ms a message waits for room in a full queue: message.timeout.ms. */
    private readonly queueFullLimit: number,
  ) {
    this.metrics = o.perMessage.metrics?._sink();
    client.setPollInterval(pollInterval);
    client.on('delivery-report', ((err: KafkaError | null, report: DeliveryReport) => {
      const item = report.opaque;
      // Not ours: a message produced directly on `client`.
      if (!(item instanceof Outgoing)) return;
      this.untrack(item);
      item.settle(err, err ? undefined : { topic: report.topic, partition: report.partition, offset: report.offset });
      if (this.waiting > 0 && !this.drainScheduled) {
        this.drainScheduled = true;
        setImmediate(this.drain); // after the rest of this batch of reports: room for many at once
      }
    }) as never);
  }

  send(message: OutgoingMessage): Promise<Delivery> {
    let payload: Payload;
    try {
      this.checkOpen();
      payload = toPayload(message);
    } catch (e) {
      return Promise.reject(e);
    }
    const o = this.o.perMessage;
    // A total timeout or a signal needs the engine from the start.
    if (o.timeout !== undefined || o.signal !== undefined) return retry(({ signal }) => this.produceOnce(payload, signal), o);
    // Otherwise the first attempt is made here, and one object is both librdkafka's opaque and the
    // settler of the send's one promise: with hundreds of thousands of sends in flight, what each
    // keeps alive is what costs (GC), so a send keeps its promise and that one object, no more.
    return new Promise<Delivery>((resolve, reject) => this.handOver(new Send(this, payload, resolve, reject)));
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
  private handOver(item: Outgoing): void {
    if (this.waiting > 0) {
      this.backlog.push(item);
      return;
    }
    try {
      this.produce(item);
    } catch (e) {
      if ((e as KafkaError).code !== QUEUE_FULL) return item.settle(e as KafkaError, undefined);
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
        item.settle(e as KafkaError, undefined);
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
  recordSuccess(start: number): void {
    this.metrics?.success(1, performance.now() - start);
  }

  /** @internal Continues a send whose first attempt failed, as retry() would. */
  retryAfter(payload: Payload, start: number, error: unknown): Promise<Delivery> {
    if (this.closed) return Promise.reject(error); // a closing producer makes no new attempts
    return continueAfterFailure(({ signal }) => this.produceOnce(payload, signal), this.o.perMessage, start, error);
  }

  /** One produce by a retry attempt, settled by its delivery report; it queues for room like any send. */
  private produceOnce(p: Payload, signal: AbortSignal | undefined): Promise<Delivery> {
    return new Promise<Delivery>((resolve, reject) => {
      if (this.closed) reject(closedError('ERR_PRODUCER_CLOSED', 'the producer closed before this retry'));
      else this.handOver(new Attempt(p, signal, resolve, reject));
    });
  }

  private checkOpen(): void {
    if (this.closed) throw closedError('ERR_PRODUCER_CLOSED', 'this producer is closed');
  }

  /**
   * Sends all messages, in order; resolves with their deliveries in the same order, or rejects with
   * the first failure that the retry policy could not clear (messages still waiting for room then
   * are not sent). Every message is validated before any is sent. One small object per message and
   * one promise per batch.
   */
  async sendMany(messages: readonly OutgoingMessage[]): Promise<Delivery[]> {
    if (!Array.isArray(messages)) throw typeError('messages', 'an array of messages', messages);
    this.checkOpen();
    const payloads = messages.map((m, i) => toPayload(m, `messages[${i}]`));
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
    if (this.waiting > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((wake) => this.emptied.push(wake)), new Promise<void>((wake) => (timer = setTimeout(wake, timeout)))]);
      clearTimeout(timer);
      if (this.waiting > 0) {
        throw Object.assign(new Error(`velo-retry/kafka: flush timed out after ${timeout} ms with ${this.waiting} messages still waiting for room in librdkafka's queue`), { code: TIMED_OUT });
      }
    }
    await call<void>((cb) => this.client.flush(Math.max(0, Math.round(deadline - performance.now())), cb));
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
      this.cancelBacklog();
      await disconnect(this.client, 0); // the flush is done or given up; node-rdkafka's own would take 5 s more
      this.cancelInFlight();
    }
  }

  private cancelBacklog(): void {
    const waiting = this.emptyBacklog();
    if (waiting.length === 0) return;
    const error = closedError('ERR_PRODUCER_CLOSED', `the producer closed with ${waiting.length} messages still waiting for room in librdkafka's queue; they were not sent`);
    for (const item of waiting) item.cancel(error);
  }

  /** After disconnect, no delivery report comes for what librdkafka still held. */
  private cancelInFlight(): void {
    if (this.oldest === undefined) return;
    const error = closedError('ERR_DELIVERY_UNKNOWN', 'the producer closed before librdkafka reported on this message: it may or may not have been delivered');
    let item: Outgoing | undefined = this.oldest;
    while (item !== undefined) {
      const next: Outgoing | undefined = item.next;
      item.prev = item.next = undefined;
      item.cancel(error);
      item = next;
    }
    this.oldest = this.newest = undefined;
  }
}

/** The first attempt of one send(): librdkafka's opaque for it, and the settler of its promise. */
class Send extends Outgoing {
  constructor(
    private readonly producer: Producer,
    payload: Payload,
    private readonly resolve: (d: Delivery) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    super(payload);
  }

  settle(err: KafkaError | null, delivery: Delivery | undefined): void {
    if (err) return this.fail(err);
    this.producer.recordSuccess(this.start);
    this.resolve(delivery!);
  }

  fail(error: unknown): void {
    this.producer.retryAfter(this, this.start, error).then(this.resolve, this.reject);
  }

  cancel(error: Error): void {
    this.reject(error);
  }
}

/** One sendMany() call: its results in order, settled once. */
class Batch {
  readonly results: Delivery[];
  private remaining: number;
  failed = false;
  readonly done: Promise<Delivery[]>;
  private resolve!: (d: Delivery[]) => void;
  private reject!: (e: unknown) => void;

  constructor(
    readonly producer: Producer,
    size: number,
  ) {
    this.results = new Array<Delivery>(size);
    this.remaining = size;
    this.done = new Promise<Delivery[]>((resolve, reject) => ((this.resolve = resolve), (this.reject = reject)));
    if (size === 0) this.resolve(this.results);
  }

  delivered(index: number, delivery: Delivery): void {
    this.results[index] = delivery;
    if (--this.remaining === 0 && !this.failed) this.resolve(this.results);
  }

  fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.reject(error);
  }
}

/** One message of a sendMany(): librdkafka's opaque for it. */
class BatchItem extends Outgoing {
  constructor(
    private readonly batch: Batch,
    private readonly index: number,
    payload: Payload,
  ) {
    super(payload);
  }

  settle(err: KafkaError | null, delivery: Delivery | undefined): void {
    if (err) return this.fail(err);
    this.batch.producer.recordSuccess(this.start);
    this.batch.delivered(this.index, delivery!);
  }

  fail(error: unknown): void {
    this.batch.producer.retryAfter(this, this.start, error).then(
      (d) => this.batch.delivered(this.index, d),
      (e) => this.batch.fail(e),
    );
  }

  cancel(error: Error): void {
    this.batch.fail(error);
  }

  /** Once its batch has failed, the messages of it still waiting for room are not sent. */
  override abandoned(): boolean {
    return this.batch.failed;
  }
}
