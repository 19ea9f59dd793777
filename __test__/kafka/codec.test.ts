// Value codecs through the real broker: what the producer encodes the consumer's handler reads as
// `data`; a record whose value does not decode never reaches the handler, is not retried, and goes
// to the dead-letter topic with the codec's error.
import { afterAll, describe, expect, it } from 'vitest';
import { createConsumer, createProducer, ensureTopic, type IncomingMessage, type Serializer, type VeloConsumer } from '../../ts/kafka';
import { config, unique } from '../support/kafka';
import { userField } from '../support/avro';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});

interface Event {
  id: string;
  seq: number;
  user: { id: number; name: string };
  tags: string[];
}
const schema = {
  type: 'record',
  name: 'Event',
  fields: [{ name: 'id', type: 'string' }, { name: 'seq', type: 'int' }, userField, { name: 'tags', type: { type: 'array', items: 'string' } }],
};
const eventOf = (seq: number): Event => ({ id: `e-${seq}`, seq, user: { id: seq % 5, name: `user ${seq % 5}` }, tags: seq % 2 ? ['odd'] : [] });

async function consumeAll<T>(c: VeloConsumer<T>, n: number): Promise<{ messages: IncomingMessage<T>[]; calls: number }> {
  const messages: IncomingMessage<T>[] = [];
  let calls = 0;
  const timer = setTimeout(() => c.stop(), 20_000);
  await c.run((m) => {
    calls++;
    messages.push(m);
    if (messages.length === n) c.stop();
  });
  clearTimeout(timer);
  return { messages, calls };
}

describe.each<[string, Serializer, object]>([
  ['json', 'json', {}],
  ['msgpack', 'msgpack', {}],
  ['avro', 'avro', { schema }],
])('serializer %s, producer to consumer', (_name, serializer, extra) => {
  it('the handler reads each event as sent, in order per key; a record that does not decode goes to the dead-letter topic, once, unretried', async () => {
    const topic = unique(`codec-${_name}`);
    await ensureTopic(config, topic, { partitions: 2, replicationFactor: 1 });
    const N = 200;
    const p = await createProducer<Event>(config, { serializer, ...extra });
    closers.push(() => p.close());
    const plain = await createProducer(config);
    closers.push(() => plain.close());
    await p.sendMany(Array.from({ length: N / 2 }, (_, i) => ({ topic, key: `k${i % 5}`, value: eventOf(i) })));
    await plain.send({ topic, key: 'k0', value: Buffer.from([0xc1, 0xff, 0xfe, 0x00, 0x01]) }); // no codec reads this
    for (let i = N / 2; i < N; i++) await p.send({ topic, key: `k${i % 5}`, value: eventOf(i) });

    const dead: unknown[] = [];
    const c = await createConsumer<Event>(
      { ...config, 'group.id': unique('g') },
      { topics: [topic], fromBeginning: true, serializer, ...extra, deadLetter: true, createTopics: true, onDeadLetter: (_m, e) => dead.push(e) },
    );
    closers.push(() => c.close(5_000));
    const { messages, calls } = await consumeAll(c, N);
    expect(messages.map((m) => m.data.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(calls).toBe(N); // the bad record never reached the handler
    for (const m of messages) expect(m.data).toEqual(eventOf(m.data.seq));
    for (let k = 0; k < 5; k++) {
      const seqs = messages.filter((m) => m.key?.toString() === `k${k}`).map((m) => m.data.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ name: 'CodecError', code: 'ERR_DESERIALIZE', retriable: false });

    // The dead letter holds the original bytes and says why.
    const reader = await createConsumer({ ...config, 'group.id': unique('reader') }, { topics: [`${topic}-dlt`], fromBeginning: true, waitTimeout: 10_000 });
    closers.push(() => reader.close(5_000));
    const { messages: letters } = await consumeAll(reader, 1);
    expect(letters).toHaveLength(1);
    expect([...letters[0]!.value!]).toEqual([0xc1, 0xff, 0xfe, 0x00, 0x01]);
    expect(letters[0]!.headers['kafka_dlt-exception-message']!.toString()).toContain(`the ${_name} codec could not decode a record's value`);
  }, 60_000);
});

describe('a send the codec cannot encode', () => {
  it('rejects that send only, naming the codec and the field; the others are delivered', async () => {
    const topic = unique('codec-bad');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await createProducer<Record<string, unknown>>(config, { serializer: 'avro', schema });
    closers.push(() => p.close());
    const results = await Promise.allSettled([
      p.send({ topic, value: eventOf(1) as never }),
      p.send({ topic, value: { ...eventOf(2), seq: 'two' } }),
      p.send({ topic, value: eventOf(3) as never }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const reason = (results[1] as PromiseRejectedResult).reason as Error;
    expect(reason).toMatchObject({ name: 'CodecError', code: 'ERR_SERIALIZE', codec: 'avro' });
    expect(reason.message).toMatch(/at message.value.seq: "two" is not a valid "int"/);
    await expect(
      p.sendMany([
        { topic, value: eventOf(4) as never },
        { topic, value: { id: 5 } },
      ]),
    ).rejects.toThrow(/at messages\[1\].value.id: 5 \(number\) is not a valid "string"/);
  });
});

describe("compression: 'auto' on the real broker", () => {
  it('applies the advice to compression.codec (JSON events: a codec, not none) and the messages arrive', async () => {
    const topic = unique('auto-compression');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const samples = Array.from({ length: 500 }, (_, i) => eventOf(i));
    const p = await createProducer<Event>(config, { serializer: 'json', compression: 'auto', samples, compressionGoal: 'bandwidth' });
    closers.push(() => p.close());
    console.log(`compression auto: ${p.compression} (${p.compressionAdvice?.reason})`);
    expect(p.compressionAdvice).toBeDefined();
    expect(p.compression).toBe(p.compressionAdvice!.recommendation);
    expect(p.compression).not.toBe('none');
    expect((p.client as unknown as { globalConfig: Record<string, unknown> }).globalConfig['compression.codec']).toBe(p.compression);
    await p.sendMany(samples.map((value) => ({ topic, value })));
    const c = await createConsumer<Event>({ ...config, 'group.id': unique('g') }, { topics: [topic], fromBeginning: true, serializer: 'json' });
    closers.push(() => c.close(5_000));
    const { messages } = await consumeAll(c, samples.length);
    expect(messages.map((m) => m.data)).toEqual(samples);
  });
});
