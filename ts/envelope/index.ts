// Batching envelopes: encode many logical messages into one Kafka record (into a pooled buffer),
// and decode one into zero-copy views. Which twin serves is decided by measurement (bench row
// "envelopes"): see ts/native/load.ts's table.
import { jsEncodeInto, jsLayout } from './js';
import { ENVELOPE_HEADER, PREAMBLE, type Layout } from './format';

export { ENVELOPE_HEADER, encodedSize, type EnvelopeInput } from './format';
export { jsEncodeInto, jsLayout } from './js';
export { nativeEnvelope } from './native';

/** One logical message read from an envelope: views into the record's value, no copy. */
export interface EnvelopeMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** As node-rdkafka gives headers: one single-entry object per header. */
  headers: Record<string, Buffer>[];
}

export interface Envelope {
  id: bigint;
  timestamp: number;
  messages: EnvelopeMessage[];
}

/** The twin the façade uses for each direction. */
export const envelopeTwins = { layout: jsLayout, encodeInto: jsEncodeInto };

/** Views of every logical message in `b`, per its layout. */
export function viewsOf(b: Buffer, l: Layout): EnvelopeMessage[] {
  const count = l[0]!;
  const out = new Array<EnvelopeMessage>(count);
  const view = (start: number, len: number): Buffer | null => (len === -1 ? null : b.subarray(start, start + len));
  let i = 1;
  for (let m = 0; m < count; m++) {
    const key = view(l[i]!, l[i + 1]!);
    const value = view(l[i + 2]!, l[i + 3]!);
    const n = l[i + 4]!;
    i += 5;
    const headers: Record<string, Buffer>[] = [];
    for (let h = 0; h < n; h++) {
      const v = view(l[i + 2]!, l[i + 3]!);
      headers.push({ [b.toString('utf8', l[i]!, l[i]! + l[i + 1]!)]: v ?? Buffer.alloc(0) });
      i += 4;
    }
    out[m] = { key, value, headers };
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
