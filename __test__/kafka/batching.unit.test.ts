// Batching options refused at the door, and the partitioners the batcher mirrors (no broker).
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createProducer } from '../../ts/kafka';
import { murmur2, partitionFor } from '../../ts/kafka/batching';

const config = { 'bootstrap.servers': '127.0.0.1:1' };

describe('options.batching, refused at createProducer', () => {
  it.each([
    [{ batching: { maxMessages: 0 } }, RangeError, /options.batching.maxMessages must be an integer >= 1/],
    [{ batching: { maxMessages: 2.5 } }, RangeError, /options.batching.maxMessages must be an integer/],
    [{ batching: { maxBytes: 10 } }, RangeError, /options.batching.maxBytes must be an integer >= 64/],
    [{ batching: { linger: 'later' } }, RangeError, /options.batching.linger/],
    [{ batching: { size: 5 } }, RangeError, /options.batching must be an object of maxMessages, maxBytes, linger, poolSize, got "key size"/],
    [{ batching: 100 }, TypeError, /options.batching must be an object, got 100/],
  ])('%j', async (options, kind, message) => {
    const attempt = createProducer(config, options as never);
    await expect(attempt).rejects.toThrow(kind);
    await expect(attempt).rejects.toThrow(message);
  });

  it('a partitioner the batcher cannot mirror', async () => {
    await expect(createProducer({ ...config, partitioner: 'fnv1a_random' }, { batching: {} })).rejects.toThrow(
      /config.partitioner must be with batching, one of consistent_random, consistent, murmur2_random, murmur2, random/,
    );
  });
});

describe('partitioners', () => {
  it("murmur2 is Kafka's (the Java client's UtilsTest vectors)", () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, want] of cases) expect(murmur2(Buffer.from(text)) | 0).toBe(want);
  });

  it('consistent: crc32 of the key (of nothing for a null key); *_random: no partition for a null key', () => {
    expect(partitionFor('consistent_random', Buffer.from('order-17'), 12)).toBe(crc32(Buffer.from('order-17')) % 12);
    expect(partitionFor('consistent', null, 12)).toBe(crc32(Buffer.alloc(0)) % 12);
    expect(partitionFor('consistent_random', null, 12)).toBeUndefined();
    expect(partitionFor('murmur2_random', Buffer.from('abc'), 10)).toBe((479470107 & 0x7fffffff) % 10);
    expect(partitionFor('random', Buffer.from('abc'), 10)).toBeUndefined();
  });
});
