import { describe, expect, it } from 'vitest';
import { RetryPolicy } from '../ts';

describe('RetryPolicy', () => {
  it('defaults to the product values: exponential 2s x1.5 max 120s, no topic wait', () => {
    expect(RetryPolicy.defaults({})).toEqual({ strategy: { kind: 'exponential', initial: 2000, max: 120_000, multiplier: 1.5 }, waitTimeout: 0 });
    expect(RetryPolicy.topicDefaults({})).toEqual({ partitions: -1, replicationFactor: -1 });
  });

  it('reads VELOSTREAM_RETRY_* env', () => {
    const env = { VELOSTREAM_RETRY_STRATEGY: 'Linear', VELOSTREAM_RETRY_INTERVAL_SECS: '3', VELOSTREAM_RETRY_MAX_DELAY_SECS: '30' };
    expect(RetryPolicy.defaults(env).strategy).toEqual({ kind: 'linear', initial: 3000, increment: 3000, max: 30_000 });
    expect(RetryPolicy.defaults({ VELOSTREAM_RETRY_STRATEGY: 'fixed', VELOSTREAM_RETRY_INTERVAL_SECS: '0.5' }).strategy).toEqual({
      kind: 'fixed',
      interval: 500,
    });
    expect(RetryPolicy.defaults({ VELOSTREAM_RETRY_STRATEGY: 'exp', VELOSTREAM_RETRY_MULTIPLIER: '2' }).strategy).toMatchObject({
      kind: 'exponential',
      multiplier: 2,
    });
    expect(RetryPolicy.topicDefaults({ VELOSTREAM_DEFAULT_PARTITIONS: '6', VELOSTREAM_DEFAULT_REPLICATION_FACTOR: '3' })).toEqual({
      partitions: 6,
      replicationFactor: 3,
    });
  });

  it('lets properties beat env, field by field', () => {
    const env = { VELOSTREAM_RETRY_STRATEGY: 'fixed', VELOSTREAM_RETRY_INTERVAL_SECS: '9', VELOSTREAM_RETRY_MULTIPLIER: '3' };
    const props = { 'topic.retry.strategy': 'exponential', 'topic.retry.max.delay': '1m', 'topic.wait.timeout': '30s' };
    expect(RetryPolicy.fromProperties(props, env)).toEqual({
      strategy: { kind: 'exponential', initial: 9000, max: 60_000, multiplier: 3 },
      waitTimeout: 30_000,
    });
    const linear = new Map([
      ['topic.retry.strategy', 'linear'],
      ['topic.retry.interval', '500ms'],
      ['topic.retry.increment', '250ms'],
    ]);
    expect(RetryPolicy.fromProperties(linear, {}).strategy).toEqual({ kind: 'linear', initial: 500, increment: 250, max: 120_000 });
    expect(RetryPolicy.fromProperties({ 'topic.retry.interval': 5 }, {}).strategy).toMatchObject({ initial: 5000 }); // bare number: seconds
  });

  it('names the variable or property and the value when one cannot be parsed (upstream used the default)', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => RetryPolicy.defaults({ VELOSTREAM_RETRY_STRATEGY: 'random' }), /env VELOSTREAM_RETRY_STRATEGY .*"random"/],
      [() => RetryPolicy.defaults({ VELOSTREAM_RETRY_INTERVAL_SECS: '5s' }), /env VELOSTREAM_RETRY_INTERVAL_SECS must be a number of seconds.*"5s"/],
      [() => RetryPolicy.defaults({ VELOSTREAM_RETRY_MULTIPLIER: '0.5' }), /env VELOSTREAM_RETRY_MULTIPLIER must be a number >= 1.*"0.5"/],
      [() => RetryPolicy.defaults({ VELOSTREAM_RETRY_MAX_DELAY_SECS: '-1' }), /VELOSTREAM_RETRY_MAX_DELAY_SECS/],
      [
        () => RetryPolicy.defaults({ VELOSTREAM_RETRY_INTERVAL_SECS: '10', VELOSTREAM_RETRY_MAX_DELAY_SECS: '5' }),
        /VELOSTREAM_RETRY_MAX_DELAY_SECS must be a delay >= the interval/,
      ],
      [() => RetryPolicy.topicDefaults({ VELOSTREAM_DEFAULT_PARTITIONS: 'many' }), /VELOSTREAM_DEFAULT_PARTITIONS/],
      [() => RetryPolicy.topicDefaults({ VELOSTREAM_DEFAULT_REPLICATION_FACTOR: '1.5' }), /VELOSTREAM_DEFAULT_REPLICATION_FACTOR must be an integer/],
      [() => RetryPolicy.fromProperties({ 'topic.wait.timeout': 'soon' }, {}), /property topic.wait.timeout .*"soon"/],
      [() => RetryPolicy.fromProperties({ 'topic.retry.interval': '-5s' }, {}), /property topic.retry.interval/],
      [() => RetryPolicy.fromProperties({ 'topic.retry.multiplier': 'x2' }, {}), /property topic.retry.multiplier/],
    ];
    for (const [f, re] of cases) expect(f).toThrow(re);
    expect(() => RetryPolicy.defaults({ VELOSTREAM_RETRY_MULTIPLIER: 'x' })).toThrow(RangeError);
    expect(() => RetryPolicy.fromProperties(null as never)).toThrow(TypeError);
    expect(() => RetryPolicy.fromProperties({ 'topic.retry.interval': {} as never })).toThrow(TypeError);
  });
});
