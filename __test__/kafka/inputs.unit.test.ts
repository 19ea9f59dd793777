// Bad input refused at the door, before anything connects: librdkafka config values of the wrong
// type, and topic names Kafka would refuse. No broker needed.
import { describe, expect, it } from 'vitest';
import { createConsumer, createProducer, deleteTopic, ensureTopic } from '../../ts/kafka';
import { checkTopicName } from '../../ts/kafka/topic-name';

describe('librdkafka config values, checked against their type', () => {
  it.each([
    [{ 'bootstrap.servers': 9092 }, TypeError, /config\["bootstrap.servers"\] must be a string, got 9092 \(number\)/],
    [
      { 'bootstrap.servers': '127.0.0.1:1', 'message.timeout.ms': 'soon' },
      TypeError,
      /config\["message.timeout.ms"\] must be an integer \(or its text\), got "soon"/,
    ],
    [{ 'bootstrap.servers': '127.0.0.1:1', 'message.timeout.ms': -5 }, RangeError, /config\["message.timeout.ms"\] must be within 0 .. 2147483647/],
    [{ 'bootstrap.servers': '127.0.0.1:1', 'linger.ms': true }, TypeError, /config\["linger.ms"\] must be a number/],
    [
      { 'bootstrap.servers': '127.0.0.1:1', 'enable.idempotence': 'yes' },
      TypeError,
      /config\["enable.idempotence"\] must be a boolean \(or "true" \/ "false"\), got "yes"/,
    ],
    [
      { 'bootstrap.servers': '127.0.0.1:1', 'compression.codec': 'brotli' },
      RangeError,
      /config\["compression.codec"\] must be one of none, gzip, snappy, lz4, zstd, inherit, got "brotli"/,
    ],
    [{ 'bootstrap.servers': '127.0.0.1:1', 'security.protocol': 7 }, TypeError, /config\["security.protocol"\] must be one of plaintext/],
    [{ 'bootstrap.servers': '127.0.0.1:1', dr_cb: 'yes' }, TypeError, /config\["dr_cb"\] must be a boolean or a function/],
  ])('createProducer refuses %j at once', async (config, kind, message) => {
    const t0 = performance.now();
    const attempt = createProducer(config as never);
    await expect(attempt).rejects.toThrow(kind);
    await expect(attempt).rejects.toThrow(message);
    expect(performance.now() - t0).toBeLessThan(500); // at the door, not after a connect timeout
  });

  it('takes numbers as text, booleans as text, and enums in any case, as librdkafka does', async () => {
    // These get past the check: they fail only to connect (nothing listens on port 1).
    const config = {
      'bootstrap.servers': '127.0.0.1:1',
      'linger.ms': '5',
      'enable.idempotence': 'true',
      'compression.codec': 'LZ4',
      'socket.timeout.ms': 1000,
      acks: 'all',
    };
    const attempt = createProducer(config, { connectTimeout: 200, retry: { retries: 0 } });
    await expect(attempt).rejects.not.toThrow(TypeError);
    await expect(attempt).rejects.not.toThrow(RangeError);
  });

  it('createConsumer checks its config the same way', async () => {
    await expect(createConsumer({ 'bootstrap.servers': 1, 'group.id': 'g' }, { topics: ['t'] })).rejects.toThrow(
      /config\["bootstrap.servers"\] must be a string/,
    );
    await expect(createConsumer({ 'bootstrap.servers': 'x', 'group.id': 'g', 'session.timeout.ms': 0 }, { topics: ['t'] })).rejects.toThrow(RangeError);
  });
});

describe("topic names, by Kafka's rule", () => {
  const long = 'x'.repeat(300);
  it.each([['x'.repeat(249)], ['orders'], ['a.b-c_D9']])('%s is a name', (t) => expect(checkTopicName('topic', t)).toBe(t));
  it.each([[long], [''], ['.'], ['..'], ['with space'], ['ünï'], ['a/b']])('%j is not', (t) => {
    expect(() => checkTopicName('topic', t)).toThrow(RangeError);
    expect(() => checkTopicName('topic', t)).toThrow(/topic must be a Kafka topic name: 1 to 249 characters of \[a-zA-Z0-9._-\]/);
  });

  it('ensureTopic, deleteTopic and createConsumer refuse one at once', async () => {
    const config = { 'bootstrap.servers': '127.0.0.1:1' };
    await expect(ensureTopic(config, long)).rejects.toThrow(RangeError);
    await expect(deleteTopic(config, '..')).rejects.toThrow(RangeError);
    await expect(createConsumer({ ...config, 'group.id': 'g' }, { topics: ['ok', long] })).rejects.toThrow(/options.topics\[1\] must be a Kafka topic name/);
    expect(() => checkTopicName('topic', 42)).toThrow(TypeError);
  });
});
