// The failure paths' pieces that need no broker: the options, the header encodings (Spring's, and
// the text fallback), the routing and the parked-key line.
import { describe, expect, it } from 'vitest';
import { createConsumer } from '../../ts/kafka';
import { FailurePaths } from '../../ts/kafka/consumer/failure';
import { bigIntegerBytes, H, HeaderCodec, readNumber } from '../../ts/kafka/consumer/failure/headers';

const config = { 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'g' };
const base = { topics: ['orders'], waitTimeout: 0 };

describe('failure path options, checked at createConsumer', () => {
  it.each([
    [{ retryTopics: { delays: [] } }, TypeError, /options.retryTopics.delays must be a non-empty array of durations/],
    [{ retryTopics: { delays: ['-1s'] } }, RangeError, /options.retryTopics.delays\[0\]/],
    [
      { retryTopics: { delays: ['10s', '1s'] } },
      RangeError,
      /options.retryTopics.delays\[1\] must be longer than the delay before it \(10000 ms\): delays increase, got "1s"/,
    ],
    [{ retryTopics: { delays: ['1s', '1000ms'] } }, RangeError, /options.retryTopics.delays\[1\] must be longer than the delay before it/],
    [{ retryTopics: 'yes' }, TypeError, /options.retryTopics must be an object/],
    [{ deadLetter: { topic: '' } }, RangeError, /options.deadLetter.topic must be a Kafka topic name/],
    [{ deadLetter: 'dlt' }, TypeError, /options.deadLetter must be true, or \{ topic \}/],
    [{ breaker: { failureRate: 2 } }, RangeError, /options.breaker.failureRate must be a number >= 0 and <= 1, got 2/],
    [{ stallAfter: -5 }, RangeError, /options.stallAfter/],
    [{ onDeadLetter: 'log' }, TypeError, /options.onDeadLetter must be a function/],
    [{ createTopics: 'yes' }, TypeError, /options.createTopics must be a boolean/],
  ])('%j', async (bad, kind, message) => {
    const attempt = createConsumer(config, { ...base, ...bad } as never);
    await expect(attempt).rejects.toThrow(kind);
    await expect(attempt).rejects.toThrow(message);
  });

  it('refuses a derived topic name Kafka would refuse', async () => {
    await expect(createConsumer(config, { topics: ['x'.repeat(240)], waitTimeout: 0, retryTopics: { delays: ['1s'] } })).rejects.toThrow(
      /the topic x+-retry-1000 \(from options.retryTopics/,
    );
  });
});

describe('headers', () => {
  it("encode as Spring's: 4-byte and 8-byte big-endian, BigInteger.toByteArray() for the due time", () => {
    const c = new HeaderCodec(true);
    expect(c.int32(3)).toEqual(Buffer.from([0, 0, 0, 3]));
    expect(c.int64(17)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 17]));
    // Java: BigInteger.valueOf(x).toByteArray()
    expect(bigIntegerBytes(0n)).toEqual(Buffer.from([0]));
    expect(bigIntegerBytes(127n)).toEqual(Buffer.from([0x7f]));
    expect(bigIntegerBytes(128n)).toEqual(Buffer.from([0x00, 0x80]));
    expect(bigIntegerBytes(-1n)).toEqual(Buffer.from([0xff]));
    expect(bigIntegerBytes(-129n)).toEqual(Buffer.from([0xff, 0x7f]));
    expect(bigIntegerBytes(1_733_000_000_000n)).toEqual(Buffer.from([0x01, 0x93, 0x7e, 0xd9, 0x72, 0x00]));
    const due = 1_733_000_000_123;
    expect(readNumber({ [H.dueAt]: c.bigInteger(due) as Buffer }, H.dueAt, 'bigInteger')).toBe(due);
    expect(readNumber({ [H.partition]: c.int32(-2) as Buffer }, H.partition, 'int32')).toBe(-2);
  });

  it('fall back to text, marked as such, when the driver cannot send bytes; malformed values read as absent', () => {
    const t = new HeaderCodec(false);
    expect(t.int32(3)).toBe('3');
    expect(t.bigInteger(1_733_000_000_123)).toBe('1733000000123');
    const text = { [H.encoding]: Buffer.from('text'), [H.offset]: Buffer.from('42'), [H.partition]: Buffer.from('x') };
    expect(readNumber(text, H.offset, 'int64')).toBe(42);
    expect(readNumber(text, H.partition, 'int32')).toBeUndefined();
    expect(readNumber({ [H.partition]: Buffer.from([1, 2]) }, H.partition, 'int32')).toBeUndefined();
    expect(readNumber({ [H.dueAt]: Buffer.alloc(0) }, H.dueAt, 'bigInteger')).toBeUndefined();
  });
});

describe('routing', () => {
  const paths = new FailurePaths(['orders'], [1000, 10_000], (s) => `${s}-dlt`, 'billing', true);

  it('goes through the retry topics in order while the error can clear, then to the dead-letter topic', () => {
    expect(paths.retryTopics).toEqual(['orders-retry-1000', 'orders-retry-10000']);
    expect(paths.route('orders', true)).toEqual({ kind: 'retry', topic: 'orders-retry-1000', stage: 0 });
    expect(paths.route('orders-retry-1000', true)).toEqual({ kind: 'retry', topic: 'orders-retry-10000', stage: 1 });
    expect(paths.route('orders-retry-10000', true)).toEqual({ kind: 'dead-letter', topic: 'orders-dlt' });
    expect(paths.route('orders', false)).toEqual({ kind: 'dead-letter', topic: 'orders-dlt' });
    const noDlt = new FailurePaths(['orders'], [1000], undefined, 'g', true);
    expect(noDlt.route('orders-retry-1000', true)).toBeUndefined(); // nowhere left: run() fails, as without failure paths
  });
});
