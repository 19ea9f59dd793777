// The consumer's options, refused at createConsumer before it connects: no broker needed.
import { describe, expect, it } from 'vitest';
import { createConsumer } from '../../ts/kafka';

const config = { 'bootstrap.servers': '127.0.0.1:1' };

describe('options, checked at createConsumer', () => {
  const base = { topics: ['t'], waitTimeout: 0 };
  it.each([
    [{ ordering: 'keys' }, RangeError, /options.ordering must be "key", "partition" or "unordered", got "keys"/],
    [{ concurrency: 0 }, RangeError, /options.concurrency must be an integer >= 1/],
    [{ concurrency: 2.5 }, RangeError, /options.concurrency must be an integer/],
    [{ concurrency: 'many' }, TypeError, /options.concurrency must be a number \(a fixed limit\) or \{ limiter, min, max, initial \}, got "many"/],
    [{ concurrency: { min: 10, max: 5 } }, RangeError, /options.concurrency.max must be >= options.concurrency.min \(10\), got 5/],
    [{ concurrency: { limiter: 'tcp' } }, RangeError, /options.concurrency.limiter must be one of/],
    [{ concurrency: { maximum: 5 } }, RangeError, /options.concurrency must be an object with limiter, min, max, initial or timeout, got "key maximum"/],
    [{ commitInterval: -1 }, RangeError, /options.commitInterval must be an integer >= 0|options.commitInterval must be a number >= 0/],
    [{ commitInterval: 0 }, RangeError, /options.commitInterval must be at least 1 ms, got 0/],
    [{ maxBuffered: 0 }, RangeError, /options.maxBuffered must be an integer >= 1/],
    [{ drainTimeout: 'soon' }, RangeError, /options.drainTimeout/],
    [{ name: '' }, TypeError, /options.name must be a non-empty string/],
  ])('%j', async (bad, kind, message) => {
    const attempt = createConsumer({ ...config, 'group.id': 'never-joins' }, { ...base, ...bad } as never);
    await expect(attempt).rejects.toThrow(kind);
    await expect(attempt).rejects.toThrow(message);
  });

  it('refuses a rebalance_cb and auto-commit: the consumer does both itself', async () => {
    await expect(createConsumer({ ...config, 'group.id': 'g', rebalance_cb: () => {} }, base)).rejects.toThrow(/config.rebalance_cb must be undefined/);
    await expect(createConsumer({ ...config, 'group.id': 'g', 'enable.auto.commit': true }, base)).rejects.toThrow(
      /config\["enable.auto.commit"\] must be false or unset/,
    );
  });
});
