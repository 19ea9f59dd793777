// The error vocabulary: every class is an Error and a VeloRetryError with a stable code and a
// retriable flag, and each is what the condition it names throws.
import { describe, expect, it } from 'vitest';
import {
  BufferPool,
  BufferReleasedTwiceError,
  DeliveryUnknownError,
  DriverMissingError,
  FlushTimeoutError,
  NativeUnavailableError,
  ProducerClosedError,
  RetryError,
  VeloRetryError,
  categorizeError,
  retry,
} from '../ts';
import { loadDriver } from '../ts/kafka/driver';

describe('error classes', () => {
  it.each([
    [new ProducerClosedError('closed'), 'ProducerClosedError', 'ERR_PRODUCER_CLOSED', false],
    [new DeliveryUnknownError('unknown'), 'DeliveryUnknownError', 'ERR_DELIVERY_UNKNOWN', false],
    [new FlushTimeoutError('slow'), 'FlushTimeoutError', 'ERR_FLUSH_TIMEOUT', true],
    [new DriverMissingError('none'), 'DriverMissingError', 'ERR_KAFKA_DRIVER_MISSING', false],
    [new NativeUnavailableError('BufferPool', 'forced'), 'NativeUnavailableError', 'ERR_NATIVE_UNAVAILABLE', false],
    [new BufferReleasedTwiceError(), 'BufferReleasedTwiceError', 'ERR_BUFFER_RELEASED_TWICE', false],
    [new RetryError(new Error('x'), 3, 10, 'Network', false), 'RetryError', 'ERR_RETRY_EXHAUSTED', false],
    [new RetryError(new Error('x'), 3, 10, 'Timeout', true), 'RetryError', 'ERR_RETRY_TIMEOUT', false],
  ] as const)('%s: name, code, retriable, instanceof', (error, name, code, retriable) => {
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(VeloRetryError);
    expect(error).toMatchObject({ name, code, retriable });
    expect(String(error)).toContain(name);
  });

  it('the engine reads `retriable`: a ProducerClosedError is not retried, a FlushTimeoutError is (as Timeout)', async () => {
    let calls = 0;
    await expect(retry(() => (calls++, Promise.reject(new ProducerClosedError('gone'))), { strategy: { kind: 'fixed', interval: 1 } })).rejects.toMatchObject({
      attempts: 1,
    });
    expect(calls).toBe(1);
    expect(categorizeError(new FlushTimeoutError('slow'))).toBe('Timeout');
    calls = 0;
    await retry(() => (calls++ < 2 ? Promise.reject(new FlushTimeoutError('slow')) : 'flushed'), { strategy: { kind: 'fixed', interval: 1 } });
    expect(calls).toBe(3);
  });

  it('is what each condition throws: a buffer released twice, a driver that is not one', () => {
    const pool = new BufferPool({ capacity: 2, bufferSize: 16, implementation: 'js' });
    const b = pool.get();
    pool.release(b);
    expect(() => pool.release(b)).toThrow(BufferReleasedTwiceError);
    expect(() => loadDriver({})).toThrow(TypeError); // a wrong argument stays a TypeError
  });
});
