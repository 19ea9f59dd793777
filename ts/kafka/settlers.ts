// The objects librdkafka carries as a message's `opaque`: each is the message on its way (its
// fields, its place in the producer's in-flight list) and what its delivery report settles: a
// send()'s promise, a retry attempt's promise, or one slot of a sendMany() batch.
import type { Delivery } from './message';
import type { KafkaError } from './driver';

// The resolve of the promise newPromise() made last. One executor shared by every send: an arrow
// per call would be one more function and context per send for the GC to see. A send keeps its
// resolve only, no reject: it rejects by resolving with a Rejection (below), or adopts a retry's
// promise by resolving with it; the reject function dies young (a function fewer per send in flight).
let resolveLast: (value: never) => void = () => {};
const capture = (resolve: (value: never) => void): void => {
  resolveLast = resolve;
};

/** A new promise; its resolve is lastResolve(), read right after. */
export function newPromise<T>(): Promise<T> {
  return new Promise<T>(capture);
}

export function lastResolve<T>(): (value: T) => void {
  return resolveLast as (value: T) => void;
}

/**
 * A thenable that rejects with `error`: a promise resolved with it rejects with that error (one
 * microtask later). Not Promise.reject(error): that would be a rejected promise nobody handles yet.
 */
class Rejection {
  constructor(private readonly error: unknown) {}

  then(_resolve: unknown, reject: (e: unknown) => void): void {
    reject(this.error);
  }
}

/** Rejects the promise `resolve` belongs to. */
export function rejectThrough(resolve: (value: never) => void, error: unknown): void {
  resolve(new Rejection(error) as never);
}

/** A validated message, in the shape produce() takes: the fields an Outgoing copies. */
export type Payload = Pick<Outgoing, 'topic' | 'partition' | 'timestamp' | 'value' | 'key' | 'headers'>;

/** What a settler asks of its producer: metrics for a first attempt, retries after a failure. */
export interface SendRetrier {
  /** `value` undefined: not a logical message (an envelope): the collector counts its messages itself. */
  recordSuccess(start: number, value: Buffer | null | undefined): void;
  /** `observe` false: the collector counts the outcome itself (an envelope's messages). */
  retryAfter(payload: Payload, start: number, error: unknown, observe?: boolean): Promise<Delivery>;
}

/**
 * A message on its way to librdkafka, and librdkafka's `opaque` for it: what it is, and what its
 * delivery report (or a failure before one) settles.
 */
export abstract class Outgoing {
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

  /** Its delivery report, or a failure to produce it; `producer`: the one it was handed to. */
  abstract settle(err: Error | null, delivery: Delivery | undefined, producer: SendRetrier): void;

  /** Rejects it without a retry: the producer closed first. */
  abstract cancel(error: Error): void;

  /** librdkafka has taken it: produce() returned, its bytes copied (RK_MSG_COPY). */
  produced(): void {}

  /** True when its sender no longer wants it sent (the attempt was aborted, the batch failed); it has settled itself. */
  abandoned(_full: KafkaError): boolean {
    return false;
  }
}

/** One produce made by a retry attempt: its delivery report settles the attempt's promise. */
export class Attempt extends Outgoing {
  constructor(
    payload: Payload,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (d: Delivery) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    super(payload);
  }

  cancel(error: Error): void {
    this.reject(error);
  }

  settle(err: Error | null, delivery: Delivery | undefined): void {
    if (err) this.reject(err);
    else this.resolve(delivery!);
  }

  override abandoned(full: KafkaError): boolean {
    if (!this.signal?.aborted) return false;
    this.reject(full); // the engine stopped waiting for this attempt; nothing was sent
    return true;
  }
}

/**
 * The first attempt of one send(): librdkafka's opaque for it, and the settler of its promise. Its
 * producer is not a field (it comes with the report): 8 bytes fewer per send in flight.
 */
export class Send extends Outgoing {
  constructor(
    payload: Payload,
    private readonly resolve: (d: Delivery | Promise<Delivery>) => void,
  ) {
    super(payload);
  }

  settle(err: Error | null, delivery: Delivery | undefined, producer: SendRetrier): void {
    if (err) return this.resolve(producer.retryAfter(this, this.start, err)); // the send's promise follows the retry's
    producer.recordSuccess(this.start, this.value);
    this.resolve(delivery!);
  }

  cancel(error: Error): void {
    rejectThrough(this.resolve, error);
  }
}

/** One sendMany() call: its results in order, settled once. */
export class Batch {
  readonly results: Delivery[];
  private remaining: number;
  failed = false;
  readonly done: Promise<Delivery[]>;
  private resolve!: (d: Delivery[]) => void;
  private reject!: (e: unknown) => void;

  constructor(
    readonly producer: SendRetrier,
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
export class BatchItem extends Outgoing {
  constructor(
    private readonly batch: Batch,
    private readonly index: number,
    payload: Payload,
  ) {
    super(payload);
  }

  settle(err: Error | null, delivery: Delivery | undefined): void {
    if (err) return this.fail(err);
    this.batch.producer.recordSuccess(this.start, this.value);
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
