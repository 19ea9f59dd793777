// Batching envelopes on the real broker: logical messages in envelopes, mixed with plain records,
// come back each once in key order with their headers; a key goes to the partition librdkafka
// gives it anyway; a failing logical message is retried alone; a malformed envelope is dead-lettered.
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsumer, createProducer, ensureTopic, type IncomingMessage, type VeloConsumer, type VeloProducer } from '../../ts/kafka';
import { committedOffsets, config, endOffsets, unique } from '../support/kafka';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});

async function batchingProducer(options: object = {}): Promise<VeloProducer> {
  const p = await createProducer(config, { batching: { maxMessages: 100, linger: 5 }, ...options });
  closers.push(() => p.close());
  return p;
}

async function consumeAll(c: VeloConsumer, n: number, handler: (m: IncomingMessage) => unknown = () => {}): Promise<IncomingMessage[]> {
  const seen: IncomingMessage[] = [];
  const timer = setTimeout(() => c.stop(), 30_000);
  await c.run(async (m) => {
    await handler(m);
    seen.push(m);
    if (seen.length === n) c.stop();
  });
  clearTimeout(timer);
  return seen;
}

describe('batching envelopes through the broker', () => {
  it('3,000 logical messages in envelopes, plain records between them: each once, in key order, headers kept; far fewer records', async () => {
    const topic = unique('envelopes');
    await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 });
    const p = await batchingProducer();
    const plain = await createProducer(config);
    closers.push(() => plain.close());
    const N = 3_000;
    const sends = [];
    for (let i = 0; i < N; i++) {
      sends.push(p.send({ topic, key: `k${i % 50}`, value: `seq-${i}`, headers: { seq: String(i), bin: Buffer.from([0, i & 255]) } }));
      if (i % 1_000 === 0) await plain.send({ topic, key: `k${i % 50}`, value: `plain-${i}` });
    }
    const deliveries = await Promise.all(sends);
    const ends = await endOffsets(topic, 3);
    const records = ends.reduce((a, b) => a + b, 0);
    const envelopes = new Set(deliveries.map((d) => `${d.partition}:${d.offset}`)).size;
    console.log(`batching: ${N} logical messages in ${envelopes} envelopes, ${records} records in all (3 plain)`);
    expect(records).toBe(envelopes + 3);
    expect(envelopes).toBeLessThanOrEqual(N / 10);
    for (const d of deliveries) {
      expect(d.batch).toBeDefined();
      expect(d.batch!.index).toBeLessThan(d.batch!.count);
    }

    const c = await createConsumer({ ...config, 'group.id': unique('g') }, { topics: [topic], fromBeginning: true, concurrency: 32 });
    closers.push(() => c.close(5_000));
    const seen = await consumeAll(c, N + 3, async () => new Promise((r) => setTimeout(r, Math.random() * 2)));
    const logical = seen.filter((m) => m.batch !== undefined);
    expect(logical).toHaveLength(N);
    expect(
      seen
        .filter((m) => m.batch === undefined)
        .map((m) => m.value!.toString())
        .sort(),
    ).toEqual(['plain-0', 'plain-1000', 'plain-2000']);
    expect(new Set(logical.map((m) => m.value!.toString())).size).toBe(N); // each once
    for (const m of logical) {
      const i = Number(m.headers.seq!.toString());
      expect(m.value!.toString()).toBe(`seq-${i}`);
      expect([...m.headers.bin!]).toEqual([0, i & 255]);
      expect(m.key!.toString()).toBe(`k${i % 50}`);
    }
    for (let k = 0; k < 50; k++) {
      const order = logical.filter((m) => m.key!.toString() === `k${k}`).map((m) => Number(m.headers.seq!.toString()));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    // Where the producer said each went is where the consumer found it.
    const at = new Map(logical.map((m) => [m.value!.toString(), `${m.partition}:${m.offset}:${m.batch!.index}`]));
    deliveries.forEach((d, i) => expect(at.get(`seq-${i}`)).toBe(`${d.partition}:${d.offset}:${d.batch!.index}`));
  }, 60_000);

  it('sends to a topic made after the producer connected wait for its partition count, then keep key order and go where librdkafka puts a key', async () => {
    const p = await batchingProducer();
    const topic = unique('envelopes-late'); // not in the metadata the producer connected with
    await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 });
    const N = 600;
    const keyOf = (i: number) => (i % 3 === 0 ? null : `k${i % 20}`);
    const deliveries = await Promise.all(Array.from({ length: N }, (_, i) => p.send({ topic, key: keyOf(i), value: String(i) })));
    const places = deliveries.map((d) => `${d.partition}:${d.offset}:${d.batch!.index}`);
    expect(new Set(places).size).toBe(N); // each in a place of its own
    const envelopes = new Set(deliveries.map((d) => `${d.partition}:${d.offset}`)).size;
    expect((await endOffsets(topic, 3)).reduce((a, b) => a + b, 0)).toBe(envelopes);
    const last = new Map<string, [number, number]>();
    deliveries.forEach((d, i) => {
      const key = keyOf(i);
      if (key === null) return;
      expect(d.partition).toBe(crc32(Buffer.from(key)) % 3); // consistent_random, as librdkafka
      const at: [number, number] = [d.offset, d.batch!.index];
      const before = last.get(key);
      if (before) expect(at[0] > before[0] || (at[0] === before[0] && at[1] > before[1])).toBe(true); // key order
      last.set(key, at);
    });
    // Keyless messages share one partition per envelope, moved on after each, keyed messages in it or
    // not (they stayed on one partition for good when every envelope there also held keyed ones).
    const keyless = new Set(deliveries.filter((_, i) => keyOf(i) === null).map((d) => d.partition));
    console.log(`late topic: ${N} sends waited for its partition count, ${envelopes} envelopes; keyless ones on partitions ${[...keyless].join(', ')}`);
    expect(keyless.size).toBeGreaterThanOrEqual(2);
  });

  it('close(0) while sends wait for a partition count or fill an envelope: every one rejects ERR_PRODUCER_CLOSED, none written', async () => {
    const p = await createProducer(config, { batching: { maxMessages: 100, linger: 60_000 } }); // no envelope leaves by itself
    const topic = unique('envelopes-closed');
    await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 });
    const outcomes = Array.from({ length: 50 }, (_, i) =>
      p.send({ topic, key: `k${i}`, value: String(i) }).then(
        () => 'delivered',
        (e: unknown) => (e as { code?: string }).code,
      ),
    );
    await p.close(0);
    expect(await Promise.all(outcomes)).toEqual(Array(50).fill('ERR_PRODUCER_CLOSED'));
    expect(await p.send({ topic, value: 'after' }).catch((e: unknown) => (e as { code?: string }).code)).toBe('ERR_PRODUCER_CLOSED');
    expect(await endOffsets(topic, 3)).toEqual([0, 0, 0]);
  });

  it('a pooled buffer goes back once librdkafka has copied the envelope: 500 envelopes through a pool of 2, none missed', async () => {
    const topic = unique('envelope-pool');
    await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 });
    const p = await batchingProducer({ batching: { maxMessages: 100, poolSize: 2 } });
    const deliveries = await p.sendMany(Array.from({ length: 50_000 }, (_, i) => ({ topic, key: `k${i % 30}`, value: `v${i}` })));
    const envelopes = new Set(deliveries.map((d) => `${d.partition}:${d.offset}`)).size;
    const pool = p.envelopePool!;
    console.log(`envelope pool: ${envelopes} envelopes, pool of ${pool.capacity}: ${pool.hits} hits, ${pool.misses} misses, ${pool.available} free after`);
    expect(envelopes).toBeGreaterThanOrEqual(500);
    expect(pool).toMatchObject({ capacity: 2, misses: 0, available: 2 });
    expect(pool.hits).toBe(envelopes);
  });

  it("a compacted topic refuses envelopes (keyless records): the send fails at once, not retried, with the broker's reason", async () => {
    const topic = unique('envelope-compacted');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1, config: { 'cleanup.policy': 'compact' } });
    const p = await batchingProducer();
    const error = await p.send({ topic, key: 'k', value: 'v' }).then(
      () => undefined,
      (e: unknown) => e as Error & { category?: string; attempts?: number },
    );
    console.log(`compacted topic: ${error?.name}: ${error?.message}`);
    expect(error?.message).toMatch(/failed to validate record/i);
    // INVALID_RECORD is the record's fault: one attempt, no retries (it was classified Network, 6 attempts over 27 s).
    expect(error).toMatchObject({ category: 'InvalidRequest', attempts: 1 });
  });

  it('sendMany: one promise for all, results in order, the same envelopes as send()', async () => {
    const topic = unique('envelopes-many');
    await ensureTopic(config, topic, { partitions: 2, replicationFactor: 1 });
    const p = await batchingProducer();
    const N = 1_000;
    const deliveries = await p.sendMany(Array.from({ length: N }, (_, i) => ({ topic, key: `k${i % 4}`, value: String(i) })));
    expect(deliveries).toHaveLength(N);
    const c = await createConsumer({ ...config, 'group.id': unique('g') }, { topics: [topic], fromBeginning: true });
    closers.push(() => c.close(5_000));
    const seen = await consumeAll(c, N);
    const at = new Map(seen.map((m) => [m.value!.toString(), `${m.partition}:${m.offset}:${m.batch!.index}`]));
    deliveries.forEach((d, i) => expect(at.get(String(i))).toBe(`${d.partition}:${d.offset}:${d.batch!.index}`));
    expect(new Set(deliveries.map((d) => `${d.partition}:${d.offset}`)).size).toBeLessThanOrEqual(N / 50);
  });

  it('a key goes to the partition librdkafka gives it as a plain record (consistent_random and murmur2_random)', async () => {
    for (const partitioner of ['consistent_random', 'murmur2_random']) {
      const topic = unique('keys');
      await ensureTopic(config, topic, { partitions: 7, replicationFactor: 1 });
      const batched = await createProducer({ ...config, partitioner }, { batching: { linger: 1 } });
      const plain = await createProducer({ ...config, partitioner });
      closers.push(
        () => batched.close(),
        () => plain.close(),
      );
      const keys = Array.from({ length: 60 }, (_, i) => `customer-${i * 7919}`);
      const a = await Promise.all(keys.map((key) => batched.send({ topic, key, value: 'x' })));
      const b = await Promise.all(keys.map((key) => plain.send({ topic, key, value: 'x' })));
      expect(a.map((d) => d.partition)).toEqual(b.map((d) => d.partition));
      expect(new Set(a.map((d) => d.partition)).size).toBeGreaterThan(3);
    }
  });

  it('a logical message that fails goes through the retry topic alone; its envelope siblings are handled once; all committed', async () => {
    const topic = unique('envelope-retry');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await batchingProducer();
    const N = 300;
    await Promise.all(Array.from({ length: N }, (_, i) => p.send({ topic, key: `k${i % 10}`, value: String(i) })));
    const group = unique('g');
    const c = await createConsumer(
      { ...config, 'group.id': group },
      { topics: [topic], fromBeginning: true, retryTopics: { delays: [200] }, createTopics: true, retry: { retries: 0 } },
    );
    closers.push(() => c.close(5_000));
    const calls = new Map<string, number>();
    let failedOnce = false;
    const seen = await consumeAll(c, N, (m) => {
      const v = m.value!.toString();
      calls.set(v, (calls.get(v) ?? 0) + 1);
      if (v === '142' && !failedOnce) {
        failedOnce = true;
        throw new Error('downstream hiccup');
      }
    });
    expect(new Set(seen.map((m) => m.value!.toString())).size).toBe(N);
    expect(calls.get('142')).toBe(2);
    expect([...calls.entries()].filter(([v, n]) => v !== '142' && n !== 1)).toEqual([]);
    const retried = seen.find((m) => m.value!.toString() === '142')!;
    expect(retried.topic).toBe(`${topic}-retry-200`);
    expect(retried.batch).toBeUndefined(); // a plain record in the retry topic
    await c.close(5_000);
    expect(await committedOffsets(group, topic, 1)).toEqual(await endOffsets(topic, 1));
  }, 60_000);

  it('the commit never passes an envelope with a logical message unfinished; all committed once it is done', async () => {
    const topic = unique('envelope-commit');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await batchingProducer();
    const N = 500;
    const deliveries = await Promise.all(Array.from({ length: N }, (_, i) => p.send({ topic, key: `k${i % 25}`, value: String(i) })));
    const slow = deliveries[250]!;
    const group = unique('g');
    const c = await createConsumer({ ...config, 'group.id': group }, { topics: [topic], fromBeginning: true, concurrency: 16, commitInterval: 100 });
    closers.push(() => c.close(5_000));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let done = 0;
    const run = c.run(async (m) => {
      if (m.value!.toString() === '250') await gate;
      if (++done === N) c.stop();
    });
    // Everything else finishes; the slow one's key (k0: 250, 275, ..., 475) waits behind it.
    const blocked = 10;
    while (done < N - blocked) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 400)); // several commit intervals
    const [whileSlow] = await committedOffsets(group, topic, 1);
    console.log(
      `envelope commit: ${done} of ${N} done, the slow one in the envelope at offset ${slow.offset} (index ${slow.batch!.index}); committed ${whileSlow}`,
    );
    expect(whileSlow).toBeLessThanOrEqual(slow.offset);
    release();
    await run;
    expect(await committedOffsets(group, topic, 1)).toEqual(await endOffsets(topic, 1));
  }, 60_000);

  it('a malformed envelope never reaches the handler and is dead-lettered', async () => {
    const topic = unique('bad-envelope');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const plain = await createProducer(config);
    closers.push(() => plain.close());
    await plain.send({ topic, value: Buffer.from([1, 0, 0, 0]), headers: { 'velo-envelope': '1' } });
    await plain.send({ topic, value: 'after it' });
    const dead: unknown[] = [];
    const c = await createConsumer(
      { ...config, 'group.id': unique('g') },
      { topics: [topic], fromBeginning: true, deadLetter: true, createTopics: true, onDeadLetter: (_m, e) => dead.push(e) },
    );
    closers.push(() => c.close(5_000));
    const seen = await consumeAll(c, 1);
    expect(seen.map((m) => m.value!.toString())).toEqual(['after it']);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ name: 'EnvelopeError', code: 'ERR_ENVELOPE_TOO_SHORT', retriable: false });
  });

  it('envelopes count as their messages in the buffer: a handler held 3 s, never more than maxBuffered logical messages fetched and not started', async () => {
    const topic = unique('envelopes-buffer');
    await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 });
    const p = await batchingProducer();
    const N = 3_000;
    await p.sendMany(Array.from({ length: N }, (_, i) => ({ topic, key: `k${i % 300}`, value: String(i) })));
    const records = (await endOffsets(topic, 3)).reduce((a, b) => a + b, 0);
    const c = await createConsumer({ ...config, 'group.id': unique('g') }, { topics: [topic], fromBeginning: true, concurrency: 8, maxBuffered: 200 });
    closers.push(() => c.close(5_000));
    let hold = true;
    setTimeout(() => (hold = false), 3_000);
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, c.stats.buffered)), 5);
    const seen = await consumeAll(c, N, async () => {
      while (hold) await new Promise((r) => setTimeout(r, 20));
    });
    clearInterval(sampler);
    console.log(`envelope buffer: ${N} logical messages in ${records} records; at most ${most} buffered (maxBuffered 200), ${seen.length} handled`);
    // Before fetches were sized in messages, one consume of 200 records took every envelope: 3,000 buffered.
    expect(records).toBeLessThanOrEqual(N / 50);
    expect(most).toBeGreaterThan(100); // it did fill up
    expect(most).toBeLessThanOrEqual(200);
    expect(new Set(seen.map((m) => m.value!.toString())).size).toBe(N);
  }, 60_000);
});
