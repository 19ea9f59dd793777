import { describe, expect, it } from 'vitest';
import { jsBackoff } from '../../ts/backoff/js';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { referenceBackoff } = require('../../bench/reference.cjs') as typeof import('../../bench/reference.cjs');
import type { FlatStrategy } from '../../ts/backoff/twin';
import { bothTwins } from '../support/twins';

const S = 1000;
const exp = (initial: number, max: number, multiplier: number): FlatStrategy => ({ kind: 1, a: initial, b: max, c: multiplier });
const lin = (initial: number, increment: number, max: number): FlatStrategy => ({ kind: 2, a: initial, b: increment, c: max });

describe.each(bothTwins(jsBackoff, referenceBackoff))('backoff conformance: %s twin', (_name, twin) => {
  it('gives the reference sequences', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => twin.delay(exp(1 * S, 60 * S, 2), a) / S)).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => twin.delay(lin(2 * S, 3 * S, 20 * S), a) / S)).toEqual([2, 5, 8, 11, 14, 17, 20, 20]);
    expect(twin.delay({ kind: 0, a: 5 * S, b: 0, c: 0 }, 1000)).toBe(5 * S);
    // the product default: 2s x1.5 capped at 120s
    expect([0, 1, 2, 3].map((a) => twin.delay(exp(2 * S, 120 * S, 1.5), a))).toEqual([2000, 3000, 4500, 6750]);
  });

  it('keeps sub-millisecond and sub-second inputs (upstream truncated them to 0)', () => {
    expect(twin.delay(exp(500, 60 * S, 2), 0)).toBe(500);
    expect(twin.delay(exp(500, 60 * S, 2), 1)).toBe(1000);
    expect(twin.delay(exp(0.25, 10, 1.5), 1)).toBe(0.375);
  });

  it('fast paths (x2, x1.5) equal the general formula for every attempt 0..=10000', () => {
    for (const initial of [0, 0.001, 0.5, 1, 3, 500, 1000, 2000, 1234.5678]) {
      for (const max of [1, 60_000, 120_000, Infinity]) {
        if (max < initial) continue;
        for (const m of [2, 1.5]) {
          const s = exp(initial, max, m);
          for (let a = 0; a <= 10_000; a++) {
            const fast = twin.delay(s, a);
            const general = twin.delayGeneral(s, a);
            if (!Object.is(fast, general)) expect({ initial, max, m, a, fast }).toEqual({ initial, max, m, a, fast: general });
          }
        }
      }
    }
  });

  it('holds the cap at huge attempt numbers', () => {
    for (const m of [1.0001, 1.5, 2, 10]) expect(twin.delay(exp(1, 120_000, m), 0xffff_ffff)).toBe(120_000);
    expect(twin.delay(exp(1, Infinity, 2), 0xffff_ffff)).toBe(Infinity);
    expect(twin.delay(exp(0, 10, 2), 0xffff_ffff)).toBe(0);
    expect(twin.delay(lin(1, 1e300, 50), 0xffff_ffff)).toBe(50);
  });

  it('applies jitter within its range', () => {
    const s = exp(100, 10_000, 2);
    const d = twin.delay(s, 3);
    for (let i = 0; i < 100; i++) {
      const r = i / 100;
      expect(twin.jitter(1, d, r, 0, s)).toBeGreaterThanOrEqual(0);
      expect(twin.jitter(1, d, r, 0, s)).toBeLessThanOrEqual(d);
      expect(twin.jitter(2, d, r, 0, s)).toBeGreaterThanOrEqual(d / 2);
      const dj = twin.jitter(3, d, r, 5_000, s);
      expect(dj).toBeGreaterThanOrEqual(100);
      expect(dj).toBeLessThanOrEqual(10_000);
    }
    expect(twin.jitter(0, 7, 0.3, 0, s)).toBe(7);
    expect(twin.jitter(1, 8, 0.5, 0, s)).toBe(4);
    expect(twin.jitter(2, 8, 0.5, 0, s)).toBe(6);
    expect(twin.jitter(3, 0, 0.5, 100, s)).toBe(200);
  });
});
