// Integration: real node-rdkafka against a real broker (the project's own, or KAFKA_BROKERS).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { FlushTimeoutError, ProducerClosedError, RetryError, RetryMetrics, categorizeError } from '../../ts';
import { createConsumer, createProducer, deleteTopic, ensureTopic, TopicWaitError, type VeloConsumer, type VeloProducer } from '../../ts/kafka';

const brokers = inject('kafkaBrokers');
const log = inject('kafkaLog');
const config = { 'bootstrap.servers': brokers };
const SLACK = 1_500; // metadata round trips and scheduling on a busy 2-core machine
const name = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;
const closers: (() => Promise<unknown>)[] = [];
const fast = { strategy: { kind: 'fixed' as const, interval: 200 }, timeout: 20_000 };

// Any failing test here prints the tail of the broker's log (when this suite started the broker).
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    if (log) console.error(`--- broker log tail (${log}) ---\n${readFileSync(log, 'utf8').split('\n').slice(-60).join('\n')}`);
  });
});

async function producer(opts = {}): Promise<VeloProducer> {
  const p = await createProducer(config, { retry: fast, ...opts });
  closers.push(() => p.close());
  return p;
}

async function consumer(topics: string[], opts = {}): Promise<VeloConsumer> {
  const c = await createConsumer({ ...config, 'group.id': name('group') }, { topics, fromBeginning: true, waitTimeout: 10_000, retry: fast, ...opts });
  closers.push(() => c.close());
  return c;
}

/** Records every offset the consumer's real client is asked to commit (async and sync alike). */
function observeCommits(c: VeloConsumer): number[] {
  const seen: number[] = [];
  for (const method of ['commit', 'commitSync'] as const) {
    const real = c.client[method].bind(c.client);
    c.client[method] = (offsets) => (seen.push(...offsets.map((o) => o.offset)), real(offsets));
  }
  return seen;
}

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});

describe('producer and consumer round trip', () => {
  it('brings back exactly the messages sent: keys, values, headers, per-partition order', async () => {
    const topic = name('roundtrip');
    expect(await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 })).toEqual({ created: true });
    expect(await ensureTopic(config, topic, { partitions: 3, replicationFactor: 1 })).toEqual({ created: false });
    const p = await producer();
    const N = 600;
    const sent = Array.from({ length: N }, (_, i) => ({
      topic,
      key: `key-${i % 17}`,
      value: Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`),
      headers: { seq: String(i), utf8: Buffer.from(`é✓ ${i}`) },
    }));
    const deliveries = await p.sendMany(sent);
    expect(new Set(deliveries.map((d) => d.partition))).toEqual(new Set([0, 1, 2]));
    expect(deliveries.every((d) => d.topic === topic && d.offset >= 0)).toBe(true);

    const c = await consumer([topic]);
    const got: { partition: number; offset: number; key: string; value: string; seq: string; utf8: string }[] = [];
    for await (const m of c) {
      got.push({
        partition: m.partition,
        offset: m.offset,
        key: m.key!.toString(),
        value: m.value!.toString(),
        seq: m.headers.seq!.toString(),
        utf8: m.headers.utf8!.toString(),
      });
      if (got.length === N) break;
    }
    expect(got.map((g) => g.seq).sort()).toEqual(sent.map((_, i) => String(i)).sort());
    for (const g of got) {
      const i = Number(g.seq);
      expect(g).toMatchObject({ key: `key-${i % 17}`, value: sent[i]!.value.toString(), utf8: `é✓ ${i}` });
    }
    // Same key, same partition; within a partition, send order and offset order agree.
    for (const part of [0, 1, 2]) {
      const seqs = got.filter((g) => g.partition === part).map((g) => Number(g.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const byKey = new Map<string, number>();
    for (const g of got) expect(byKey.get(g.key) ?? g.partition).toBe(byKey.set(g.key, g.partition).get(g.key));
  });

  it('sends binary header values as their bytes with the patched node-rdkafka (NUL and non-UTF-8 included)', async () => {
    const topic = name('binary-headers');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await producer();
    expect(p.binaryHeaders).toBe(true); // this project's npm install patches node-rdkafka (scripts/patch-node-rdkafka.cjs)
    const bytes = Buffer.from([0, 0, 0, 3, 0xff, 0xfe, 0x80, 0]);
    await p.send({ topic, value: 'v', headers: { bin: bytes, text: 'a\u0000b', utf8: 'é✓' } });
    const c = await consumer([topic]);
    for await (const m of c) {
      expect(m.headers.bin).toEqual(bytes);
      expect(m.headers.text).toEqual(Buffer.from('a\u0000b'));
      expect(m.headers.utf8!.toString()).toBe('é✓');
      break;
    }
  });

  it('without binary headers, refuses the values node-rdkafka would truncate or mangle, instead of losing them', async () => {
    const p = await producer({ binaryHeaders: false });
    await expect(p.send({ topic: 'any', value: 'x', headers: { bin: Buffer.from([1, 0, 255]) } })).rejects.toThrow(
      /message.headers\["bin"\] must be UTF-8 bytes without NUL/,
    );
    await expect(p.send({ topic: 'any', value: 'x', headers: { bad: Buffer.from([0xff, 0xfe]) } })).rejects.toThrow(RangeError);
    await expect(p.send({ topic: 'any', value: 'x', headers: [['t', 'a\0b']] })).rejects.toThrow(/without NUL/);
    await expect(p.send({ topic: 'any', value: 5 as never })).rejects.toThrow(/message.value must be a Buffer, a string or null/);
    await expect(p.send({ topic: '', value: 'x' })).rejects.toThrow(RangeError); // a string, but not a topic name
  });

  it('refuses an undefined value (a tombstone must be asked for with null) and a topic name Kafka would refuse, at once', async () => {
    const topic = name('tombstone');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await producer();
    await expect(p.send({ topic, value: undefined as never })).rejects.toThrow(
      /message.value must be a Buffer or a string, or null for a tombstone \(undefined is not taken as one\), got undefined/,
    );
    const t0 = performance.now();
    await expect(p.send({ topic: 'x'.repeat(300), value: 'v' })).rejects.toThrow(/message.topic must be a Kafka topic name: 1 to 249 characters/);
    await expect(
      p.sendMany([
        { topic, value: 'ok' },
        { topic: 'bad name', value: 'v' },
      ]),
    ).rejects.toThrow(/messages\[1\].topic must be a Kafka topic name/);
    expect(performance.now() - t0).toBeLessThan(200); // no retries as TopicMissing
    const tombstone = await p.send({ topic, key: 'k', value: null });
    expect(tombstone.offset).toBe(0); // null is a tombstone, written as asked
  });

  it('sendMany validates every message before sending any, and names the bad one by index', async () => {
    const topic = name('many');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await producer();
    await expect(
      p.sendMany([
        { topic, value: 'ok' },
        { topic, value: 7 as never },
      ]),
    ).rejects.toThrow(/messages\[1\]\.value must be a Buffer/);
    expect(await p.sendMany([])).toEqual([]);
    const delivered = await p.sendMany([
      { topic, value: 'first' },
      { topic, value: 'second' },
    ]);
    expect(delivered.map((d) => d.offset)).toEqual([0, 1]); // the rejected batch sent nothing
  });

  it("keeps backpressure when librdkafka's queue is full: none dropped", async () => {
    const topic = name('backpressure');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await createProducer({ ...config, 'queue.buffering.max.messages': 5, 'linger.ms': 20 }, { retry: fast });
    closers.push(() => p.close());
    const deliveries = await p.sendMany(Array.from({ length: 300 }, (_, i) => ({ topic, value: `m${i}` })));
    expect(deliveries).toHaveLength(300);
    expect(new Set(deliveries.map((d) => d.offset)).size).toBe(300);
  });

  it('keeps send() order under backpressure: messages waiting for room go out in the order sent', async () => {
    const topic = name('send-order');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await createProducer({ ...config, 'queue.buffering.max.messages': 5, 'linger.ms': 20 }, { retry: fast });
    closers.push(() => p.close());
    // Issued back to back: after the first five, every send finds the queue full.
    const sends = Array.from({ length: 300 }, (_, i) => p.send({ topic, value: `m${i}` }));
    const offsets = (await Promise.all(sends)).map((d) => d.offset);
    expect(offsets).toEqual(offsets.map((_, i) => i));
    // A send made while others wait for room queues behind them, as does a batch.
    const more = [
      p.send({ topic, value: 'a' }),
      p.sendMany([
        { topic, value: 'b' },
        { topic, value: 'c' },
      ]),
      p.send({ topic, value: 'd' }),
    ];
    const [a, [b, c], d] = (await Promise.all(more)) as unknown as [{ offset: number }, { offset: number }[], { offset: number }];
    expect([a.offset, b!.offset, c!.offset, d.offset]).toEqual([300, 301, 302, 303]);
  });

  it('close() waits for messages still waiting for room, and delivers them', async () => {
    const topic = name('close-backlog');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await createProducer({ ...config, 'queue.buffering.max.messages': 2, 'linger.ms': 50 }, { retry: fast });
    const sends = Array.from({ length: 40 }, (_, i) => p.send({ topic, value: `m${i}` }));
    await expect(p.flush(-1)).rejects.toThrow(/timeout must be .*got -1/);
    await expect(p.close('5s' as never)).rejects.toThrow(TypeError);
    await p.close();
    expect((await Promise.all(sends)).map((d) => d.offset)).toEqual(sends.map((_, i) => i));
    await expect(p.send({ topic, value: 'late' })).rejects.toThrow(/closed/);
  });

  // Both paths of send(): made directly (no total timeout), and through the retry engine (a
  // timeout), where the final error is a RetryError whose cause carries the code.
  it.each([
    ['without', {}],
    ['with', { retry: fast }],
  ])('close() settles every send (%s a total timeout): not sent yet -> ERR_PRODUCER_CLOSED, not reported on -> ERR_DELIVERY_UNKNOWN', async (_, options) => {
    // A topic that does not exist (the broker does not auto-create): librdkafka holds its messages
    // while it waits for the topic's metadata (up to topic.metadata.propagation.max.ms, 30 s), so
    // none is reported on before close.
    const topic = name('never-created');
    const p = await createProducer({ ...config, 'queue.buffering.max.messages': 2, 'allow.auto.create.topics': false }, options);
    const codeOf = (e: unknown) => ((e instanceof RetryError ? e.cause : e) as { code?: unknown }).code;
    const outcomes = Array.from({ length: 5 }, (_, i) => p.send({ topic, value: `m${i}` }).then(() => 'delivered', codeOf));
    await new Promise((r) => setTimeout(r, 500));
    const started = performance.now();
    const closing = p.close(300);
    await expect(closing).rejects.toBeInstanceOf(FlushTimeoutError);
    await expect(closing).rejects.toMatchObject({ code: 'ERR_FLUSH_TIMEOUT', retriable: true }); // the flush timed out
    expect(performance.now() - started).toBeLessThan(300 + SLACK);
    // Two were handed to librdkafka (its queue holds two), three waited for room.
    expect((await Promise.all(outcomes)).sort()).toEqual([...Array(2).fill('ERR_DELIVERY_UNKNOWN'), ...Array(3).fill('ERR_PRODUCER_CLOSED')]);
    const late = p.send({ topic, value: 'late' });
    await expect(late).rejects.toBeInstanceOf(ProducerClosedError);
    await expect(late).rejects.toMatchObject({ code: 'ERR_PRODUCER_CLOSED', retriable: false });
  });

  it('compresses with a codec librdkafka has, and refuses one it lacks', async () => {
    const topic = name('gzip');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await producer({ compression: 'gzip' });
    expect((await p.send({ topic, value: 'z'.repeat(10_000) })).offset).toBe(0);
    const { loadDriver } = await import('../../ts/kafka');
    const missing = ['gzip', 'snappy', 'lz4', 'zstd'].find((c) => !loadDriver().features!.includes(c));
    if (missing)
      await expect(createProducer(config, { compression: missing as 'zstd' })).rejects.toThrow(
        new RegExp(`options.compression must be a codec this librdkafka .* got "${missing}"`),
      );
    await expect(createProducer(config, { compression: 'brotli' as never })).rejects.toThrow(RangeError);
  });

  it('records every send into RetryMetrics', async () => {
    const topic = name('metrics');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const metrics = new RetryMetrics();
    const p = await producer({ metrics });
    await p.sendMany(Array.from({ length: 20 }, (_, i) => ({ topic, value: String(i) })));
    const s = metrics.snapshot();
    expect(s.successes).toBeGreaterThanOrEqual(21); // 20 sends + the connect
    expect(s.latency.count).toBe(s.successes);
  });
});

describe('topic-level properties in the one config', () => {
  // node-rdkafka's own topic config replaces topic-level defaults set in the global config; the
  // façade passes them where they act. Each of these fails when the property is silently ignored.
  it("consumer: 'auto.offset.reset': 'earliest' in config reads a new group from the start", async () => {
    const topic = name('reset');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await producer();
    await p.sendMany(Array.from({ length: 10 }, (_, i) => ({ topic, value: String(i) })));
    const c = await createConsumer({ ...config, 'group.id': name('group'), 'auto.offset.reset': 'earliest' }, { topics: [topic], waitTimeout: 10_000 });
    closers.push(() => c.close());
    const got: string[] = [];
    const deadline = setTimeout(() => c.stop(), 15_000);
    await c.run((m) => {
      got.push(m.value!.toString());
      if (got.length === 10) c.stop();
    });
    clearTimeout(deadline);
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
  });

  it("producer: 'acks': 0 in config takes effect (no offset comes back, as librdkafka reports for acks 0)", async () => {
    const topic = name('acks0');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const zero = await createProducer({ ...config, acks: 0 }, { idempotence: false });
    closers.push(() => zero.close());
    const all = await producer();
    const [unacked, acked] = [await zero.send({ topic, value: 'a' }), await all.send({ topic, value: 'b' })];
    expect(unacked.offset).toBeLessThan(0);
    expect(acked.offset).toBeGreaterThanOrEqual(0);
  });
});

describe('waiting for topics', () => {
  it('finds a topic created 2 s into the wait within one retry interval of its creation', async () => {
    const topic = name('late');
    const interval = 500;
    let createdAt = 0;
    const waits: number[] = [];
    const creating = new Promise<void>((resolve) =>
      setTimeout(async () => {
        await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
        createdAt = performance.now();
        resolve();
      }, 2_000),
    );
    const c = await consumer([topic], {
      waitTimeout: 20_000,
      retry: { strategy: { kind: 'fixed', interval } },
      onTopicWait: (w: { attempt: number }) => void waits.push(w.attempt),
    });
    const foundAt = performance.now();
    await creating;
    expect(foundAt - createdAt).toBeLessThan(interval + SLACK);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(c.topicWait.attempts).toBe(waits.length + 1);
  });

  it('fails a topic that never comes within [timeout, timeout + one interval + slack), naming it and how to create it', async () => {
    const topic = name('never');
    const t0 = performance.now();
    const err = await consumer([topic], {
      waitTimeout: 3_000,
      retry: { strategy: { kind: 'fixed', interval: 700 } },
      env: { VELOSTREAM_DEFAULT_PARTITIONS: '6', VELOSTREAM_DEFAULT_REPLICATION_FACTOR: '1' },
    }).catch((e) => e);
    const elapsed = performance.now() - t0;
    expect(err).toBeInstanceOf(TopicWaitError);
    expect(err).toBeInstanceOf(RetryError);
    expect(elapsed).toBeGreaterThanOrEqual(3_000);
    expect(elapsed).toBeLessThan(3_000 + 700 + SLACK);
    expect(err.missingTopics).toEqual([topic]);
    expect(err.category).toBe('TopicMissing');
    expect(err.attempts).toBeGreaterThanOrEqual(4);
    expect(err.message).toContain(`${topic} still missing after waiting 3.`);
    expect(err.message).toContain(`--create --topic ${topic} --partitions 6 --replication-factor 1`);
  });

  it('reads the wait from topic.wait.timeout', async () => {
    const t0 = performance.now();
    const err = await createConsumer(
      { ...config, 'group.id': name('g') },
      { topics: [name('never')], properties: { 'topic.wait.timeout': '1s', 'topic.retry.strategy': 'fixed', 'topic.retry.interval': '250ms' } },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(TopicWaitError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(err.attempts).toBeGreaterThanOrEqual(4);
  });
});

describe('failures', () => {
  it('a broker that is not there: Network, retried until the deadline, then RetryError', async () => {
    const t0 = performance.now();
    const err = await createProducer(
      { 'bootstrap.servers': '127.0.0.1:1' },
      { connectTimeout: 500, retry: { strategy: { kind: 'fixed', interval: 200 }, timeout: 2_500 } },
    ).catch((e) => e);
    const elapsed = performance.now() - t0;
    expect(err).toBeInstanceOf(RetryError);
    expect(err).toMatchObject({ category: 'Network', timedOut: true });
    expect(err.attempts).toBeGreaterThanOrEqual(3);
    expect(elapsed).toBeGreaterThanOrEqual(2_500);
    expect(elapsed).toBeLessThan(2_500 + SLACK);
  });

  it('SASL against a PLAINTEXT listener: Authentication, no retries, well under a second', async () => {
    const t0 = performance.now();
    const err = await createProducer(
      { ...config, 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'u', 'sasl.password': 'p' },
      { connectTimeout: 5_000, retry: { strategy: { kind: 'fixed', interval: 200 }, timeout: 10_000 } },
    ).catch((e) => e);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(err).toMatchObject({ name: 'RetryError', category: 'Authentication', attempts: 1 });
    expect(String(err.cause.message)).toMatch(/SASL/);
  });

  it('a message larger than the broker accepts fails at once, not retried', async () => {
    const topic = name('small');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1, config: { 'max.message.bytes': '10000' } });
    const p = await producer();
    const t0 = performance.now();
    const err = await p.send({ topic, value: Buffer.alloc(50_000, 7) }).catch((e) => e);
    expect(err).toMatchObject({ name: 'RetryError', category: 'InvalidRequest', attempts: 1 });
    expect(err.cause.message).toMatch(/too large/i);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(categorizeError(err.cause)).toBe('InvalidRequest');
  });

  it('a consumer handler that fails twice then succeeds: processed once, committed once', async () => {
    const topic = name('handler');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await producer();
    await p.sendMany([0, 1, 2].map((i) => ({ topic, value: `job-${i}` })));
    // Keyless messages: 'partition' ordering keeps them in order ('key' ordering runs each null key on its own).
    const c = await consumer([topic], { ordering: 'partition', retry: { strategy: { kind: 'fixed', interval: 50 } } });
    const commits = observeCommits(c);
    const calls = new Map<string, number>();
    const done: string[] = [];
    await c.run(async (m) => {
      const v = m.value!.toString();
      calls.set(v, (calls.get(v) ?? 0) + 1);
      if (v === 'job-1' && calls.get(v)! <= 2) throw new Error('temporarily unavailable: connection reset');
      done.push(v);
      if (done.length === 3) c.stop();
    });
    expect(done).toEqual(['job-0', 'job-1', 'job-2']);
    expect(Object.fromEntries(calls)).toEqual({ 'job-0': 1, 'job-1': 3, 'job-2': 1 });
    // Commits are the low-water mark: never past job-1 while it was failing, 3 at the end.
    expect(commits.at(-1)).toBe(3);
    expect([...commits].sort((a, b) => a - b)).toEqual(commits);
    const committed = await new Promise<{ offset: number }[]>((resolve, reject) =>
      c.client.committed(undefined, 5_000, (e, v) => (e ? reject(e) : resolve(v))),
    );
    expect(committed.map((t) => t.offset)).toEqual([3]);
  });

  it('a handler failure that never clears ends run() with a RetryError and commits nothing for it', async () => {
    const topic = name('poison');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    const p = await producer();
    await p.send({ topic, value: 'bad' });
    const c = await consumer([topic], { retry: { strategy: { kind: 'fixed', interval: 10 }, retries: 2 } });
    const commits = observeCommits(c);
    await expect(c.run(() => Promise.reject(new Error('Broker: Topic authorization failed')))).rejects.toMatchObject({
      category: 'Authentication',
      attempts: 1,
    });
    expect(commits).toEqual([]);
  });

  it('deletes topics', async () => {
    const topic = name('gone');
    await ensureTopic(config, topic, { partitions: 1, replicationFactor: 1 });
    expect(await deleteTopic(config, topic)).toEqual({ deleted: true });
  });
});
