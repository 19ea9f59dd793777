import { backOff as original } from 'exponential-backoff';
import { describe, expect, it, vi } from 'vitest';
import { backOff as ours } from '../../ts/compat/exponential-backoff';
import { RetryMetrics } from '../../ts';
import { failing, paritySuite } from './parity';

type BackOff = typeof ours;
const impls: [string, BackOff][] = [
  ['exponential-backoff 3.1.3', original as unknown as BackOff],
  ['velo-retry/exponential-backoff', ours],
];

type Scenario = (b: BackOff, log: (...e: unknown[]) => void) => Promise<unknown>;
const retryLog = (log: (...e: unknown[]) => void, answer: (n: number) => boolean | Promise<boolean> = () => true) => async (e: Error, n: number) => (log('retry', e.message, n), answer(n));

const scenarios: [string, Scenario, number[]?][] = [
  ['success at once', (b, log) => b(failing(log, []) as () => Promise<unknown>)],
  ['three failures then success: 100, 200, 400', (b, log) => b(failing(log, [new Error('a'), new Error('b'), new Error('c')]) as () => Promise<unknown>, { retry: retryLog(log) })],
  ['delayFirstAttempt, timeMultiple 3, maxDelay', (b, log) => b(failing(log, [new Error('a'), new Error('b'), new Error('c'), new Error('d')]) as () => Promise<unknown>, { delayFirstAttempt: true, startingDelay: 50, timeMultiple: 3, maxDelay: 1000, retry: retryLog(log) })],
  ['full jitter with Math.random stubbed', (b, log) => b(failing(log, [new Error('a'), new Error('b'), new Error('c')]) as () => Promise<unknown>, { jitter: 'full', startingDelay: 100, retry: retryLog(log) }), [0.3, 0.77, 0.5]],
  ['attempts exhausted rethrows the last error', (b, log) => b(failing(log, [new Error('1'), new Error('2'), new Error('3')]) as () => Promise<unknown>, { numOfAttempts: 2, retry: retryLog(log) })],
  ['numOfAttempts 0 means 1', (b, log) => b(failing(log, [new Error('only')]) as () => Promise<unknown>, { numOfAttempts: 0, retry: retryLog(log) })],
  ['retry false stops, and is awaited', (b, log) => b(failing(log, [new Error('a'), new Error('b')]) as () => Promise<unknown>, { retry: retryLog(log, async (n) => n < 2) })],
];

paritySuite('exponential-backoff parity: same waits, callbacks and outcome as exponential-backoff 3.1.3', impls, scenarios);

describe('where exponential-backoff misbehaves, velo-retry/exponential-backoff does not', () => {
  it('validates its options (the original retried forever with numOfAttempts "abc")', async () => {
    await expect(ours(async () => 1, { numOfAttempts: 'abc' as never })).rejects.toThrow(/numOfAttempts must be a number, got "abc"/);
    await expect(ours(async () => 1, { jitter: 'half' as never })).rejects.toThrow(RangeError);
    await expect(ours(async () => 1, { startingDelay: -1 })).rejects.toThrow(RangeError);
    await expect(ours(1 as never)).rejects.toThrow(TypeError);
  });

  it('waits a delay past 2^31 - 1 ms (setTimeout fired it at once)', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const p = ours(async () => { if (calls++ < 1) throw new Error('x'); return calls; }, { startingDelay: 2 ** 31 + 1000 });
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(p).resolves.toBe(2);
    vi.useRealTimers();
  });

  it('feeds RetryMetrics', async () => {
    const metrics = new RetryMetrics({ implementation: 'js' });
    await ours(failing(() => {}, [new Error('Broker: Not enough in-sync replicas'), new Error('not enough replicas')]) as () => Promise<unknown>, { startingDelay: 1, metrics });
    expect(metrics.snapshot()).toMatchObject({ attempts: 3, successes: 1, retries: 2, errors: { Network: 2 } });
  });
});
