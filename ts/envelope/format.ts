// The batching envelope format, version 1 (crates/core/src/envelope.rs has the reference and the
// byte layout): big-endian, a preamble (version, batch id, timestamp, count), then each message's
// key, value and headers, length-prefixed (-1: null). The record carrying one has the header
// ENVELOPE_HEADER = "1".

export const ENVELOPE_HEADER = 'velo-envelope';
export const VERSION = 1;
/** version u8, batch id u64, timestamp i64, count u32. */
export const PREAMBLE = 1 + 8 + 8 + 4;
/** The fewest bytes a message takes: two null lengths and a header count. */
export const MIN_MESSAGE = 12;

/** One logical message going into an envelope (a validated payload's fields). */
export interface EnvelopeInput {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** As node-rdkafka takes them: one single-entry object per header. */
  readonly headers: readonly Record<string, Buffer | string>[] | undefined;
}

/**
 * The messages going into an envelope, field by field (message i: keys[i], values[i], headers[i]):
 * what the encoders read. The batcher keeps its envelopes' messages so, with no object per message
 * to keep alive while the envelope is in flight.
 */
export interface EnvelopeColumns {
  readonly keys: readonly (Buffer | null)[];
  readonly values: readonly (Buffer | null)[];
  readonly headers: readonly (readonly Record<string, Buffer | string>[] | undefined)[];
}

/** `messages` as columns. */
export function columnsOf(messages: readonly EnvelopeInput[]): EnvelopeColumns {
  return { keys: messages.map((m) => m.key), values: messages.map((m) => m.value), headers: messages.map((m) => m.headers) };
}

/** The bytes one message takes in an envelope. */
export function messageSize(m: EnvelopeInput): number {
  let size = 12 + (m.key === null ? 0 : m.key.length) + (m.value === null ? 0 : m.value.length);
  const headers = m.headers;
  if (headers !== undefined) {
    for (const h of headers) {
      for (const name in h) {
        const v = h[name]!;
        size += 8 + Buffer.byteLength(name) + (typeof v === 'string' ? Buffer.byteLength(v) : v.length);
      }
    }
  }
  return size;
}

/** The bytes an envelope of these messages takes. */
export function encodedSize(messages: readonly EnvelopeInput[]): number {
  let size = PREAMBLE;
  for (const m of messages) size += messageSize(m);
  return size;
}

/** The envelope layout both twins give: see crates/core/src/envelope.rs `layout`. */
export type Layout = Int32Array;
