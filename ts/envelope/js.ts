// TS twin of crates/core/src/envelope.rs: the same layout for every input (the same error code
// and offset for a malformed one) and the same bytes when encoding.
import { EnvelopeError } from '../errors';
import { MIN_MESSAGE, PREAMBLE, VERSION, type EnvelopeColumns, type Layout } from './format';

function truncated(at: number): EnvelopeError {
  return new EnvelopeError('ERR_ENVELOPE_TRUNCATED', `a length at byte ${at} runs past the end`);
}

/** Checks an envelope and gives where each part sits; never reads out of bounds. */
export function jsLayout(b: Buffer): Layout {
  const len = b.length;
  if (len < PREAMBLE) throw new EnvelopeError('ERR_ENVELOPE_TOO_SHORT', `${len} bytes, fewer than the ${PREAMBLE}-byte preamble`);
  if (b[0] !== VERSION) throw new EnvelopeError('ERR_ENVELOPE_VERSION', `format version ${b[0]}, this reads version ${VERSION}`);
  const count = b.readUInt32BE(PREAMBLE - 4);
  if (count > Math.floor((len - PREAMBLE) / MIN_MESSAGE)) throw new EnvelopeError('ERR_ENVELOPE_COUNT', `a count of ${count} messages in ${len} bytes`);
  const out: number[] = [count];
  let at = PREAMBLE;
  /** A length (-1: null) and its bytes; pushes start and length. */
  const part = (): void => {
    if (at + 4 > len) throw truncated(at);
    const n = b.readInt32BE(at);
    if (n < -1) throw new EnvelopeError('ERR_ENVELOPE_LENGTH', `a length of ${n} at byte ${at}`);
    if (n === -1) {
      at += 4;
      out.push(0, -1);
      return;
    }
    if (at + 4 + n > len) throw truncated(at + 4);
    out.push(at + 4, n);
    at += 4 + n;
  };
  for (let i = 0; i < count; i++) {
    part();
    part();
    if (at + 4 > len) throw truncated(at);
    const headers = b.readUInt32BE(at);
    at += 4;
    if (headers > Math.floor((len - at) / 8)) throw truncated(at - 4);
    out.push(headers);
    for (let h = 0; h < headers; h++) {
      if (at + 4 > len) throw truncated(at);
      const name = b.readUInt32BE(at);
      if (name > 0x7fff_ffff) throw new EnvelopeError('ERR_ENVELOPE_LENGTH', `a length of ${name | 0} at byte ${at}`);
      if (at + 4 + name > len) throw truncated(at + 4);
      out.push(at + 4, name);
      at += 4 + name;
      part();
    }
  }
  if (at !== len) throw new EnvelopeError('ERR_ENVELOPE_TRAILING', `${len - at} bytes after the last message, from byte ${at}`);
  return Int32Array.from(out);
}

/** Writes an envelope at the start of `target` (large enough: encodedSize); returns the bytes written. */
export function jsEncodeInto(target: Buffer, idHigh: number, idLow: number, timestamp: number, messages: EnvelopeColumns): number {
  const { keys, values } = messages;
  const count = keys.length;
  target[0] = VERSION;
  target.writeUInt32BE(idHigh >>> 0, 1);
  target.writeUInt32BE(idLow >>> 0, 5);
  target.writeBigInt64BE(BigInt(Math.trunc(timestamp)), 9);
  target.writeUInt32BE(count, 17);
  let at = PREAMBLE;
  const bytes = (p: Buffer | null): void => {
    if (p === null) {
      target.writeInt32BE(-1, at);
      at += 4;
      return;
    }
    target.writeUInt32BE(p.length, at);
    p.copy(target, at + 4);
    at += 4 + p.length;
  };
  const text = (s: string): void => {
    const n = target.write(s, at + 4);
    target.writeUInt32BE(n, at);
    at += 4 + n;
  };
  for (let i = 0; i < count; i++) {
    bytes(keys[i]!);
    bytes(values[i]!);
    const headers = messages.headers[i];
    let n = 0;
    const countAt = at;
    at += 4;
    if (headers !== undefined) {
      for (const h of headers) {
        for (const name in h) {
          const v = h[name]!;
          text(name);
          if (typeof v === 'string') text(v);
          else bytes(v);
          n++;
        }
      }
    }
    target.writeUInt32BE(n, countAt);
  }
  return at;
}
