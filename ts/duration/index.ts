// parseDuration / formatDuration: the public face of the duration hot path.
import { checkNumber, rangeError, typeError } from '../validate';
import { jsDuration } from './js';
import { DurationErrorCode, type DurationTwin } from './twin';

export type { CacheStats } from './twin';

/**
 * Per-call parsing is served by the TS twin: a Map-backed LRU hit costs less than the N-API call
 * plus string copy the native twin needs before it even looks at its cache (bench/ rows
 * "parseDuration hit" / "miss" show both; see the README table).
 */
const twin: DurationTwin = jsDuration;

/** Milliseconds in a duration such as "2.5s", "500ms", "3 minutes" or "10" (seconds). */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw typeError('duration', 'a string such as "5s" or "500ms"', text);
  const ms = twin.parse(text);
  if (ms >= 0) return ms;
  throw durationError(text, ms);
}

export function durationError(text: string, code: number, name = 'duration'): RangeError {
  if (code === DurationErrorCode.OutOfRange) {
    return rangeError(name, `at most ${Number.MAX_SAFE_INTEGER} ms`, text, 'ERR_DURATION_RANGE');
  }
  const empty = code === DurationErrorCode.Empty;
  return rangeError(
    name,
    'a non-negative number with an optional unit (ms, s, m, h, d), such as "5s", "2.5m" or "500ms"',
    text,
    empty ? 'ERR_DURATION_EMPTY' : 'ERR_DURATION_INVALID',
  );
}

const UNITS: [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1_000, 's'],
];

/**
 * The shortest text parseDuration reads back as exactly `ms`: "2m", "1.5s", "250ms", "0.1ms".
 */
export function formatDuration(ms: number): string {
  checkNumber('ms', ms, 0, Number.MAX_SAFE_INTEGER);
  if (Number.isInteger(ms) && ms >= 1_000 && ms < 1e15) {
    for (const [unit, suffix] of UNITS) {
      if (ms % unit === 0) return `${ms / unit}${suffix}`;
    }
    // Seconds with the milliseconds as exact decimal digits: ms / 1000 in floating point can print
    // as 16+ digits ("83746858778.64101") that do not read back as the same value.
    const fraction = String(ms % 1_000)
      .padStart(3, '0')
      .replace(/0+$/, '');
    return `${Math.floor(ms / 1_000)}.${fraction}s`;
  }
  const text = String(ms);
  // Below 1e-6 String() switches to exponent form ("1e-7"), which is not duration grammar.
  return text.includes('e') ? `${ms.toFixed(20).replace(/0+$/, '')}ms` : `${text}ms`;
}

/** Cache figures of the twin in use, and a way to resize it (default 1024 entries). */
export const durationCache = {
  stats: () => twin.cacheStats(),
  reset(capacity = 1024): void {
    checkNumber('capacity', capacity, 0, 1 << 24, true);
    twin.resetCache(capacity);
  },
  has: (text: string) => twin.isCached(text),
};
