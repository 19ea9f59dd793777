import original, { AbortError as OriginalAbortError, makeRetriable as originalMakeRetriable } from 'p-retry';
import { describe, expect, it } from 'vitest';
import ours, { AbortError, makeRetriable } from '../../ts/compat/p-retry';
import { RetryMetrics } from '../../ts';
import { failing, paritySuite } from '../support/parity';

type PRetry = typeof ours;
interface Impl {
  p: PRetry;
  Abort: typeof AbortError;
  make: typeof makeRetriable;
}
const impls: [string, Impl][] = [
  [
    'p-retry 9.0.0',
    {
      p: original as unknown as PRetry,
      Abort: OriginalAbortError as unknown as typeof AbortError,
      make: originalMakeRetriable as unknown as typeof makeRetriable,
    },
  ],
  ['velo-retry/p-retry', { p: ours, Abort: AbortError, make: makeRetriable }],
];

const ctx = (c: { error: Error; attemptNumber: number; retriesLeft: number; retriesConsumed: number; retryDelay: number }) => [
  c.error.message,
  c.attemptNumber,
  c.retriesLeft,
  c.retriesConsumed,
  c.retryDelay,
];

type Scenario = (impl: Impl, log: (...e: unknown[]) => void) => Promise<unknown>;

const scenarios: [string, Scenario, number[]?][] = [
  ['success at once', ({ p }, log) => p(failing(log, []))],
  [
    'three failures then success: delays, contexts',
    ({ p }, log) =>
      p(failing(log, [new Error('a'), new Error('b'), new Error('c')]), { minTimeout: 100, onFailedAttempt: (c) => log('onFailedAttempt', ...ctx(c)) }),
  ],
  [
    'randomize with Math.random stubbed, factor 3, maxTimeout cap',
    ({ p }, log) =>
      p(failing(log, [new Error('a'), new Error('b'), new Error('c'), new Error('d')]), {
        minTimeout: 50,
        factor: 3,
        maxTimeout: 700,
        randomize: true,
        onFailedAttempt: (c) => log('f', ...ctx(c)),
      }),
    [0.1, 0.9, 0.5, 0.3],
  ],
  [
    'retries exhausted',
    ({ p }, log) =>
      p(failing(log, [new Error('x1'), new Error('x2'), new Error('x3'), new Error('x4')]), {
        retries: 2,
        minTimeout: 10,
        onFailedAttempt: (c) => log('f', ...ctx(c)),
      }),
  ],
  ['retries 0', ({ p }, log) => p(failing(log, [new Error('once')]), { retries: 0, onFailedAttempt: (c) => log('f', ...ctx(c)) })],
  [
    'AbortError is unwrapped and calls no callback',
    ({ p, Abort }, log) =>
      p(failing(log, [new Error('a'), () => new Abort(new Error('stop here'))]), {
        minTimeout: 5,
        onFailedAttempt: (c) => log('f', ...ctx(c)),
        shouldRetry: () => (log('shouldRetry'), true),
      }),
  ],
  ['AbortError with a message', ({ p, Abort }, log) => p(failing(log, [() => new Abort('just text')]))],
  ['a non-Error throw becomes a TypeError', ({ p }, log) => p(failing(log, ['boom', 'again']), { minTimeout: 5, onFailedAttempt: (c) => log('f', ...ctx(c)) })],
  [
    'a TypeError is not retried, a network TypeError is',
    ({ p }, log) =>
      p(failing(log, [new TypeError('fetch failed'), new TypeError('x is not a function')]), { minTimeout: 5, onFailedAttempt: (c) => log('f', ...ctx(c)) }),
  ],
  [
    'callback order: shouldConsumeRetry, onFailedAttempt, shouldRetry',
    ({ p }, log) =>
      p(failing(log, [new Error('a'), new Error('b'), new Error('c')]), {
        minTimeout: 10,
        shouldConsumeRetry: (c) => (log('consume', ...ctx(c)), c.attemptNumber !== 2),
        onFailedAttempt: async (c) => log('onFailedAttempt', ...ctx(c)),
        shouldRetry: async (c) => (log('shouldRetry', ...ctx(c)), c.attemptNumber < 3),
      }),
  ],
  [
    'shouldConsumeRetry false: the retry is free and immediate',
    ({ p }, log) =>
      p(failing(log, [new Error('a'), new Error('b'), new Error('c')]), {
        retries: 1,
        minTimeout: 10,
        shouldConsumeRetry: (c) => c.error.message !== 'a',
        onFailedAttempt: (c) => log('f', ...ctx(c)),
      }),
  ],
  [
    'minTimeout 0 and factor 0',
    ({ p }, log) => p(failing(log, [new Error('a'), new Error('b'), new Error('c')]), { minTimeout: 0, onFailedAttempt: (c) => log('f', ...ctx(c)) }),
  ],
  [
    'factor 0 keeps the delay constant',
    ({ p }, log) =>
      p(failing(log, [new Error('a'), new Error('b'), new Error('c')]), { minTimeout: 30, factor: 0, onFailedAttempt: (c) => log('f', ...ctx(c)) }),
  ],
  [
    'an abort mid-wait rejects with the reason',
    ({ p }, log) => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('cancelled')), 150);
      return p(failing(log, [new Error('a'), new Error('b'), new Error('c')]), {
        minTimeout: 100,
        signal: ac.signal,
        onFailedAttempt: (c) => log('f', ...ctx(c)),
      });
    },
  ],
  ['an already-aborted signal', ({ p }, log) => p(failing(log, []), { signal: AbortSignal.abort(new Error('before')) })],
  [
    'makeRetriable keeps this and arguments',
    async ({ make }, log) => {
      let n = 0;
      const obj = {
        base: 10,
        add(x: number, y: number) {
          log('add', this.base, x, y);
          if (n++ < 1) throw new Error('first');
          return this.base + x + y;
        },
      };
      const retriable = make(obj.add, { minTimeout: 7 });
      return retriable.call(obj, 1, 2);
    },
  ],
  [
    'null options mean defaults',
    ({ p }, log) => p(failing(log, [new Error('a')]), { retries: null as never, minTimeout: 20, factor: null as never, onFailedAttempt: null as never }),
  ],
];

const validation: [string, object][] = [
  ['retries -1', { retries: -1 }],
  ['retries NaN', { retries: NaN }],
  ['retries 1.5', { retries: 1.5 }],
  ['retries "3"', { retries: '3' }],
  ['forever', { forever: true }],
  ['factor -1', { factor: -1 }],
  ['factor NaN', { factor: NaN }],
  ['factor Infinity', { factor: Infinity }],
  ['minTimeout "1"', { minTimeout: '1' }],
  ['maxTimeout -5', { maxTimeout: -5 }],
  ['maxRetryTime NaN', { maxRetryTime: NaN }],
  ['onFailedAttempt 1', { onFailedAttempt: 1 }],
  ['shouldRetry "no"', { shouldRetry: 'no' }],
  ['shouldConsumeRetry {}', { shouldConsumeRetry: {} }],
  ['randomize 1', { randomize: 1 }],
  ['unref "yes"', { unref: 'yes' }],
  ['signal {}', { signal: {} }],
];

paritySuite('p-retry parity: same waits, callbacks, order and outcome as p-retry 9.0.0', impls, scenarios);

describe('p-retry parity: validation', () => {
  it.each(validation)('validation: %s', async (_name, options) => {
    const errors = [];
    for (const [, { p }] of impls)
      errors.push(
        await p(() => 1, options as never).then(
          () => 'resolved',
          (e: Error) => `${e.constructor.name}: ${e.message}`,
        ),
      );
    expect(errors[1]).toEqual(errors[0]);
    expect(errors[0]).not.toBe('resolved');
  });
});

describe('velo-retry/p-retry extras', () => {
  it('feeds RetryMetrics with categories', async () => {
    const metrics = new RetryMetrics({ implementation: 'js' });
    let n = 0;
    await ours(() => (n++ < 2 ? Promise.reject(new Error('Broker: Leader not available')) : 'ok'), { minTimeout: 1, metrics });
    await ours(() => Promise.reject(new Error('SASL authentication failed')), { retries: 0, metrics }).catch(() => {});
    const s = metrics.snapshot();
    expect(s).toMatchObject({ attempts: 4, successes: 1, failures: 1, retries: 2 });
    expect(s.errors).toMatchObject({ Network: 2, Authentication: 1 });
  });

  it('loads with require() on Node 20 (p-retry 9 is ESM-only and wants Node 22)', async () => {
    const { createRequire } = await import('node:module');
    const req = createRequire(__filename);
    const p = req('velo-retry/p-retry');
    expect(typeof p).toBe('function');
    expect(p.default).toBe(p);
    expect(typeof p.AbortError).toBe('function');
    await expect(p(async (n: number) => n * 3)).resolves.toBe(3);
  });
});
