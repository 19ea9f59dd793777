// What the producer and the consumer record into a PerformanceCollector, on the real broker.
import { afterAll, describe, expect, it } from 'vitest';
import { createConsumer, createProducer, ensureTopic, PerformanceCollector } from '../../ts/kafka';
import { config, unique } from '../support/kafka';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});

describe('collector on producer and consumer', () => {
  it('counts each delivered and handled message with its bytes and latency; a message failing for good is an error', async () => {
    const topic = unique('perf');
    await ensureTopic(config, topic, { partitions: 2, replicationFactor: 1 });
    const collector = new PerformanceCollector();
    const N = 1_000;
    const value = Buffer.alloc(256, 7);
    const p = await createProducer(config, { collector });
    const firstSend = Date.now();
    closers.push(() => p.close());
    await Promise.all(Array.from({ length: N / 2 }, (_, i) => p.send({ topic, key: `k${i % 10}`, value })));
    await p.sendMany(Array.from({ length: N / 2 }, (_, i) => ({ topic, key: `k${i % 10}`, value })));
    // Never delivered: the producer closes with it waiting (a partition that does not exist holds it until then).
    const missing = p.send({ topic, partition: 99, value }).catch((e: unknown) => e);
    await p.close(500);
    const producedBy = Date.now();
    expect(await missing).toBeInstanceOf(Error);
    const sent = collector.snapshot().producer;
    console.log(`collector, producer: ${JSON.stringify(sent)}`);
    expect(sent).toMatchObject({ messages: N, bytes: N * 256, errors: 1 });
    expect(sent.latency.count).toBe(N);
    expect(sent.latency.p50).toBeGreaterThan(0);
    expect(sent.latency.max).toBeLessThan(30_000);
    expect(sent.rate).toBeGreaterThan(0);

    const c = await createConsumer(
      { ...config, 'group.id': unique('g') },
      {
        topics: [topic],
        fromBeginning: true,
        collector,
        deadLetter: true,
        createTopics: true,
        retry: { retries: 1, strategy: { kind: 'fixed', interval: 1 } },
      },
    );
    closers.push(() => c.close(5_000));
    let calls = 0;
    const runStart = Date.now();
    await c.run((m) => {
      calls++;
      if (m.offset === 3 && m.partition === 0) throw new Error('poison'); // fails twice, then the dead-letter topic
      if (calls === N + 1) c.stop();
    });
    const handled = collector.snapshot().consumer;
    console.log(`collector, consumer: ${JSON.stringify(handled)}`);
    expect(handled).toMatchObject({ messages: N - 1, bytes: (N - 1) * 256, errors: 1 });
    expect(handled.errorRate).toBeCloseTo(1 / N, 6);
    // Record timestamp -> handled: every record was written before producedBy and handled after
    // runStart, and none before firstSend.
    expect(handled.latency.p50).toBeGreaterThanOrEqual(runStart - producedBy);
    expect(handled.latency.max).toBeLessThanOrEqual(Date.now() - firstSend + 1);
    expect(collector.toPrometheus()).toContain(`velo_perf_messages_total{role="consumer"} ${N - 1}`);
  });
});
