// Every public entry point, fed arbitrary values (fast-check): each call either works, or fails with
// a TypeError / RangeError naming what it refused (or the documented error of its layer); never a
// crash, a hang or an error of another kind. One option at a time, the others set to values that
// make a valid call end quickly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveLimiter,
  BufferPool,
  RetryError,
  RetryMetrics,
  RetryPolicy,
  calculateDelay,
  categorizeError,
  formatDuration,
  parseDuration,
  retry,
} from '../ts';
import asyncRetry from '../ts/compat/async-retry';
import { backOff } from '../ts/compat/exponential-backoff';
import pRetry from '../ts/compat/p-retry';
import { createConsumer, createProducer, ensureTopic } from '../ts/kafka';

const RUNS = { numRuns: 150 };
/** Anything a caller might pass: primitives, odd numbers, objects, arrays, functions. */
const anything = fc.oneof(
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 0.5, 2 ** 53, '', '5s', '-0s', 'abc', () => 1, Symbol('s')),
);

/** Runs `f`; fails the property unless it settles within `ms` as a value or as an accepted error. */
async function settles(f: () => unknown, accepted: (e: unknown) => boolean, ms = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    (async () => {
      try {
        await f();
        return 'ok';
      } catch (e) {
        return e;
      }
    })(),
    new Promise((resolve) => (timer = setTimeout(() => resolve('hang'), ms))),
  ]);
  clearTimeout(timer);
  if (outcome === 'hang') throw new Error('did not settle');
  if (outcome !== 'ok' && !accepted(outcome)) throw outcome;
}

const refusal = (name: string) => (e: unknown) =>
  (e instanceof TypeError || e instanceof RangeError) && e.message.startsWith('velo-retry: ') && e.message.includes(name);

describe('main entry point', () => {
  it('retry(fn, { option: anything })', async () => {
    const keys = ['strategy', 'jitter', 'retries', 'timeout', 'signal', 'shouldRetry', 'onRetry', 'unref', 'metrics', 'random'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), anything, async (key, value) => {
        await settles(
          () => retry(() => 'done', { [key]: value } as never),
          (e) => refusal(key)(e) || refusal('strategy')(e) || refusal('timeout')(e),
        );
      }),
      RUNS,
    );
  });

  it('parseDuration, formatDuration, calculateDelay, categorizeError', async () => {
    await fc.assert(
      fc.asyncProperty(anything, anything, async (a, b) => {
        await settles(() => parseDuration(a as never), refusal('duration'));
        await settles(() => formatDuration(a as never), refusal('ms'));
        await settles(
          () => calculateDelay(a as never, b as never),
          (e) => refusal('strategy')(e) || refusal('attempt')(e),
        );
        expect(typeof categorizeError(a)).toBe('string'); // any value classifies; it never throws
      }),
      RUNS,
    );
  });

  it('RetryPolicy.fromProperties, RetryPolicy.defaults', async () => {
    const keys = [
      'topic.wait.timeout',
      'topic.retry.strategy',
      'topic.retry.interval',
      'topic.retry.multiplier',
      'topic.retry.max.delay',
      'topic.retry.increment',
    ];
    const envs = ['VELOSTREAM_RETRY_STRATEGY', 'VELOSTREAM_RETRY_INTERVAL_SECS', 'VELOSTREAM_RETRY_MULTIPLIER', 'VELOSTREAM_RETRY_MAX_DELAY_SECS'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), anything, fc.constantFrom(...envs), fc.string(), async (key, value, env, text) => {
        await settles(
          () => RetryPolicy.fromProperties({ [key]: value } as never, {}),
          (e) => refusal(key)(e) || refusal('properties')(e),
        );
        await settles(() => RetryPolicy.defaults({ [env]: text }), refusal(env));
      }),
      RUNS,
    );
  });

  it('RetryMetrics, BufferPool, AdaptiveLimiter options', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('prefix', 'implementation'), anything, async (key, value) => {
        await settles(
          () => new RetryMetrics({ [key]: value } as never),
          (e) => refusal(key)(e) || refusal('options')(e),
        );
      }),
      RUNS,
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('capacity', 'bufferSize', 'implementation'), anything, async (key, value) => {
        await settles(
          () => new BufferPool({ [key]: value } as never),
          (e) => refusal(key)(e) || refusal('options')(e),
        );
      }),
      RUNS,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('limiter', 'min', 'max', 'initial', 'timeout', 'windowSize', 'tolerance', 'metrics', 'name', 'clock'),
        anything,
        async (key, value) => {
          await settles(
            async () => {
              const l = new AdaptiveLimiter({ [key]: value } as never);
              await l.run(() => 1);
            },
            (e) => refusal(key)(e) || refusal('options.m')(e) || refusal('options.i')(e),
          );
        },
      ),
      RUNS,
    );
  });
});

describe('compat entry points', () => {
  it("velo-retry/p-retry: p-retry's own TypeErrors (its messages name the option), or a result", async () => {
    const keys = [
      'retries',
      'factor',
      'minTimeout',
      'maxTimeout',
      'randomize',
      'maxRetryTime',
      'onFailedAttempt',
      'shouldRetry',
      'shouldConsumeRetry',
      'signal',
      'unref',
      'metrics',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), anything, async (key, value) => {
        await settles(
          () => pRetry(() => 'done', { [key]: value } as never),
          (e) => (e instanceof TypeError || e instanceof Error) && (e.message.includes(`\`${key}\``) || refusal(key)(e) || e.message.includes('forever')),
        );
      }),
      RUNS,
    );
  });

  it("velo-retry/async-retry: the original's reading of any value, or a TypeError naming the option", async () => {
    const keys = ['retries', 'factor', 'minTimeout', 'maxTimeout', 'randomize', 'forever', 'maxRetryTime', 'unref', 'onRetry', 'metrics'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), anything, async (key, value) => {
        await settles(
          () => asyncRetry(async () => 'done', { [key]: value } as never),
          // node-retry's own refusal, and the TypeError of a value that cannot even be compared (a Symbol), as there
          (e) => refusal(key)(e) || (e instanceof Error && /minTimeout is greater than maxTimeout|Cannot convert/.test(e.message)),
        );
      }),
      RUNS,
    );
  });

  it("velo-retry/exponential-backoff: the original's reading of any value, or a TypeError naming the option", async () => {
    const keys = ['delayFirstAttempt', 'jitter', 'maxDelay', 'numOfAttempts', 'retry', 'startingDelay', 'timeMultiple', 'metrics'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), anything, async (key, value) => {
        // delayFirstAttempt makes the first call wait: a delay derived from an odd value is at most a few ms
        await settles(
          () => backOff(async () => 'done', { startingDelay: 1, [key]: value } as never),
          (e) => refusal(key)(e) || (e instanceof TypeError && /Cannot convert/.test(e.message)),
          5_000,
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe('kafka options (no broker: a valid call fails to connect, as a RetryError)', () => {
  const config = { 'bootstrap.servers': '127.0.0.1:1' };
  const quick = { connectTimeout: 100, retry: { retries: 0 } };
  const connectFailed = (e: unknown) => e instanceof RetryError;

  it('createProducer', async () => {
    const keys = ['compression', 'idempotence', 'pollInterval', 'properties', 'metrics', 'driver', 'env'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), anything, async (key, value) => {
        await settles(
          () => createProducer(config, { ...quick, [key]: value } as never),
          (e) => refusal(key)(e) || connectFailed(e) || refusal('VELOSTREAM')(e) || refusal('options')(e),
          5_000,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('createConsumer', async () => {
    const keys = [
      'topics',
      'ordering',
      'concurrency',
      'maxBuffered',
      'commitInterval',
      'drainTimeout',
      'batchSize',
      'name',
      'waitTimeout',
      'onTopicWait',
      'fromBeginning',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), anything, async (key, value) => {
        await settles(
          () => createConsumer({ ...config, 'group.id': 'fuzz' }, { topics: ['t'], waitTimeout: 0, ...quick, [key]: value } as never),
          (e) => refusal(key)(e) || connectFailed(e),
          5_000,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('config values and topic names', async () => {
    const keys = ['bootstrap.servers', 'message.timeout.ms', 'enable.idempotence', 'compression.codec', 'linger.ms', 'client.id', 'acks'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), anything, fc.string({ maxLength: 300 }), async (key, value, topic) => {
        await settles(
          () => createProducer({ ...config, [key]: value } as never, quick),
          (e) => refusal(`config["${key}"]`)(e) || refusal('config')(e) || connectFailed(e),
          5_000,
        );
        await settles(
          () => ensureTopic(config, topic, {}, quick),
          (e) => refusal('topic')(e) || connectFailed(e) || e instanceof Error,
          5_000,
        );
      }),
      { numRuns: 40 },
    );
  });
});
