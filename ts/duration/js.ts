// TS twin of crates/core/src/duration.rs: the same grammar, the same arithmetic (exact mantissa,
// the unit as f * 10^z folded into one multiplier or divisor), the same interned table and the same bounded LRU, so both
// twins agree bit for bit and pass one conformance suite.
import type { DurationTwin, CacheStats } from './twin';
import { DurationErrorCode } from './twin';

const MAX_MS = Number.MAX_SAFE_INTEGER;
const MAX_CACHED_LEN = 64;

/** Unit -> [f, z] with the unit in ms = f * 10^z. */
const UNITS = new Map<string, readonly [number, number]>();
for (const [names, fz] of [
  [
    ['', 's', 'sec', 'secs', 'second', 'seconds'],
    [1, 3],
  ],
  [
    ['ms', 'millis', 'milliseconds'],
    [1, 0],
  ],
  [
    ['m', 'min', 'mins', 'minute', 'minutes'],
    [6, 4],
  ],
  [
    ['h', 'hr', 'hrs', 'hour', 'hours'],
    [36, 5],
  ],
  [
    ['d', 'day', 'days'],
    [864, 5],
  ],
] as const) {
  for (const n of names) UNITS.set(n, fz);
}

const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

// The same explicit ASCII white-space set as the Rust twin (String#trim would also strip Unicode).
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Milliseconds, or a negative DurationErrorCode. */
export function parseUncached(text: string): number {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (start === end) return DurationErrorCode.Empty;

  // A sign as Velostream reads it: '+' always, '-' only before a zero (checked at the end).
  const first = text.charCodeAt(start);
  const negative = first === 45;
  if (negative || first === 43) start++;
  let i = start;
  let mantissa = 0;
  let significant = 0;
  let fractionDigits = 0;
  let digits = 0;
  let seenDot = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      if (seenDot) fractionDigits++;
      if (significant > 0 || c !== 48) {
        significant++;
        if (significant <= 15) mantissa = mantissa * 10 + (c - 48);
      }
    } else if (c === 46 && !seenDot) {
      seenDot = true;
    } else {
      break;
    }
  }
  if (digits === 0) return DurationErrorCode.Invalid;
  const numberEnd = i;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  const unitText = text.slice(i, end);
  if (unitText.length > 12) return DurationErrorCode.Invalid;
  const unit = UNITS.get(asciiLower(unitText));
  if (unit === undefined) return DurationErrorCode.Invalid;
  const [f, z] = unit;

  let ms: number;
  if (significant <= 15 && fractionDigits <= z) {
    ms = mantissa * (f * POW10[z - fractionDigits]!);
  } else if (significant <= 15 && fractionDigits - z < POW10.length) {
    ms = (mantissa * f) / POW10[fractionDigits - z]!;
  } else {
    ms = Number(text.slice(start, numberEnd)) * (f * POW10[z]!);
  }
  if (negative && ms !== 0) return DurationErrorCode.Invalid;
  if (!(ms <= MAX_MS)) return DurationErrorCode.OutOfRange;
  return ms;
}

// Only ASCII letters fold, as in Rust's to_ascii_lowercase: "5S" is seconds, "5ſ" is not.
function asciiLower(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

const INTERNED = new Map<string, number>([
  ['100ms', 100],
  ['10s', 10_000],
  ['120s', 120_000],
  ['1h', 3_600_000],
  ['1m', 60_000],
  ['1s', 1_000],
  ['250ms', 250],
  ['2s', 2_000],
  ['30s', 30_000],
  ['500ms', 500],
  ['5m', 300_000],
  ['5s', 5_000],
  ['60s', 60_000],
  ['0', 0],
  ['1', 1_000],
  ['5', 5_000],
]);

/**
 * A Map keeps insertion order, so re-inserting on a hit makes it an LRU: the first key is the
 * least recently used.
 */
class Lru {
  readonly map = new Map<string, number>();
  constructor(readonly capacity: number) {}
  get(key: string): number | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: number): void {
    if (this.capacity === 0) return;
    if (this.map.size >= this.capacity && !this.map.has(key)) {
      this.map.delete(this.map.keys().next().value as string);
    }
    this.map.set(key, value);
  }
}

let cache = new Lru(1024);
let hits = 0;
let misses = 0;

export const jsDuration: DurationTwin = {
  parse(text: string): number {
    const interned = INTERNED.get(text);
    if (interned !== undefined) return interned;
    if (text.length > MAX_CACHED_LEN) return parseUncached(text);
    const cached = cache.get(text);
    if (cached !== undefined) {
      hits++;
      return cached;
    }
    misses++;
    const ms = parseUncached(text);
    if (ms >= 0) cache.set(text, ms);
    return ms;
  },
  cacheStats(): CacheStats {
    return { hits, misses, size: cache.map.size, capacity: cache.capacity };
  },
  resetCache(capacity: number): void {
    cache = new Lru(capacity);
    hits = 0;
    misses = 0;
  },
  isCached(text: string): boolean {
    return cache.map.has(text);
  },
};
