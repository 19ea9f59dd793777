import { backOff as original } from 'exponential-backoff';
import { describe, expect, it, vi } from 'vitest';
import { backOff as ours } from '../../ts/compat/exponential-backoff';
import { RetryMetrics } from '../../ts';
import { failing, paritySuite } from '../support/parity';

type BackOff = typeof ours;
const impls: [string, BackOff][] = [
  ['exponential-backoff 3.1.3', original as unknown as BackOff],
  ['velo-retry/exponential-backoff', ours],
];

type Scenario = (b: BackOff, log: (...e: unknown[]) => void) => Promise<unknown>;
const retryLog =
  (log: (...e: unknown[]) => void, answer: (n: number) => boolean | Promise<boolean> = () => true) =>
  async (e: Error, n: number) => (log('retry', e.message, n), answer(n));

const scenarios: [string, Scenario, number[]?][] = [
  ['success at once', (b, log) => b(failing(log, []) as () => Promise<unknown>)],
  [
    'three failures then success: 100, 200, 400',
    (b, log) => b(failing(log, [new Error('a'), new Error('b'), new Error('c')]) as () => Promise<unknown>, { retry: retryLog(log) }),
  ],
  [
    'delayFirstAttempt, timeMultiple 3, maxDelay',
    (b, log) =>
      b(failing(log, [new Error('a'), new Error('b'), new Error('c'), new Error('d')]) as () => Promise<unknown>, {
        delayFirstAttempt: true,
        startingDelay: 50,
        timeMultiple: 3,
        maxDelay: 1000,
        retry: retryLog(log),
      }),
  ],
  [
    'full jitter with Math.random stubbed',
    (b, log) =>
      b(failing(log, [new Error('a'), new Error('b'), new Error('c')]) as () => Promise<unknown>, { jitter: 'full', startingDelay: 100, retry: retryLog(log) }),
    [0.3, 0.77, 0.5],
  ],
  [
    'attempts exhausted rethrows the last error',
    (b, log) => b(failing(log, [new Error('1'), new Error('2'), new Error('3')]) as () => Promise<unknown>, { numOfAttempts: 2, retry: retryLog(log) }),
  ],
  ['numOfAttempts 0 means 1', (b, log) => b(failing(log, [new Error('only')]) as () => Promise<unknown>, { numOfAttempts: 0, retry: retryLog(log) })],
  [
    'retry false stops, and is awaited',
    (b, log) => b(failing(log, [new Error('a'), new Error('b')]) as () => Promise<unknown>, { retry: retryLog(log, async (n) => n < 2) }),
  ],
];

paritySuite('exponential-backoff parity: same waits, callbacks and outcome as exponential-backoff 3.1.3', impls, scenarios);

// The validation policy: values the original reads (with JavaScript's coercion) give its result.
const odd: [string, Record<string, unknown>][] = [
  ['numOfAttempts "3"', { numOfAttempts: '3' }],
  ['numOfAttempts true', { numOfAttempts: true }],
  ['numOfAttempts null', { numOfAttempts: null }],
  ['numOfAttempts 2.5', { numOfAttempts: 2.5 }],
  ['numOfAttempts -4', { numOfAttempts: -4 }],
  ['startingDelay "10"', { startingDelay: '10' }],
  ['startingDelay null', { startingDelay: null }],
  ['startingDelay -1', { startingDelay: -1 }],
  ['startingDelay "abc"', { startingDelay: 'abc' }],
  ['timeMultiple "3"', { timeMultiple: '3' }],
  ['timeMultiple "abc"', { timeMultiple: 'abc' }],
  ['timeMultiple 0', { timeMultiple: 0 }],
  ['maxDelay "50"', { maxDelay: '50' }],
  ['maxDelay null', { maxDelay: null }],
  ['maxDelay "abc"', { maxDelay: 'abc' }],
  ['jitter "half"', { jitter: 'half' }],
  ['jitter 1', { jitter: 1 }],
  ['delayFirstAttempt 1', { delayFirstAttempt: 1 }],
  ['delayFirstAttempt "yes"', { delayFirstAttempt: 'yes' }],
  ['delayFirstAttempt 0', { delayFirstAttempt: 0 }],
];
paritySuite(
  'exponential-backoff parity: odd option values read as the original reads them',
  impls,
  odd.map(([name, options]) => [
    name,
    (b, log) =>
      b(
        failing(log, [new Error('a'), new Error('b'), new Error('c'), new Error('d')]) as () => Promise<unknown>,
        { startingDelay: 7, ...options, retry: retryLog(log) } as never,
      ),
  ]),
);

describe('where exponential-backoff misbehaves, velo-retry/exponential-backoff does not', () => {
  it('refuses a numOfAttempts no count reaches (the original retried forever), and a request or retry that is not a function (the original failed late)', async () => {
    for (const bad of ['abc', undefined, NaN, {}]) {
      await expect(ours(async () => 1, { numOfAttempts: bad as never })).rejects.toThrow(
        /velo-retry: numOfAttempts must be a number \(the original retried forever with this value\), got/,
      );
    }
    await expect(ours(async () => 1, { numOfAttempts: Infinity })).resolves.toBe(1); // forever, when asked for
    await expect(ours(async () => 1, { retry: 'yes' as never })).rejects.toThrow(/velo-retry: retry must be a function, got "yes"/);
    await expect(ours(1 as never)).rejects.toThrow(/velo-retry: request must be a function, got 1 \(number\)/);
  });

  it('waits a delay past 2^31 - 1 ms (setTimeout fired it at once)', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const p = ours(
      async () => {
        if (calls++ < 1) throw new Error('x');
        return calls;
      },
      { startingDelay: 2 ** 31 + 1000 },
    );
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(p).resolves.toBe(2);
    vi.useRealTimers();
  });

  it('feeds RetryMetrics', async () => {
    const metrics = new RetryMetrics({ implementation: 'js' });
    await ours(failing(() => {}, [new Error('Broker: Not enough in-sync replicas'), new Error('not enough replicas')]) as () => Promise<unknown>, {
      startingDelay: 1,
      metrics,
    });
    expect(metrics.snapshot()).toMatchObject({ attempts: 3, successes: 1, retries: 2, errors: { Network: 2 } });
  });
});
