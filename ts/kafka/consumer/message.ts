// What a handler receives: one record, with its headers decoded only when read (most handlers
// never look at them, and the conversion costs on the 0 ms handler path), and its value decoded by
// options.serializer before the handler is called (a value that does not decode never reaches it).
import { decodeEnvelope } from '../../envelope';
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

/**
 * The logical messages of an envelope record, each with the record's topic, partition and offset
 * (they are committed together) and the envelope's timestamp; keys, values and headers are views
 * into the record's value. A malformed envelope is one message: the record itself, marked, so that
 * it fails without a handler call (to the dead-letter topic when there is one).
 */
export function unpack(m: DriverMessage): Fetched[] {
  try {
    const e = decodeEnvelope(m.value ?? Buffer.alloc(0));
    const count = e.messages.length;
    return e.messages.map((l, index) => ({
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      timestamp: e.timestamp,
      key: l.key,
      value: l.value,
      get headers() {
        return l.headers; // made when a handler reads them
      },
      batch: { id: e.id, index, count },
    }));
  } catch (e) {
    return [{ ...m, malformed: e as EnvelopeError }];
  }
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
