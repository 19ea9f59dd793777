import original from 'async-retry';
import { describe, expect, it, vi } from 'vitest';
import ours from '../../ts/compat/async-retry';
import { RetryMetrics } from '../../ts';
import { failing, paritySuite } from '../support/parity';

type AsyncRetry = typeof ours;
const impls: [string, AsyncRetry][] = [
  ['async-retry 1.3.3', original as unknown as AsyncRetry],
  ['velo-retry/async-retry', ours],
];

type Scenario = (r: AsyncRetry, log: (...e: unknown[]) => void) => Promise<unknown>;
const onRetry = (log: (...e: unknown[]) => void) => (e: Error, n: number) => log('onRetry', e.message, n);

const scenarios: [string, Scenario, number[]?][] = [
  ['success at once', (r, log) => r((_bail, n) => failing(log, [])(n))],
  [
    'randomize (on by default): delays drawn up front and sorted',
    (r, log) => {
      const f = failing(log, [new Error('a'), new Error('b'), new Error('c')]);
      return r((_bail, n) => f(n), { retries: 4, minTimeout: 100, onRetry: onRetry(log) });
    },
    [0.9, 0.1, 0.5, 0.0],
  ],
  [
    'randomize off, factor 3, maxTimeout',
    (r, log) => {
      const f = failing(log, [new Error('a'), new Error('b'), new Error('c'), new Error('d')]);
      return r((_bail, n) => f(n), { randomize: false, factor: 3, minTimeout: 10, maxTimeout: 200, onRetry: onRetry(log) });
    },
  ],
  [
    'the final error is the most frequent message',
    (r, log) => {
      const f = failing(log, [new Error('a'), new Error('b'), new Error('a'), new Error('c')]);
      return r((_bail, n) => f(n), { retries: 3, randomize: false, minTimeout: 1, onRetry: onRetry(log) });
    },
  ],
  [
    'ties go to the latest',
    (r, log) => {
      const f = failing(log, [new Error('a'), new Error('b'), new Error('c')]);
      return r((_bail, n) => f(n), { retries: 2, randomize: false, minTimeout: 1 });
    },
  ],
  [
    'a synchronous throw is retried',
    (r, log) => {
      let n = 0;
      return r(
        (_b, num) => {
          log('call', num);
          if (n++ < 1) throw new Error('sync');
          return 'ok';
        },
        { randomize: false, minTimeout: 5, onRetry: onRetry(log) },
      );
    },
  ],
  [
    'bail rejects with its error',
    (r, log) =>
      r(
        async (bail, n) => {
          log('call', n);
          if (n === 2) bail(new Error('bailed'));
          else throw new Error('retry me');
        },
        { randomize: false, minTimeout: 5, onRetry: onRetry(log) },
      ),
  ],
  [
    'bail() with no error',
    (r, log) =>
      r(async (bail, n) => {
        log('call', n);
        bail();
      }),
  ],
  [
    'an error with .bail stops at once',
    (r, log) =>
      r(
        async (_b, n) => {
          log('call', n);
          throw Object.assign(new Error('fatal'), { bail: true });
        },
        { onRetry: onRetry(log) },
      ),
  ],
  [
    'forever reuses the last delay',
    (r, log) => {
      const f = failing(
        log,
        Array.from({ length: 5 }, (_, i) => new Error(`e${i}`)),
      );
      return r((_b, n) => f(n), { retries: 2, forever: true, randomize: false, minTimeout: 10, onRetry: onRetry(log) });
    },
  ],
  ['minTimeout greater than maxTimeout', (r, log) => r((_b, n) => failing(log, [])(n), { minTimeout: 10, maxTimeout: 5 })],
  ['retries 0', (r, log) => r((_b, n) => failing(log, [new Error('only')])(n), { retries: 0 })],
];

paritySuite('async-retry parity: same waits, callbacks and outcome as async-retry 1.3.3', impls, scenarios);

// The validation policy: values node-retry reads (with JavaScript's coercion) give its result.
const odd: [string, Record<string, unknown>][] = [
  ['retries "3"', { retries: '3' }],
  ['retries "abc": one attempt', { retries: 'abc' }],
  ['retries null', { retries: null }],
  ['retries undefined, given', { retries: undefined }],
  ['retries true', { retries: true }],
  ['retries -1', { retries: -1 }],
  ['retries 2.5', { retries: 2.5 }],
  ['factor "3"', { factor: '3' }],
  ['factor "abc"', { factor: 'abc' }],
  ['factor null', { factor: null }],
  ['minTimeout "10"', { minTimeout: '10' }],
  ['minTimeout "abc"', { minTimeout: 'abc' }],
  ['minTimeout null', { minTimeout: null }],
  ['minTimeout -5', { minTimeout: -5 }],
  ['maxTimeout "50"', { maxTimeout: '50' }],
  ['maxTimeout null', { maxTimeout: null, minTimeout: 0 }],
  ['maxTimeout "abc"', { maxTimeout: 'abc' }],
  ['minTimeout > maxTimeout as strings', { minTimeout: '9', maxTimeout: '10' }],
  ['randomize 0', { randomize: 0 }],
  ['randomize "yes"', { randomize: 'yes' }],
  ['forever 1', { forever: 1, retries: 1 }],
  ['maxRetryTime "100000"', { maxRetryTime: '100000' }],
  ['unref 1', { unref: 1 }],
  ['onRetry 0 (falsy: ignored)', { onRetry: 0 }],
];
paritySuite(
  'async-retry parity: odd option values read as the original reads them',
  impls,
  odd.map(([name, options]) => [
    name,
    (r, log) => {
      const f = failing(log, [new Error('a'), new Error('b'), new Error('c')]);
      return r((_b, n) => f(n), { minTimeout: 7, onRetry: onRetry(log), ...options } as never);
    },
    [0.2, 0.7, 0.4],
  ]),
);

describe('where async-retry misbehaves, velo-retry/async-retry does not', () => {
  it('bail stops the retries (the original rejects, then keeps calling fn)', async () => {
    const counts: number[] = [];
    for (const [, r] of impls) {
      vi.useFakeTimers();
      let calls = 0;
      const p = r(
        async (bail) => {
          calls++;
          if (calls === 1) {
            bail(new Error('stop'));
            throw new Error('thrown after bail');
          }
          throw new Error('again');
        },
        { retries: 3, randomize: false, minTimeout: 10 },
      ).catch(() => {});
      await vi.runAllTimersAsync();
      await p;
      vi.useRealTimers();
      counts.push(calls);
    }
    expect(counts).toEqual([4, 1]); // original: 1 + 3 retries after the bail; ours: none
  });

  it('retries: Infinity works (node-retry builds an endless array of delays)', async () => {
    vi.useFakeTimers();
    let n = 0;
    const p = ours(
      async () => {
        if (n++ < 50) throw new Error('flaky');
        return n;
      },
      { retries: Infinity, randomize: false, minTimeout: 1, maxTimeout: 4 },
    );
    await vi.runAllTimersAsync();
    await expect(p).resolves.toBe(51);
    vi.useRealTimers();
  });

  it('an onRetry that is not a function is a TypeError at the call (the original never settled)', async () => {
    await expect(ours(async () => 1, { onRetry: 'log' as never })).rejects.toThrow(/velo-retry: onRetry must be a function, got "log"/);
  });

  it("retries: 'Infinity' is unbounded too (node-retry ran out of memory drawing its delays)", async () => {
    vi.useFakeTimers();
    let n = 0;
    const p = ours(
      async () => {
        if (n++ < 30) throw new Error('flaky');
        return n;
      },
      { retries: 'Infinity' as never, randomize: false, minTimeout: 1, maxTimeout: 2 },
    );
    await vi.runAllTimersAsync();
    await expect(p).resolves.toBe(31);
    vi.useRealTimers();
  });

  it('an onRetry that throws rejects with its error', async () => {
    const boom = new Error('hook');
    await expect(
      ours(
        async () => {
          throw new Error('x');
        },
        {
          minTimeout: 1,
          onRetry: () => {
            throw boom;
          },
        },
      ),
    ).rejects.toBe(boom);
  });

  it('feeds RetryMetrics', async () => {
    const metrics = new RetryMetrics({ implementation: 'js' });
    let n = 0;
    await ours(
      async () => {
        if (n++ < 2) throw new Error('Local: Message timed out');
        return 1;
      },
      { minTimeout: 1, randomize: false, metrics },
    );
    const s = metrics.snapshot();
    expect(s).toMatchObject({ attempts: 3, successes: 1, retries: 2 });
    expect(s.errors.Timeout).toBe(2);
  });
});
