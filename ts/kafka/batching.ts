// Batching envelopes on the producer: `send()` of a logical message joins the envelope for the
// partition its key maps to (the same partitioner librdkafka applies to plain records, so a key
// lands where it would anyway and its order holds); an envelope goes out as one Kafka record when
// it holds maxMessages, reaches maxBytes, or has waited `linger`. Envelopes are encoded into
// buffers from a BufferPool: no allocation of ours per message. Each logical send settles with
// its envelope's delivery report and its index in it.
import { crc32 } from 'node:zlib';
import { durationField, type Duration } from '../backoff';
import { BufferPool } from '../pool';
import { checkNumber, checkObject, rangeError } from '../validate';
import { ENVELOPE_HEADER, PREAMBLE, envelopeTwins, messageSize, type EnvelopeColumns } from '../envelope';
import type { RoleStats } from '../metrics/collector';
import { newPayload, type Delivery } from './message';
import type { Metadata } from './driver';
import { Batch, Outgoing, lastResolve, newPromise, rejectThrough, type Payload, type SendRetrier } from './settlers';

export interface BatchingOptions {
  /** Logical messages per envelope at most; default 100. */
  maxMessages?: number;
  /** Encoded envelope bytes at most (keep it under the topic's max.message.bytes); default 262,144. */
  maxBytes?: number;
  /** How long a partly filled envelope waits for more (ms or "5ms"); default 5 ms. */
  linger?: Duration;
  /** Pooled buffers of maxBytes each (a buffer is back once librdkafka copied it; envelopes waiting for room beyond it use fresh ones); default 8. */
  poolSize?: number;
}

export interface ResolvedBatching {
  maxMessages: number;
  maxBytes: number;
  linger: number;
  poolSize: number;
}

export function checkBatching(b: unknown): ResolvedBatching | undefined {
  if (b === undefined) return undefined;
  checkObject('options.batching', b);
  const o = b as BatchingOptions;
  for (const k of Object.keys(o)) {
    if (!['maxMessages', 'maxBytes', 'linger', 'poolSize'].includes(k))
      throw rangeError('options.batching', 'an object of maxMessages, maxBytes, linger, poolSize', `key ${k}`);
  }
  return {
    maxMessages: checkNumber('options.batching.maxMessages', o.maxMessages ?? 100, 1, 1_000_000, true),
    maxBytes: checkNumber('options.batching.maxBytes', o.maxBytes ?? 262_144, 64, 1 << 30, true),
    linger: durationField('options.batching.linger', o.linger, 5),
    poolSize: checkNumber('options.batching.poolSize', o.poolSize ?? 8, 1, 65_536, true),
  };
}

/** What a batched send resolves with: its envelope's delivery, and where it sits in it. */
export interface BatchedDelivery extends Delivery {
  batch: { id: bigint; index: number; count: number };
}

// librdkafka's partitioners (rdkafka_msg.c), for the ones a key decides.
const PARTITIONERS = ['consistent_random', 'consistent', 'murmur2_random', 'murmur2', 'random'] as const;
type Partitioner = (typeof PARTITIONERS)[number];

/** Kafka's murmur2 (the Java client's DefaultPartitioner, librdkafka's murmur2): seed 0x9747b28c. */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  let i = 0;
  for (; i + 4 <= data.length; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (data.length - i) {
    case 3:
      h ^= data[i + 2]! << 16;
    // falls through
    case 2:
      h ^= data[i + 1]! << 8;
    // falls through
    case 1:
      h ^= data[i]!;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

/** The partition librdkafka's `partitioner` gives `key` among `count`; undefined: random (no key). */
export function partitionFor(partitioner: Partitioner, key: Buffer | null, count: number): number | undefined {
  if (partitioner === 'random') return undefined;
  if (key === null) {
    if (partitioner.endsWith('_random')) return undefined;
    key = Buffer.alloc(0);
  }
  const hash = partitioner.startsWith('murmur2') ? murmur2(key) & 0x7fffffff : crc32(key);
  return hash % count;
}

export function checkPartitioner(value: unknown): Partitioner {
  const p = value ?? 'consistent_random';
  if (!PARTITIONERS.includes(p as Partitioner)) {
    throw rangeError('config.partitioner', `with batching, one of ${PARTITIONERS.join(', ')} (the partition is chosen before librdkafka sees the message)`, p);
  }
  return p as Partitioner;
}

/** What the batcher needs of its producer. */
export interface EnvelopeSink extends SendRetrier {
  handOver(item: Outgoing): void;
  partitions(topic: string): Promise<number>;
}

/** A sendMany()'s Batch (settlers.ts): one owner for the whole call, no promise per message. */
export interface EnvelopeOwner {
  delivered(slot: number, d: BatchedDelivery): void;
  fail(error: unknown): void;
}

/**
 * Who a logical message's outcome goes to: a send()'s resolve (it rejects through it too), or a
 * sendMany()'s Batch with the message's index in `slots`. (Not an object per send pairing them:
 * with 200,000 sends in flight each object kept is GC time, bench row "GC runs".)
 */
type Owner = EnvelopeOwner | ((d: BatchedDelivery) => void);

function deliver(owner: Owner, slot: number, d: BatchedDelivery): void {
  if (typeof owner === 'function') owner(d);
  else owner.delivered(slot, d);
}

function reject(owner: Owner, error: unknown): void {
  if (typeof owner === 'function') rejectThrough(owner, error);
  else owner.fail(error);
}

/**
 * An envelope being filled, then on its way: its messages, field by field (what the encoder reads,
 * and encodes again for a retry), and who each one's outcome goes to. Columns, not the validated
 * payloads: a payload kept to the delivery was 72 of the 280 bytes a batched send kept alive, and
 * 1.1x the GC work (measured: 200,000 sends in flight). The arrays are made at their expected size
 * (a pushed array grows by copies: 4 copies each for 100 messages) and trimmed to `count` when it
 * goes out.
 */
interface Pending extends EnvelopeColumns {
  readonly topic: string;
  readonly partition: number;
  /** Its topic's state (the batcher's), where it sits while being filled. */
  readonly t: TopicState;
  readonly keys: (Buffer | null)[];
  readonly values: (Buffer | null)[];
  readonly headers: (Record<string, Buffer | string>[] | undefined)[];
  readonly starts: number[];
  readonly owners: Owner[];
  readonly slots: number[];
  count: number;
  bytes: number;
  timer: NodeJS.Timeout | undefined;
}

/** A send waiting for its topic's partition count. */
interface Unplaced {
  readonly p: Payload;
  readonly start: number;
  readonly owner: Owner;
  readonly slot: number;
}

/** What the batcher knows of one topic: everything a send to it looks up, in one place. */
interface TopicState {
  /** Its partition count, once known. */
  count: number | undefined;
  /** Sends waiting, in order, for the count (undefined: none); set while the count is asked for. */
  waiting: Unplaced[] | undefined;
  /** Envelopes being filled, by partition. */
  readonly pending: (Pending | undefined)[];
  /** Where keyless messages go (one envelope partition, moved on after each envelope); undefined: not chosen yet. */
  sticky: number | undefined;
}

export class Batcher {
  /** Each topic's state. A producer sends to few topics, mostly the one it sent to last: */
  private readonly topics = new Map<string, TopicState>();
  /** the state of the topic found last, and its name (one compare per send, not a Map lookup per field). */
  private lastState: TopicState | undefined;
  private lastTopic = '';
  readonly pool: BufferPool;
  private readonly idHigh = (Math.random() * 0x1_0000_0000) >>> 0;
  private idLow = 0;

  constructor(
    readonly sink: EnvelopeSink,
    private readonly o: ResolvedBatching,
    private readonly partitioner: Partitioner,
    readonly perf: RoleStats | undefined,
  ) {
    this.pool = new BufferPool({ capacity: o.poolSize, bufferSize: o.maxBytes });
  }

  /** Partition counts known already (the metadata the producer connected with): no wait for them. */
  knowCounts(md: Metadata | undefined): void {
    for (const t of md?.topics ?? []) {
      const state = this.state(t.name);
      if (t.partitions.length > 0 && state.count === undefined) state.count = t.partitions.length;
    }
  }

  /** `topic`'s state, made on first use. */
  private state(topic: string): TopicState {
    if (topic === this.lastTopic && this.lastState !== undefined) return this.lastState;
    let t = this.topics.get(topic);
    if (t === undefined) this.topics.set(topic, (t = { count: undefined, waiting: undefined, pending: [], sticky: undefined }));
    this.lastTopic = topic;
    return (this.lastState = t);
  }

  /** A logical message joins its envelope; resolves with the envelope's delivery. */
  add(p: Payload): Promise<BatchedDelivery> {
    const promise = newPromise<BatchedDelivery>();
    this.join(p, lastResolve(), 0);
    return promise;
  }

  /** Logical messages join their envelopes, in order; one promise for all (no promise per message). */
  addMany(payloads: readonly Payload[]): Promise<BatchedDelivery[]> {
    // sendMany's own settler (settlers.ts): results by index, resolved once all are in, rejected at the first failure.
    const owner = new Batch(this.sink, payloads.length);
    for (let i = 0; i < payloads.length; i++) this.join(payloads[i]!, owner, i);
    return owner.done as Promise<BatchedDelivery[]>;
  }

  private join(p: Payload, owner: Owner, slot: number): void {
    const start = this.perf ? performance.now() : 0; // only the collector reads it (a clock read is ~95 ns)
    const t = this.state(p.topic);
    if (t.count !== undefined && t.waiting === undefined) this.place(p, t, start, owner, slot);
    else this.whenCounted(p, t, start, owner, slot);
  }

  /**
   * The first sends to a topic wait, in order, for its partition count: with a copy of their
   * payload (a send()'s is the producer's scratch, refilled by the next send; place() copies at once).
   */
  private whenCounted(payload: Payload, t: TopicState, start: number, owner: Owner, slot: number): void {
    const p = Object.assign(newPayload(), payload);
    if (t.waiting) {
      t.waiting.push({ p, start, owner, slot });
      return;
    }
    t.waiting = [{ p, start, owner, slot }];
    this.sink.partitions(p.topic).then(
      (n) => {
        t.count = n;
        const waiting = t.waiting ?? [];
        t.waiting = undefined;
        for (const w of waiting) this.place(w.p, t, w.start, w.owner, w.slot);
      },
      (e: unknown) => {
        const waiting = t.waiting ?? [];
        t.waiting = undefined;
        for (const w of waiting) {
          this.perf?.error();
          reject(w.owner, e);
        }
      },
    );
  }

  /** A send to a topic whose partition count is known (`t.count`) joins the envelope of its partition. */
  private place(p: Payload, t: TopicState, start: number, owner: Owner, slot: number): void {
    if (this.rejectUnplaced) return reject(owner, this.rejectUnplaced);
    const count = t.count!;
    let partition = p.partition ?? partitionFor(this.partitioner, p.key, count);
    if (partition === undefined) partition = t.sticky ??= Math.floor(Math.random() * count);
    const size = messageSize(p);
    let e = t.pending[partition];
    if (e !== undefined && e.bytes + size > this.o.maxBytes) {
      this.flush(e);
      e = undefined;
    }
    if (e === undefined) {
      // Expected: as many as the last envelope here held (a full one under load), at least 8.
      const expect = Math.max(8, Math.min(this.o.maxMessages, this.lastCount, 4096));
      e = {
        topic: p.topic,
        partition,
        t,
        keys: new Array<Buffer | null>(expect),
        values: new Array<Buffer | null>(expect),
        headers: new Array<Record<string, Buffer | string>[] | undefined>(expect),
        starts: new Array<number>(expect),
        owners: new Array<Owner>(expect),
        slots: new Array<number>(expect),
        count: 0,
        bytes: PREAMBLE,
        timer: undefined,
      };
      t.pending[partition] = e;
      const pending = e;
      e.timer = setTimeout(() => this.flush(pending), this.o.linger);
    }
    const i = e.count++;
    e.keys[i] = p.key;
    e.values[i] = p.value;
    e.headers[i] = p.headers;
    e.starts[i] = start;
    e.owners[i] = owner;
    e.slots[i] = slot;
    e.bytes += size;
    if (e.count >= this.o.maxMessages || e.bytes >= this.o.maxBytes) this.flush(e);
  }

  /** How many messages the last envelope sent held. */
  private lastCount = 8;

  /** Every envelope waiting for more goes out now (flush, close). */
  flushAll(): void {
    for (const t of this.topics.values()) for (const e of t.pending) if (e !== undefined) this.flush(e);
  }

  /** Logical messages still waiting for their topic's partition count. */
  get unplaced(): number {
    let n = 0;
    for (const t of this.topics.values()) n += t.waiting?.length ?? 0;
    return n;
  }

  /** The producer closed: what was never handed over rejects with `error`. */
  abandon(error: Error): void {
    for (const t of this.topics.values()) {
      for (const e of t.pending.splice(0)) {
        if (e === undefined) continue;
        clearTimeout(e.timer);
        for (let i = 0; i < e.count; i++) {
          this.perf?.error();
          reject(e.owners[i]!, error);
        }
      }
      for (const w of t.waiting?.splice(0) ?? []) {
        this.perf?.error();
        reject(w.owner, error);
      }
    }
    this.rejectUnplaced = error;
  }

  /** Set once abandoned: a send placed after that rejects with it. */
  private rejectUnplaced: Error | undefined;

  private flush(e: Pending): void {
    clearTimeout(e.timer);
    const t = e.t;
    if (t.pending[e.partition] === e) t.pending[e.partition] = undefined;
    if (e.count === 0) return;
    for (const a of [e.keys, e.values, e.headers, e.starts, e.owners, e.slots]) a.length = e.count;
    this.lastCount = e.count;
    // Keyless messages move on to the next partition after each envelope of theirs, keyed messages in it
    // or not (moving on only after an all-keyless one kept mixed traffic's keyless messages on one partition).
    if (t.sticky === e.partition) t.sticky = (e.partition + 1) % (t.count ?? 1);
    const size = e.bytes; // the preamble and each message's size, summed as they joined
    // A pooled buffer when one is free and big enough; else one of the envelope's own size (a pool
    // miss would allocate a whole maxBytes buffer for it).
    const pooled = size <= this.pool.bufferSize && this.pool.available > 0 ? this.pool.get() : undefined;
    this.idLow = (this.idLow + 1) >>> 0;
    const timestamp = Date.now();
    const value = this.encode(pooled ?? Buffer.allocUnsafe(size), e, this.idLow, timestamp);
    this.sink.handOver(new EnvelopeItem(this, e, value, pooled, this.idLow, timestamp));
  }

  /** An envelope's bytes, written at the start of `target`. */
  encode(target: Buffer, e: Pending, idLow: number, timestamp: number): Buffer {
    return target.subarray(0, envelopeTwins.encodeInto(target, this.idHigh, idLow, timestamp, e));
  }

  /** An envelope's 64-bit id. */
  id(idLow: number): bigint {
    return (BigInt(this.idHigh) << 32n) | BigInt(idLow);
  }
}

const HEADERS = [{ [ENVELOPE_HEADER]: '1' }];

/**
 * One envelope on its way: librdkafka's opaque for it. node-rdkafka produces with RK_MSG_COPY
 * (src/producer.cc): librdkafka copies the value before produce() returns, so the pooled buffer
 * goes back to the pool right then (`produced`), and one buffer serves envelope after envelope.
 * A retry after a final failure (rare: librdkafka retries by itself first) encodes the envelope
 * again, the same bytes, from its messages.
 */
export class EnvelopeItem extends Outgoing {
  private settled = false;

  constructor(
    private readonly batcher: Batcher,
    private readonly e: Pending,
    value: Buffer,
    /** The pool's buffer `value` is in, until librdkafka has copied it. */
    private pooled: Buffer | undefined,
    private readonly idLow: number,
    timestamp: number,
  ) {
    super({ topic: e.topic, partition: e.partition, timestamp, key: null, value, headers: HEADERS });
  }

  override produced(): void {
    this.release();
  }

  settle(err: Error | null, delivery: Delivery | undefined): void {
    if (!err) {
      this.batcher.sink.recordSuccess(this.start, undefined); // a first attempt's success (a retry's is the engine's to count)
      return this.delivered(delivery!);
    }
    this.batcher.sink.retryAfter(this.again(), this.start, err, false).then(
      (d) => this.delivered(d),
      (error: unknown) => this.failed(error),
    );
  }

  /** What a retry produces: this envelope, its bytes encoded again if its buffer went back to the pool. */
  private again(): Payload {
    if (!this.released) return this;
    const value = this.batcher.encode(Buffer.allocUnsafe(this.e.bytes), this.e, this.idLow, this.timestamp!);
    return { topic: this.topic, partition: this.partition, timestamp: this.timestamp, key: null, value, headers: HEADERS };
  }

  cancel(error: Error): void {
    this.failed(error);
  }

  private delivered(d: Delivery): void {
    if (this.settled) return;
    this.settled = true;
    const { owners, slots, starts, values, count } = this.e;
    const perf = this.batcher.perf;
    const now = performance.now();
    const id = this.batcher.id(this.idLow);
    if (perf) {
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        perf.took(now - starts[i]!);
        bytes += values[i]?.length ?? 0;
      }
      perf.okMany(count, bytes);
    }
    for (let i = 0; i < count; i++) {
      deliver(owners[i]!, slots[i]!, { topic: d.topic, partition: d.partition, offset: d.offset, batch: { id, index: i, count } });
    }
    this.release();
  }

  private failed(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    for (let i = 0; i < this.e.count; i++) {
      this.batcher.perf?.error();
      reject(this.e.owners[i]!, error);
    }
    this.release();
  }

  /** Whether its pooled buffer went back (it may hold another envelope now). */
  private released = false;

  private release(): void {
    if (this.pooled === undefined) return;
    this.batcher.pool.release(this.pooled);
    this.pooled = undefined;
    this.released = true;
  }
}
