// The envelope twins (ts/envelope/js.ts and the Rust layout/encoder through N-API) under one
// suite: the same bytes for the same messages, the same layout for any bytes, the same error for
// malformed ones; and both fuzzed with arbitrary and mutated bytes (fast-check), every part of a
// layout inside the buffer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvelopeError } from '../../ts/errors';
import { columnsOf, decodeEnvelope, encodedSize, jsEncodeInto, jsLayout, nativeEnvelope, type EnvelopeInput } from '../../ts/envelope';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const message: fc.Arbitrary<EnvelopeInput> = fc.record({
  key: fc.option(bytes(24), { nil: null }),
  value: fc.option(bytes(64), { nil: null }),
  headers: fc.option(
    fc.array(
      fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.oneof(fc.string({ maxLength: 12 }), bytes(12))).map(([k, v]) => ({ [k]: v })),
      { maxLength: 3 },
    ),
    { nil: undefined },
  ),
});
const batch = fc.record({ hi: fc.nat(), lo: fc.nat(), ts: fc.integer({ min: 0, max: 2 ** 47 }), messages: fc.array(message, { maxLength: 8 }) });

function encode(twin: typeof jsEncodeInto, b: { hi: number; lo: number; ts: number; messages: EnvelopeInput[] }): Buffer {
  const size = encodedSize(b.messages);
  const target = Buffer.alloc(size + 16, 0xee);
  const n = twin(target, b.hi, b.lo, b.ts, columnsOf(b.messages));
  expect(n).toBe(size);
  return target.subarray(0, n);
}

/** What `twin` says of a target `short` bytes long (shorter than the envelope); the 16 bytes after it are watched. */
function shortTarget(twin: typeof jsEncodeInto, b: { hi: number; lo: number; ts: number; messages: EnvelopeInput[] }, short: number): string {
  const backing = Buffer.alloc(short + 16, 0xee);
  let said = '';
  try {
    twin(backing.subarray(0, short), b.hi, b.lo, b.ts, columnsOf(b.messages));
  } catch (e) {
    expect(e).toBeInstanceOf(EnvelopeError);
    said = `${(e as EnvelopeError).code}: ${(e as Error).message}`;
  }
  expect(backing.subarray(short).every((x) => x === 0xee)).toBe(true); // nothing past its end
  return said;
}

/** What a layout function says of `b`: its layout, or its error's code and message. */
function outcome(layout: (b: Buffer) => Int32Array, b: Buffer): { layout?: number[]; error?: string } {
  try {
    const l = layout(b);
    expect(inside(l, b.length)).toBe(true);
    return { layout: [...l] };
  } catch (e) {
    expect(e).toBeInstanceOf(EnvelopeError);
    return { error: `${(e as EnvelopeError).code}: ${(e as Error).message}` };
  }
}

function inside(l: Int32Array, len: number): boolean {
  const ok = (start: number, n: number) => n === -1 || (start >= 0 && n >= 0 && start + n <= len);
  let i = 1;
  for (let m = 0; m < l[0]!; m++) {
    if (!ok(l[i]!, l[i + 1]!) || !ok(l[i + 2]!, l[i + 3]!)) return false;
    const h = l[i + 4]!;
    i += 5;
    for (let k = 0; k < h; k++, i += 4) if (!ok(l[i]!, l[i + 1]!) || !ok(l[i + 2]!, l[i + 3]!)) return false;
  }
  return i === l.length;
}

describe('envelope round trip (TS twin)', () => {
  it('decodes what it encoded: id, timestamp, and each message as views', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const buf = encode(jsEncodeInto, b);
        const e = decodeEnvelope(buf);
        expect(e.id).toBe((BigInt(b.hi) << 32n) | BigInt(b.lo));
        expect(e.timestamp).toBe(b.ts);
        expect(e.messages).toHaveLength(b.messages.length);
        e.messages.forEach((m, i) => {
          const want = b.messages[i]!;
          expect(m.key).toEqual(want.key);
          expect(m.value).toEqual(want.value);
          expect(m.headers).toEqual((want.headers ?? []).map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v)]))));
          if (m.value !== null) expect(m.value.buffer).toBe(buf.buffer); // a view, not a copy
        });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a target shorter than the envelope, naming both sizes, writing nothing past its end', () => {
    fc.assert(
      fc.property(batch, fc.nat(), (b, k) => {
        const size = encodedSize(b.messages);
        const short = k % size;
        expect(shortTarget(jsEncodeInto, b, short)).toBe(
          `ERR_ENVELOPE_INPUT: velo-retry/kafka: a malformed batching envelope: a target of ${short} bytes, smaller than the envelope (${size} bytes)`,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every cut of a real envelope and anything after its end', () => {
    const buf = encode(jsEncodeInto, { hi: 1, lo: 2, ts: 3, messages: [{ key: Buffer.from('k'), value: Buffer.from('value'), headers: [{ h: 'v' }] }] });
    for (let cut = 0; cut < buf.length; cut++) expect(() => jsLayout(buf.subarray(0, cut))).toThrow(EnvelopeError);
    expect(() => jsLayout(Buffer.concat([buf, Buffer.from([0])]))).toThrow(/ERR_ENVELOPE_TRAILING|1 bytes after the last message/);
    const v2 = Buffer.from(buf);
    v2[0] = 2;
    expect(() => jsLayout(v2)).toThrow(/format version 2, this reads version 1/);
    const lie = Buffer.from(buf);
    lie.writeUInt32BE(0xffff_ffff, 17);
    expect(() => jsLayout(lie)).toThrow(expect.objectContaining({ code: 'ERR_ENVELOPE_COUNT' }));
  });
});

// Skipped (and shown as skipped) only when the TS twins are forced; a missing binary fails.
describe.skipIf(process.env.VELO_RETRY_FORCE_JS === '1')('envelope conformance: TS twin vs Rust twin', () => {
  const rust = nativeEnvelope!;
  it('the native twin is loaded', () => {
    expect(nativeEnvelope).not.toBeNull();
  });
  it('the same bytes for the same messages', () => {
    fc.assert(
      fc.property(batch, (b) => {
        expect(encode(rust.encodeInto, b)).toEqual(encode(jsEncodeInto, b));
      }),
      { numRuns: 500 },
    );
  });

  it('the same error for a target shorter than the envelope', () => {
    fc.assert(
      fc.property(batch, fc.nat(), (b, k) => {
        const short = k % encodedSize(b.messages);
        expect(shortTarget(rust.encodeInto, b, short)).toBe(shortTarget(jsEncodeInto, b, short));
      }),
      { numRuns: 500 },
    );
  });

  it('the same layout, or the same error, for arbitrary bytes', () => {
    fc.assert(
      fc.property(bytes(200), (b) => {
        expect(outcome(rust.layout, b)).toEqual(outcome(jsLayout, b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('the same for real envelopes with bytes flipped, cut or appended', () => {
    fc.assert(
      fc.property(batch, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.integer({ min: -4, max: 4 }), (b, flips, cut) => {
        const buf = Buffer.from(encode(jsEncodeInto, b));
        for (const [at, v] of flips) buf[at % buf.length] = v;
        const mutated = cut < 0 ? buf.subarray(0, Math.max(0, buf.length + cut)) : Buffer.concat([buf, Buffer.alloc(cut, 7)]);
        expect(outcome(rust.layout, mutated)).toEqual(outcome(jsLayout, mutated));
      }),
      { numRuns: 2_000 },
    );
  });
});
