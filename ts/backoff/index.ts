// Strategies: validation, defaults, and calculateDelay, the public face of the backoff hot path.
import { checkNumber, rangeError, typeError } from '../validate';
import { parseDuration } from '../duration';
import { jsBackoff } from './js';
import { JitterKind, type BackoffTwin, type FlatStrategy } from './twin';

/** Milliseconds as a number, or duration text such as "2s". */
export type Duration = number | string;

export type RetryStrategy =
  | { kind: 'fixed'; interval?: Duration }
  | { kind: 'exponential' | 'exp'; initial?: Duration; max?: Duration; multiplier?: number }
  | { kind: 'linear'; initial?: Duration; increment?: Duration; max?: Duration }
  /** Custom: the delay in ms before retry number `attempt` (0-based). */
  | ((attempt: number) => number);

export type JitterMode = 'none' | 'full' | 'equal' | 'decorrelated';

/** The product defaults (Velostream production values). */
export const DEFAULTS = Object.freeze({ strategy: 'exponential', initial: 2_000, multiplier: 1.5, max: 120_000 });

/**
 * Delay calculation per call is served by the TS twin: it is a few multiplications, and the N-API
 * crossing alone costs more (bench/ row "calculateDelay").
 */
export const backoff: BackoffTwin = jsBackoff;

/** A validated strategy: flat (fast paths apply) or a user function. */
export type CompiledStrategy = FlatStrategy | ((attempt: number) => number);

/** Milliseconds from an option given as a number or duration text; `fallback` when absent. */
export function durationField(name: string, value: Duration | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'string') return parseDurationNamed(name, value);
  if (typeof value !== 'number') throw typeError(name, 'milliseconds as a number, or a duration string such as "2s"', value);
  return checkNumber(name, value, 0, name.endsWith('max') ? Infinity : Number.MAX_SAFE_INTEGER);
}

function parseDurationNamed(name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (e) {
    const err = e as RangeError & { code?: string };
    throw Object.assign(new RangeError(err.message.replace('velo-retry: duration', `velo-retry: ${name}`)), { code: err.code });
  }
}

export function compileStrategy(strategy: unknown, name = 'strategy'): CompiledStrategy {
  if (typeof strategy === 'function') return strategy as (attempt: number) => number;
  if (typeof strategy !== 'object' || strategy === null) {
    throw typeError(name, 'a strategy object ({ kind: "exponential" | "linear" | "fixed", ... }) or a function (attempt) => ms', strategy);
  }
  const s = strategy as Record<string, Duration | undefined> & { kind?: unknown };
  const kind = typeof s.kind === 'string' ? s.kind.toLowerCase() : s.kind;
  switch (kind) {
    case 'fixed':
      return { kind: 0, a: durationField(`${name}.interval`, s.interval, DEFAULTS.initial), b: 0, c: 0 };
    case 'exponential':
    case 'exp': {
      const initial = durationField(`${name}.initial`, s.initial, DEFAULTS.initial);
      const max = durationField(`${name}.max`, s.max, Math.max(DEFAULTS.max, initial));
      const multiplier = s.multiplier === undefined ? DEFAULTS.multiplier : s.multiplier;
      checkNumber(`${name}.multiplier`, multiplier, 1, Number.MAX_VALUE);
      if (max < initial) throw rangeError(`${name}.max`, `>= ${name}.initial (${initial} ms)`, max);
      return { kind: 1, a: initial, b: max, c: multiplier as number };
    }
    case 'linear': {
      const initial = durationField(`${name}.initial`, s.initial, DEFAULTS.initial);
      const increment = durationField(`${name}.increment`, s.increment, initial);
      const max = durationField(`${name}.max`, s.max, Math.max(DEFAULTS.max, initial));
      if (max < initial) throw rangeError(`${name}.max`, `>= ${name}.initial (${initial} ms)`, max);
      return { kind: 2, a: initial, b: increment, c: max };
    }
    default:
      throw rangeError(`${name}.kind`, 'one of "fixed", "exponential" (or "exp"), "linear"', s.kind);
  }
}

// A one-entry cache of the last strategy compiled: code that reuses one strategy object (the
// common case) pays for its validation once, not per call. The fields are compared too, so an
// object changed in place is compiled (and validated) again.
type StrategyFields = Record<'kind' | 'interval' | 'initial' | 'max' | 'multiplier' | 'increment', unknown>;
let lastStrategy: unknown;
let lastFields: unknown[] = [];
let lastCompiled: CompiledStrategy | undefined;

function sameFields(s: StrategyFields): boolean {
  const f = lastFields;
  return f[0] === s.kind && f[1] === s.interval && f[2] === s.initial && f[3] === s.max && f[4] === s.multiplier && f[5] === s.increment;
}

/** compileStrategy, answered from the one-entry cache when `strategy` is the last one and unchanged. */
export function compileStrategyCached(strategy: unknown): CompiledStrategy {
  if (strategy === lastStrategy && lastCompiled !== undefined && (typeof strategy === 'function' || sameFields(strategy as StrategyFields)))
    return lastCompiled;
  const compiled = compileStrategy(strategy);
  lastCompiled = compiled;
  lastStrategy = strategy;
  if (typeof strategy === 'object' && strategy !== null) {
    const s = strategy as StrategyFields;
    lastFields = [s.kind, s.interval, s.initial, s.max, s.multiplier, s.increment];
  }
  return compiled;
}

/** The delay of a compiled strategy, checking what a user function returns. */
export function delayOf(s: CompiledStrategy, attempt: number): number {
  if (typeof s !== 'function') return backoff.delay(s, attempt);
  const d = s(attempt);
  if (typeof d !== 'number' || !(d >= 0)) {
    throw (typeof d === 'number' ? rangeError : typeError)(`the strategy function's result for attempt ${attempt}`, 'a number of milliseconds >= 0', d);
  }
  return d;
}

export function compileJitter(jitter: unknown, name = 'jitter'): number {
  if (jitter === undefined) return JitterKind.none;
  const mode = typeof jitter === 'string' ? JitterKind[jitter as JitterMode] : undefined;
  if (mode === undefined) throw (typeof jitter === 'string' ? rangeError : typeError)(name, 'one of "none", "full", "equal", "decorrelated"', jitter);
  return mode;
}

/** Applies a jitter mode; a custom strategy's first delay serves as its floor and has no cap. */
export function jitterOf(mode: number, s: CompiledStrategy, d: number, random: number, previous: number): number {
  if (mode === JitterKind.none) return d;
  const flat: FlatStrategy = typeof s === 'function' ? { kind: 1, a: delayOf(s, 0), b: Infinity, c: 1 } : s;
  return backoff.jitter(mode, d, random, previous, flat);
}

/**
 * Milliseconds to wait before retry number `attempt` (0-based: attempt 0 waits `initial`), capped
 * at the strategy's max. No jitter: that is the engine's job, since it needs randomness.
 */
export function calculateDelay(strategy: RetryStrategy, attempt: number): number {
  checkNumber('attempt', attempt, 0, 0xffff_ffff, true);
  return delayOf(compileStrategy(strategy), attempt);
}
