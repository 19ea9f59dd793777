// What a handler receives: one record, with its headers decoded only when read (most handlers
// never look at them, and the conversion costs on the 0 ms handler path), and its value decoded by
// options.serializer before the handler is called (a value that does not decode never reaches it).
import type { DriverMessage } from '../driver';

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
  private decoded: Record<string, Buffer> | undefined;
  private raw: DriverMessage['headers'];

  constructor(m: DriverMessage) {
    this.topic = m.topic;
    this.partition = m.partition;
    this.offset = m.offset;
    this.key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
    this.value = m.value;
    this.timestamp = m.timestamp;
    this.data = m.value;
    this.raw = m.headers;
  }

  get headers(): Record<string, Buffer> {
    if (this.decoded === undefined) {
      this.decoded = headersOf(this.raw);
      this.raw = undefined;
    }
    return this.decoded;
  }
}
