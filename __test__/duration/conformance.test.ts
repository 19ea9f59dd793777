import { beforeEach, describe, expect, it } from 'vitest';
import { jsDuration } from '../../ts/duration/js';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { referenceDuration } = require('../../bench/reference.cjs') as typeof import('../../bench/reference.cjs');
import { DurationErrorCode } from '../../ts/duration/twin';
import { bothTwins } from '../support/twins';

const ACCEPTED: [string, number][] = [
  ['5', 5_000],
  ['  5s  ', 5_000],
  ['2.5s', 2_500],
  ['.5s', 500],
  ['0.1ms', 0.1],
  ['100MS', 100],
  ['3 Minutes', 180_000],
  ['1h', 3_600_000],
  ['2 hrs', 7_200_000],
  ['1d', 86_400_000],
  ['1.005s', 1005],
  ['5.', 5_000],
  ['0', 0],
  ['\t10\n', 10_000],
  ['7 days', 604_800_000],
  ['1.5 hours', 5_400_000],
  ['9007199254740991ms', Number.MAX_SAFE_INTEGER],
  ['1.0000000000000000001s', 1000],
  // Signs as Velostream reads them: '+' always; '-' only before a zero, which is 0 (not -0).
  ['+5s', 5_000],
  [' +.5s ', 500],
  ['+0', 0],
  ['-0s', 0],
  ['-0', 0],
  ['-0.000ms', 0],
  ['-00000000000000000000.0000000000000000000d', 0],
  ...(['ms', 'millis', 'milliseconds'] as const).map((u) => [`7${u}`, 7] as [string, number]),
  ...(['s', 'sec', 'secs', 'second', 'seconds'] as const).map((u) => [`7${u}`, 7_000] as [string, number]),
  ...(['m', 'min', 'mins', 'minute', 'minutes'] as const).map((u) => [`7${u}`, 420_000] as [string, number]),
  ...(['h', 'hr', 'hrs', 'hour', 'hours'] as const).map((u) => [`7${u}`, 25_200_000] as [string, number]),
  ...(['d', 'day', 'days'] as const).map((u) => [`7${u}`, 604_800_000] as [string, number]),
];

const INVALID = [
  '-5s',
  'abc',
  's5',
  '5ss',
  '1.2.3s',
  'inf',
  'NaN',
  '.',
  '1e3',
  '--5s',
  '+-5s',
  '+',
  '-',
  '+ 5s',
  '-0.1s',
  '- 0s',
  '5 s s',
  '5x',
  'Infinity',
  '0x10',
  '5\u00a0s',
  '５s',
];
const OUT_OF_RANGE = ['1' + '0'.repeat(23) + 's', '9'.repeat(400), '9007199254740993ms', '1' + '0'.repeat(20) + 'd'];

describe.each(bothTwins(jsDuration, referenceDuration))('duration conformance: %s twin', (_name, twin) => {
  beforeEach(() => twin.resetCache(1024));

  it.each(ACCEPTED)('parses %j as %d ms', (text, ms) => {
    expect(twin.parse(text)).toBe(ms);
    expect(twin.parse(text)).toBe(ms); // cached answer is the same
  });

  it('rejects empty text as Empty', () => {
    for (const t of ['', '   ', '\t\n']) expect(twin.parse(t)).toBe(DurationErrorCode.Empty);
  });

  it.each(INVALID)('rejects %j as Invalid', (text) => {
    expect(twin.parse(text)).toBe(DurationErrorCode.Invalid);
  });

  it.each(OUT_OF_RANGE)('rejects %j as OutOfRange', (text) => {
    expect(twin.parse(text)).toBe(DurationErrorCode.OutOfRange);
  });

  it('keeps the cache bounded and evicts the least recently used', () => {
    twin.resetCache(3);
    for (const t of ['11s', '12s', '13s']) twin.parse(t);
    twin.parse('11s'); // 12s is now the least recently used
    twin.parse('14s');
    expect(['11s', '12s', '13s', '14s'].map((t) => twin.isCached(t))).toEqual([true, false, true, true]);
    expect(twin.cacheStats()).toEqual({ hits: 1, misses: 4, size: 3, capacity: 3 });
    for (let i = 0; i < 5_000; i++) twin.parse(`${i}ms`);
    expect(twin.cacheStats().size).toBe(3);
  });

  it('caches neither errors nor long keys, and serves interned values without the cache', () => {
    twin.resetCache(8);
    twin.parse('nope');
    twin.parse(' '.repeat(100) + '1s');
    twin.parse('5s'); // interned
    expect(twin.cacheStats()).toMatchObject({ size: 0, hits: 0 });
    expect(twin.isCached('nope')).toBe(false);
  });

  it('caches nothing at capacity 0', () => {
    twin.resetCache(0);
    expect(twin.parse('7s')).toBe(7_000);
    expect(twin.cacheStats().size).toBe(0);
  });
});
