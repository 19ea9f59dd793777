// Bad input gets a TypeError (wrong type) or RangeError (wrong value) naming what was wrong and the
// value received; never a silent default, never a Rust panic.
import { describe, expect, it } from 'vitest';
import {
  BufferPool,
  RetryMetrics,
  calculateDelay,
  categorizeErrors,
  categorizeMessages,
  durationCache,
  formatDuration,
  isRetriable,
  parseDuration,
  retry,
} from '../ts';

type Case = [string, () => unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, RegExp];

const sync: Case[] = [
  ['parseDuration(5)', () => parseDuration(5 as never), TypeError, /duration must be a string.*got 5 \(number\)/],
  ['parseDuration("abc")', () => parseDuration('abc'), RangeError, /duration must be .*got "abc"/],
  ['parseDuration("")', () => parseDuration(''), RangeError, /got ""/],
  ['parseDuration("1e23")', () => parseDuration('100000000000000000000000s'), RangeError, /at most 9007199254740991 ms/],
  ['formatDuration(-1)', () => formatDuration(-1), RangeError, /ms must be a number >= 0.*-1/],
  ['formatDuration("1")', () => formatDuration('1' as never), TypeError, /ms must be a number/],
  ['calculateDelay bad kind', () => calculateDelay({ kind: 'cubic' } as never, 1), RangeError, /strategy.kind must be one of.*"cubic"/],
  ['calculateDelay null', () => calculateDelay(null as never, 1), TypeError, /strategy must be a strategy object/],
  ['calculateDelay negative attempt', () => calculateDelay({ kind: 'fixed', interval: 1 }, -1), RangeError, /attempt must be an integer >= 0/],
  ['calculateDelay fractional attempt', () => calculateDelay({ kind: 'fixed', interval: 1 }, 1.5), RangeError, /attempt/],
  ['multiplier < 1', () => calculateDelay({ kind: 'exponential', multiplier: 0.5 }, 0), RangeError, /strategy.multiplier must be a number >= 1.*0.5/],
  ['max < initial', () => calculateDelay({ kind: 'exponential', initial: 10, max: 5 }, 0), RangeError, /strategy.max must be >= strategy.initial/],
  ['interval NaN', () => calculateDelay({ kind: 'fixed', interval: NaN }, 0), RangeError, /strategy.interval.*NaN/],
  ['interval text', () => calculateDelay({ kind: 'fixed', interval: 'soon' }, 0), RangeError, /strategy.interval must be .*"soon"/],
  ['increment object', () => calculateDelay({ kind: 'linear', increment: {} as never }, 0), TypeError, /strategy.increment must be milliseconds/],
  ['isRetriable("Nope")', () => isRetriable('Nope' as never), RangeError, /category must be one of/],
  ['categorizeErrors(1)', () => categorizeErrors(1 as never), TypeError, /errors must be an array/],
  ['categorizeMessages([1])', () => categorizeMessages([1 as never]), TypeError, /messages\[0\] must be a string/],
  ['durationCache.reset(-1)', () => durationCache.reset(-1), RangeError, /capacity/],
  ['RetryMetrics prefix', () => new RetryMetrics({ prefix: '9bad' }), RangeError, /options.prefix must be a Prometheus metric name.*"9bad"/],
  ['RetryMetrics implementation', () => new RetryMetrics({ implementation: 'rust' as never }), RangeError, /options.implementation/],
  ['recordSuccess(0)', () => new RetryMetrics().recordSuccess(0, 1), RangeError, /attempts must be an integer >= 1/],
  ['recordFailure bad category', () => new RetryMetrics().recordFailure('Oops' as never, 1, 1), RangeError, /category must be one of/],
  ['recordSuccess latency', () => new RetryMetrics().recordSuccess(1, -5), RangeError, /latencyMs/],
  ['RetryMetrics.attach(0)', () => RetryMetrics.attach(0), RangeError, /shareId/],
  ['BufferPool capacity', () => new BufferPool({ capacity: 0 }), RangeError, /options.capacity must be an integer >= 1.*0/],
  ['BufferPool size', () => new BufferPool({ bufferSize: 'big' as never }), TypeError, /options.bufferSize must be a number/],
  ['BufferPool too big', () => new BufferPool({ capacity: 1 << 20, bufferSize: 1 << 20 }), RangeError, /at most 4294967296 bytes/],
  ['BufferPool release', () => new BufferPool({ capacity: 1, bufferSize: 1 }).release('x' as never), TypeError, /buffer must be a Buffer/],
];

describe('bad input', () => {
  it.each(sync)('%s', (_name, f, type, message) => {
    let thrown: unknown;
    try {
      f();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message.startsWith('velo-retry: ')).toBe(true);
  });

  const async: [string, () => Promise<unknown>, ErrorConstructor, RegExp][] = [
    ['retry(fn = 5)', () => retry(5 as never), TypeError, /fn must be a function, got 5/],
    ['retry options null', () => retry(() => 1, null as never), TypeError, /options must be an object/],
    ['retries -1', () => retry(() => 1, { retries: -1 }), RangeError, /retries must be an integer >= 0.*-1/],
    ['retries 1.5', () => retry(() => 1, { retries: 1.5 }), RangeError, /retries/],
    ['timeout "soon"', () => retry(() => 1, { timeout: 'soon' }), RangeError, /timeout must be .*"soon"/],
    ['timeout NaN', () => retry(() => 1, { timeout: NaN }), RangeError, /timeout/],
    ['signal', () => retry(() => 1, { signal: {} as never }), TypeError, /signal must be an AbortSignal/],
    ['jitter', () => retry(() => 1, { jitter: 'lots' as never }), RangeError, /jitter must be one of/],
    ['onRetry', () => retry(() => 1, { onRetry: 'x' as never }), TypeError, /onRetry must be a function/],
    ['metrics', () => retry(() => 1, { metrics: {} as never }), TypeError, /metrics must be a RetryMetrics/],
    ['strategy', () => retry(() => 1, { strategy: { kind: 'linear', max: -1 } }), RangeError, /strategy.max/],
    ['unref', () => retry(() => 1, { unref: 'yes' as never }), TypeError, /unref must be a boolean/],
  ];

  it.each(async)('%s rejects', async (_name, f, type, message) => {
    const e = await f().then(
      () => undefined,
      (err) => err,
    );
    expect(e).toBeInstanceOf(type);
    expect((e as Error).message).toMatch(message);
  });
});
