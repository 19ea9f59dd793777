// Property tests: on random inputs the Rust and TS twins give identical answers (the per-call
// shapes against the Rust reference in bench/reference.cjs, the batch against the façade's native twin).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsBackoff } from '../../ts/backoff/js';
import type { FlatStrategy } from '../../ts/backoff/twin';
import { jsClassify, PATTERNS } from '../../ts/classify/js';
import { nativeClassify } from '../../ts/classify/native';
import { jsDuration, parseUncached } from '../../ts/duration/js';
import { formatDuration, parseDuration } from '../../ts/duration';
import { bothTwins } from '../support/twins';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { referenceBackoff, referenceClassify, referenceDuration } = require('../../bench/reference.cjs') as typeof import('../../bench/reference.cjs');

const twinsPresent = bothTwins(0, 1).length === 2;
const RUNS = { numRuns: 3_000 };

const unit = fc.constantFrom('', 'ms', 'MS', 's', 'sec', 'Seconds', 'm', 'min', 'h', 'HRS', 'd', 'days', 'x', 'ss', 'µs');
const space = fc.constantFrom('', ' ', '\t', '  ', '\u00a0');
const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 20 });
const durationText = fc.oneof(
  fc.tuple(space, digits, fc.constantFrom('', '.', '..'), digits, space, unit, space).map((p) => p.join('')),
  fc.string({ maxLength: 12 }),
  fc.double({ noNaN: false }).map(String),
);

describe.runIf(twinsPresent)('native and TS twins agree on random inputs', () => {
  it('parseDuration', () => {
    fc.assert(
      fc.property(durationText, (t) => {
        expect(referenceDuration!.parse(t)).toBe(jsDuration.parse(t));
      }),
      RUNS,
    );
  });

  it('calculateDelay and jitter', () => {
    const strategy: fc.Arbitrary<FlatStrategy> = fc.oneof(
      fc.record({ kind: fc.constant(0 as const), a: fc.double({ min: 0, max: 1e7, noNaN: true }), b: fc.constant(0), c: fc.constant(0) }),
      fc
        .tuple(
          fc.double({ min: 0, max: 1e6, noNaN: true }),
          fc.double({ min: 0, max: 1e9, noNaN: true }),
          fc.oneof(fc.constantFrom(1, 1.5, 2, 3), fc.double({ min: 1, max: 10, noNaN: true })),
        )
        .map(([a, extra, c]) => ({ kind: 1 as const, a, b: a + extra, c })),
      fc
        .tuple(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }))
        .map(([a, b, extra]) => ({ kind: 2 as const, a, b, c: a + extra })),
    );
    fc.assert(
      fc.property(strategy, fc.nat({ max: 0xffff_ffff }), fc.nat(3), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (s, attempt, mode, r) => {
        const d = jsBackoff.delay(s, attempt);
        expect(referenceBackoff!.delay(s, attempt)).toBe(d);
        expect(referenceBackoff!.jitter(mode, d, r, d, s)).toBe(jsBackoff.jitter(mode, d, r, d, s));
      }),
      RUNS,
    );
  });

  it('classification of text built from patterns and noise', () => {
    const piece = fc.oneof(
      fc.constantFrom(...PATTERNS.map(([p]) => p)).map((p) => (Math.random() < 0.5 ? p.toUpperCase() : p)),
      fc.string({ maxLength: 8 }),
    );
    const message = fc.array(piece, { maxLength: 5 }).map((ps) => ps.join(' '));
    fc.assert(
      fc.property(fc.array(message, { maxLength: 40 }), (msgs) => {
        const one = msgs.map((m) => jsClassify.text(m));
        expect(msgs.map((m) => referenceClassify!.text(m))).toEqual(one);
        expect(Array.from(nativeClassify!.texts(msgs))).toEqual(one);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('formatDuration', () => {
  it('round-trips through parseDuration', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat({ max: 2 ** 50 }), fc.double({ min: 0.001, max: 1e12, noNaN: true })), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      RUNS,
    );
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(86_400_000)).toBe('1d');
  });

  it('the uncached parser answers like the cached one', () => {
    fc.assert(
      fc.property(durationText, (t) => {
        expect(jsDuration.parse(t)).toBe(parseUncached(t));
      }),
      RUNS,
    );
  });
});
