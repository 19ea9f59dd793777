// The parallel consumer on the real broker: per-key order under concurrency, commits that never
// pass unfinished work, bounded buffering, and close. Crashes and rebalances are in
// __test__/faults/consumer.test.ts.
import { readFileSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RetryMetrics } from '../../ts';
import { createConsumer, type ConsumerOptions, type VeloConsumer } from '../../ts/kafka';
import { brokerLog, committedOffsets, config, endOffsets, keyOf, produceKeyed, seeded, seqOf, unique } from '../support/kafka';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    if (brokerLog) console.error(`--- broker log tail ---\n${readFileSync(brokerLog, 'utf8').split('\n').slice(-40).join('\n')}`);
  });
});

async function consumer(topic: string, groupId: string, options: Partial<ConsumerOptions> = {}): Promise<VeloConsumer> {
  const c = await createConsumer({ ...config, 'group.id': groupId }, { topics: [topic], fromBeginning: true, waitTimeout: 10_000, ...options });
  closers.push(() => c.close(5_000));
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('key order under concurrency', () => {
  it('20,000 messages, 3 partitions, 200 keys, 0-5 ms handlers, concurrency 64: each once, per key in offset order, > 32 at once', async () => {
    const topic = unique('keyorder');
    const N = 20_000;
    await produceKeyed(topic, N, { partitions: 3, keys: 200 });
    const group = unique('g');
    const c = await consumer(topic, group, { concurrency: 64, ordering: 'key' });
    const random = seeded(42);
    const seen = new Map<number, number>();
    const perKey = new Map<string, number[]>();
    let active = 0;
    let maxActive = 0;
    const t0 = performance.now();
    await c.run(async (m) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const key = m.key!.toString();
      const offsets = perKey.get(`${m.partition}/${key}`) ?? [];
      offsets.push(m.offset);
      perKey.set(`${m.partition}/${key}`, offsets);
      await sleep(random() * 5);
      active--;
      const seq = seqOf(m.value);
      expect(key).toBe(keyOf(seq, 200));
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
      if (seen.size === N) c.stop();
    });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `key order: ${N} messages in ${seconds.toFixed(1)} s (${Math.round(N / seconds)} msg/s), max ${maxActive} handlers at once, ${perKey.size} keys`,
    );
    expect(seen.size).toBe(N);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(perKey.size).toBe(200);
    for (const [key, offsets] of perKey) {
      for (let i = 1; i < offsets.length; i++)
        if (offsets[i]! <= offsets[i - 1]!) throw new Error(`key ${key}: offset ${offsets[i]} started after ${offsets[i - 1]}`);
    }
    expect(maxActive).toBeGreaterThan(32);
    expect(await committedOffsets(group, topic, 3)).toEqual(await endOffsets(topic, 3));
  }, 120_000);

  it("'partition' ordering: one at a time per partition, in offset order", async () => {
    const topic = unique('partorder');
    await produceKeyed(topic, 1_500, { partitions: 3 });
    const c = await consumer(topic, unique('g'), { concurrency: 16, ordering: 'partition' });
    const active = [0, 0, 0];
    const last = [-1, -1, -1];
    let overlap = 0;
    let n = 0;
    await c.run(async (m) => {
      if (++active[m.partition]! > 1) overlap++;
      expect(m.offset).toBeGreaterThan(last[m.partition]!);
      last[m.partition] = m.offset;
      await sleep(0);
      active[m.partition]!--;
      if (++n === 1_500) c.stop();
    });
    expect(overlap).toBe(0);
    expect(n).toBe(1_500);
  }, 60_000);
});

describe('commits', () => {
  it('never pass a message still in flight: read back while a slow message runs, then equal the end offsets', async () => {
    const topic = unique('commits');
    const N = 2_000;
    await produceKeyed(topic, N, { partitions: 1, keys: 100 });
    const group = unique('g');
    // maxBuffered above N: the uncommitted window behind the slow message may hold the whole topic.
    const c = await consumer(topic, group, { concurrency: 32, ordering: 'unordered', commitInterval: 100, maxBuffered: 5_000 });
    const SLOW = 300; // offset 300 takes 3 s; everything after it finishes long before
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let handled = 0;
    const running = c.run(async (m) => {
      if (m.offset === SLOW) await slow;
      if (++handled === N) c.stop();
    });
    // Once the others are done the slow one is the low-water mark: commits stop at it.
    while (handled < N - 1) await sleep(50);
    await sleep(500); // several commit intervals
    const whileSlow = await committedOffsets(group, topic, 1);
    console.log(`commits: ${handled} of ${N} handled, offset ${SLOW} in flight, committed ${whileSlow[0]}`);
    expect(whileSlow[0]).toBe(SLOW);
    release();
    await running;
    expect(await committedOffsets(group, topic, 1)).toEqual(await endOffsets(topic, 1));
  }, 60_000);
});

describe('the uncommitted window', () => {
  it('a partition whose window behind an unfinished message reaches maxBuffered pauses until it drains to half', async () => {
    const topic = unique('window');
    const N = 2_000;
    await produceKeyed(topic, N, { partitions: 1, keys: 100 });
    const c = await consumer(topic, unique('g'), { concurrency: 16, ordering: 'unordered', maxBuffered: 100 });
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let handled = 0;
    const running = c.run(async (m) => {
      if (m.offset === 50) await slow;
      if (++handled === N) c.stop();
    });
    await sleep(2_000);
    const whileHeld = handled;
    console.log(`window: ${whileHeld} handled while offset 50 was unfinished (maxBuffered 100)`);
    // The window from offset 50 holds at most 100 messages (50 itself among them), so at most 99 past it finish meanwhile.
    expect(whileHeld).toBeLessThanOrEqual(50 + 99);
    expect(whileHeld).toBeGreaterThan(50);
    release();
    await running;
    expect(handled).toBe(N);
  }, 60_000);
});

describe('backpressure', () => {
  it('a handler that does not finish for 5 s: buffered messages never exceed maxBuffered, and fetching resumes', async () => {
    const topic = unique('buffer');
    await produceKeyed(topic, 3_000, { partitions: 3, keys: 500 });
    const metrics = new RetryMetrics({ implementation: 'js' });
    const c = await consumer(topic, unique('g'), { concurrency: 8, maxBuffered: 200, metrics, name: 'bp' });
    let hold = true;
    setTimeout(() => (hold = false), 5_000);
    let maxBuffered = 0;
    const sampler = setInterval(
      () => (maxBuffered = Math.max(maxBuffered, c.stats.buffered, metrics.snapshot().gauges['consumer_buffered{consumer="bp"}'] ?? 0)),
      5,
    );
    let n = 0;
    await c.run(async () => {
      while (hold) await sleep(20);
      if (++n === 3_000) c.stop();
    });
    clearInterval(sampler);
    console.log(`backpressure: max ${maxBuffered} buffered (maxBuffered 200), ${n} handled`);
    expect(maxBuffered).toBeGreaterThan(100); // it did fill up
    expect(maxBuffered).toBeLessThanOrEqual(200);
    expect(n).toBe(3_000);
  }, 60_000);
});
