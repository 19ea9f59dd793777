// What a handler receives: one record, with its headers decoded only when read (most handlers
// never look at them, and the conversion costs on the 0 ms handler path), and its value decoded by
// options.serializer before the handler is called (a value that does not decode never reaches it).
import { decodeEnvelope, type Envelope, type EnvelopeMessage } from '../../envelope';
import type { EnvelopeError } from '../../errors';
import type { DriverMessage } from '../driver';

/** Where a logical message sat in its batching envelope. */
export interface BatchPosition {
  readonly id: bigint;
  readonly index: number;
  readonly count: number;
}

/** A fetched record, or one logical message of an envelope record (with its place, or why the envelope is unreadable). */
export type Fetched = DriverMessage & { batch?: BatchPosition; malformed?: EnvelopeError };

/** One logical message of an envelope, as a fetched record: one class, so every one has the same shape. */
class EnvelopeRecord implements Fetched {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly batch: BatchPosition;

  constructor(
    m: DriverMessage,
    timestamp: number,
    private readonly logical: EnvelopeMessage,
    batch: BatchPosition,
  ) {
    this.topic = m.topic;
    this.partition = m.partition;
    this.offset = m.offset;
    this.timestamp = timestamp;
    this.key = logical.key;
    this.value = logical.value;
    this.batch = batch;
  }

  /** Made when a handler reads them. */
  get headers(): Record<string, Buffer>[] {
    return this.logical.headers;
  }
}

/**
 * The logical messages of an envelope record, each with the record's topic, partition and offset
 * (they are committed together) and the envelope's timestamp; keys, values and headers are views
 * into the record's value. A malformed envelope is one message: the record itself, marked, so that
 * it fails without a handler call (to the dead-letter topic when there is one).
 */
export function unpack(m: DriverMessage): Fetched[] {
  let e: Envelope;
  try {
    e = decodeEnvelope(m.value ?? Buffer.alloc(0));
  } catch (error) {
    return [{ ...m, malformed: error as EnvelopeError }];
  }
  const count = e.messages.length;
  const out = new Array<Fetched>(count);
  for (let index = 0; index < count; index++) out[index] = new EnvelopeRecord(m, e.timestamp, e.messages[index]!, { id: e.id, index, count });
  return out;
}

/** `T`: what `data` is (the codec's output with options.serializer; e.g. `createConsumer<MyEvent>`). */
export interface IncomingMessage<T = unknown> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
  readonly timestamp: number | undefined;
  /** The value decoded by options.serializer (null for a tombstone); without one, `value` itself. */
  readonly data: T;
  /** For a logical message of a batching envelope: the envelope's id, its index and count; else undefined. */
  readonly batch: BatchPosition | undefined;
}

/** node-rdkafka's header list as one object; a name given twice keeps its last value, as Kafka's lastHeader. */
export function headersOf(raw: DriverMessage['headers']): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const h of raw ?? []) for (const [k, v] of Object.entries(h)) headers[k] = Buffer.isBuffer(v) ? v : Buffer.from(v);
  return headers;
}

export class Incoming implements IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number | undefined;
  data: unknown;
  readonly batch: BatchPosition | undefined;
  /** @internal The envelope this came in could not be read. */
  readonly malformed: EnvelopeError | undefined;
  private decoded: Record<string, Buffer> | undefined;
  /** The record (or logical message) its headers are read from, on first access. */
  private source: Fetched | undefined;

  constructor(m: Fetched) {
    this.topic = m.topic;
    this.partition = m.partition;
    this.offset = m.offset;
    this.key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
    this.value = m.value;
    this.timestamp = m.timestamp;
    this.data = m.value;
    this.batch = m.batch;
    this.malformed = m.malformed;
    this.source = m;
  }

  get headers(): Record<string, Buffer> {
    if (this.decoded === undefined) {
      this.decoded = headersOf(this.source!.headers);
      this.source = undefined;
    }
    return this.decoded;
  }
}
