// TS twin of crates/core/src/backoff.rs. Exponential delays are initial * multiplier^attempt with
// the power computed by binary exponentiation: the same IEEE multiplications in the same order as
// the Rust twin, hence the same bits (Math.pow promises no particular last bit). The x2 and x1.5
// fast paths are tables built by that same function, so they equal the general formula exactly.
import type { BackoffTwin, FlatStrategy } from './twin';

export function powBySquaring(base: number, n: number): number {
  let result = 1;
  let b = base;
  // n < 2^32: `>>> 1` keeps it unsigned where `>> 1` would not.
  while (n > 0) {
    if (n & 1) result *= b;
    n >>>= 1;
    if (n > 0) b *= b;
  }
  return result;
}

/** 2^n for n < 1024 (exact); the general formula gives Infinity from 1024 on, as does this path. */
const POW2 = Array.from({ length: 1024 }, (_, n) => powBySquaring(2, n));
const POW_1_5 = Array.from({ length: 128 }, (_, n) => powBySquaring(1.5, n));

function exponentialValue(initial: number, factor: number, max: number): number {
  if (initial === 0) return 0; // 0 * Infinity is NaN
  const d = initial * factor;
  return d < max ? d : max;
}

function delay(s: FlatStrategy, attempt: number): number {
  switch (s.kind) {
    case 0:
      return s.a;
    case 1: {
      const m = s.c;
      let factor: number;
      if (m === 2) factor = attempt < 1024 ? POW2[attempt]! : Infinity;
      else if (m === 1.5 && attempt < 128) factor = POW_1_5[attempt]!;
      else factor = powBySquaring(m, attempt);
      return exponentialValue(s.a, factor, s.b);
    }
    default: {
      const d = s.a + s.b * attempt;
      return d < s.c ? d : s.c;
    }
  }
}

export const jsBackoff: BackoffTwin = {
  delay,
  delayGeneral(s, attempt) {
    return s.kind === 1 ? exponentialValue(s.a, powBySquaring(s.c, attempt), s.b) : delay(s, attempt);
  },
  jitter(mode, d, random, previous, s) {
    switch (mode) {
      case 1:
        return random * d;
      case 2:
        return d / 2 + random * (d / 2);
      case 3: {
        const floor = s.a;
        const cap = s.kind === 0 ? s.a : s.kind === 1 ? s.b : s.c;
        const ceiling = Math.max(previous * 3, floor);
        const v = floor + random * (ceiling - floor);
        return v < cap ? v : cap;
      }
      default:
        return d;
    }
  },
};
