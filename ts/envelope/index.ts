// Batching envelopes: encode many logical messages into one Kafka record (into a pooled buffer),
// and decode one into zero-copy views. Which twin serves is decided by measurement (bench row
// "envelopes"): see ts/native/load.ts's table.
import { jsEncodeInto, jsLayout } from './js';
import { nativeEnvelope } from './native';
import { ENVELOPE_HEADER, PREAMBLE, type Layout } from './format';

export { ENVELOPE_HEADER, columnsOf, encodedSize, messageSize, type EnvelopeColumns, type EnvelopeInput } from './format';
export { jsEncodeInto, jsLayout } from './js';
export { nativeEnvelope } from './native';

/** One logical message read from an envelope: views into the record's value, no copy. */
export interface EnvelopeMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** As node-rdkafka gives headers: one single-entry object per header (made when read). */
  readonly headers: Record<string, Buffer>[];
}

export interface Envelope {
  id: bigint;
  timestamp: number;
  messages: EnvelopeMessage[];
}

/**
 * The twin the façade uses per call shape (bench rows "envelopes"; ts/native/load.ts's table):
 * encoding in TS (the Rust twin pays a crossing per part: 5x slower for 100 messages); the layout
 * of an envelope of 8 or more messages in Rust (about half the TS twin's time per message from
 * ~10 messages), of a smaller one in TS (one N-API call costs more than its whole layout).
 */
export const envelopeTwins = {
  layout: (b: Buffer): Layout =>
    nativeEnvelope !== null && b.length >= PREAMBLE && b.readUInt32BE(PREAMBLE - 4) >= 8 ? nativeEnvelope.layout(b) : jsLayout(b),
  encodeInto: jsEncodeInto,
};

/** A logical message: key and value views made at once, headers only when read (most handlers never look). */
class LogicalMessage implements EnvelopeMessage {
  constructor(
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    private readonly b: Buffer,
    private readonly l: Layout,
    /** Where its headers start in the layout, and how many. */
    private readonly at: number,
    private readonly n: number,
  ) {}

  get headers(): Record<string, Buffer>[] {
    const { b, l } = this;
    const out: Record<string, Buffer>[] = [];
    for (let h = 0, i = this.at; h < this.n; h++, i += 4) {
      out.push({ [b.toString('utf8', l[i]!, l[i]! + l[i + 1]!)]: l[i + 3] === -1 ? Buffer.alloc(0) : b.subarray(l[i + 2]!, l[i + 2]! + l[i + 3]!) });
    }
    return out;
  }
}

/** Views of every logical message in `b`, per its layout. */
export function viewsOf(b: Buffer, l: Layout): EnvelopeMessage[] {
  const count = l[0]!;
  const out = new Array<EnvelopeMessage>(count);
  let i = 1;
  for (let m = 0; m < count; m++) {
    const key = l[i + 1] === -1 ? null : b.subarray(l[i]!, l[i]! + l[i + 1]!);
    const value = l[i + 3] === -1 ? null : b.subarray(l[i + 2]!, l[i + 2]! + l[i + 3]!);
    const n = l[i + 4]!;
    out[m] = new LogicalMessage(key, value, b, l, i + 5, n);
    i += 5 + 4 * n;
  }
  return out;
}

/** Reads an envelope; an EnvelopeError (code ERR_ENVELOPE_*) when it is malformed. */
export function decodeEnvelope(b: Buffer, layout: (b: Buffer) => Layout = envelopeTwins.layout): Envelope {
  const l = layout(b);
  return { id: b.readBigUInt64BE(1), timestamp: Number(b.readBigInt64BE(9)), messages: viewsOf(b, l) };
}

/** Whether a record's headers (node-rdkafka's list) mark it as an envelope. */
export function isEnvelope(headers: readonly Record<string, Buffer | string>[] | undefined): boolean {
  if (headers === undefined) return false;
  for (const h of headers) if (ENVELOPE_HEADER in h) return true;
  return false;
}

export { PREAMBLE };
