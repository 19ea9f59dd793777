// The consumer's failure paths on the real broker: retry topics with due times, parked keys, the
// dead-letter topic and its headers as Spring Kafka writes them, the circuit breaker, stall signals.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsumer, createProducer, ensureTopic, type ConsumerOptions, type VeloConsumer } from '../../ts/kafka';
import { RetryMetrics } from '../../ts';
import { config, unique } from '../support/kafka';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function consumer(topic: string, options: Partial<ConsumerOptions> = {}, group = unique('g')): Promise<VeloConsumer> {
  const c = await createConsumer({ ...config, 'group.id': group }, { topics: [topic], fromBeginning: true, waitTimeout: 10_000, ...options });
  closers.push(() => c.close(5_000));
  return c;
}

async function send(topic: string, messages: { key: string; value: string }[], partitions = 1): Promise<void> {
  await ensureTopic(config, topic, { partitions, replicationFactor: 1 });
  const p = await createProducer(config);
  await p.sendMany(messages.map((m) => ({ topic, ...m })));
  await p.close();
}

/** Reads `n` records of `topic` from the start, with a client of its own. */
async function read(
  topic: string,
  n: number,
): Promise<{ key: string | null; value: string; headers: Record<string, Buffer>; partition: number; offset: number }[]> {
  const c = await createConsumer({ ...config, 'group.id': unique('reader') }, { topics: [topic], fromBeginning: true, waitTimeout: 10_000 });
  const out: { key: string | null; value: string; headers: Record<string, Buffer>; partition: number; offset: number }[] = [];
  const deadline = setTimeout(() => c.stop(), 20_000);
  for await (const m of c) {
    out.push({ key: m.key?.toString() ?? null, value: m.value!.toString(), headers: m.headers, partition: m.partition, offset: m.offset });
    if (out.length === n) break;
  }
  clearTimeout(deadline);
  await c.close();
  return out;
}

describe('retry topics and parked keys', () => {
  it("a key failing twice: handled again only when due (500 ms, then 1 s), other keys unaffected, the key's followers after it, in order", async () => {
    const topic = unique('orders');
    // 'bad' fails twice; its later messages (bad-1, bad-2) must come after it; 'k0'..'k9' are unaffected.
    const messages = [{ key: 'bad', value: 'bad-0' }];
    for (let i = 0; i < 200; i++) messages.push({ key: `k${i % 10}`, value: `k-${i}` });
    messages.push({ key: 'bad', value: 'bad-1' }, { key: 'bad', value: 'bad-2' });
    await send(topic, messages, 3);
    const metrics = new RetryMetrics({ implementation: 'js' });
    const c = await consumer(topic, { retryTopics: { delays: ['500ms', '1s'] }, createTopics: true, retry: { retries: 0 }, metrics, name: 'rt' });
    const calls: { value: string; at: number; topic: string }[] = [];
    const t0 = performance.now();
    let othersDoneAt = 0;
    let othersLeft = 200;
    const done: string[] = [];
    let failures = 0;
    await c.run(async (m) => {
      const value = m.value!.toString();
      calls.push({ value, at: performance.now() - t0, topic: m.topic });
      if (value === 'bad-0' && failures < 2) {
        failures++;
        throw new Error('downstream said: temporarily unavailable');
      }
      done.push(value);
      if (value.startsWith('k-') && --othersLeft === 0) othersDoneAt = performance.now() - t0;
      if (done.length === messages.length) c.stop();
    });
    const bad = calls.filter((x) => x.value === 'bad-0');
    console.log(
      `retry topics: bad-0 tried at ${bad.map((x) => `${x.at.toFixed(0)} ms (${x.topic})`).join(', ')}; the other 200 done by ${othersDoneAt.toFixed(0)} ms; order of bad: ${done.filter((v) => v.startsWith('bad')).join(', ')}`,
    );
    expect(bad.map((x) => x.topic)).toEqual([topic, `${topic}-retry-500`, `${topic}-retry-1000`]);
    // Never before its due time: the record was produced after the failed attempt, due that much later.
    expect(bad[1]!.at - bad[0]!.at).toBeGreaterThanOrEqual(500);
    expect(bad[2]!.at - bad[1]!.at).toBeGreaterThanOrEqual(1_000);
    // The other keys did not wait for it.
    expect(othersDoneAt).toBeLessThan(bad[1]!.at);
    // Its followers came after it, in order, through the retry path.
    expect(done.filter((v) => v.startsWith('bad'))).toEqual(['bad-0', 'bad-1', 'bad-2']);
    expect(done.indexOf('bad-1')).toBeGreaterThan(done.indexOf('bad-0'));
    expect(new Set(done).size).toBe(messages.length);
    const s = metrics.snapshot();
    // bad-0 twice, and its two followers at least once each (again when it moved on ahead of them).
    expect(s.counters['consumer_retried{category="Unknown",consumer="rt"}']).toBeGreaterThanOrEqual(4);
    expect(s.gauges['consumer_parked_keys{consumer="rt"}']).toBe(0); // cleared
  }, 60_000);
  it('retry records with corrupt headers: an unreadable due time is handled at once, a far-future one held for the delay only; both counted', async () => {
    const topic = unique('corrupt');
    await send(topic, [{ key: 'seed', value: 'seed' }]);
    const metrics = new RetryMetrics({ implementation: 'js' });
    const retryTopic = `${topic}-retry-500`;
    // Created by the consumer with the source's partition count; then garbage goes straight in.
    const c = await consumer(topic, { retryTopics: { delays: ['500ms'] }, createTopics: true, metrics, name: 'corrupt' });
    const p = await createProducer(config, { binaryHeaders: true });
    const far = Buffer.alloc(8, 0x7f); // a readable due time 292 million years away
    await p.sendMany([
      { topic: retryTopic, partition: 0, key: 'a', value: 'no-headers' },
      { topic: retryTopic, partition: 0, key: 'b', value: 'nine-bytes', headers: { 'retry_topic-backoff-timestamp': Buffer.alloc(9, 1) } },
      { topic: retryTopic, partition: 0, key: 'c', value: 'empty', headers: { 'retry_topic-backoff-timestamp': Buffer.alloc(0) } },
      {
        topic: retryTopic,
        partition: 0,
        key: 'd',
        value: 'far-future',
        headers: { 'retry_topic-backoff-timestamp': far, 'kafka_dlt-original-partition': 'xx', 'velo-retry-attempts': 'many' },
      },
    ]);
    await p.close();
    const seen: { value: string; at: number }[] = [];
    const t0 = performance.now();
    await c.run(async (m) => {
      seen.push({ value: m.value!.toString(), at: performance.now() - t0 });
      if (seen.length === 5) c.stop();
    });
    const at = Object.fromEntries(seen.map((x) => [x.value, x.at]));
    console.log(`corrupt retry records handled at: ${seen.map((x) => `${x.value} ${x.at.toFixed(0)} ms`).join(', ')}`);
    expect(Object.keys(at).sort()).toEqual(['empty', 'far-future', 'nine-bytes', 'no-headers', 'seed']);
    // The far-future one waited (it is behind the others on its partition), but no more than the delay plus delivery.
    expect(at['far-future']!).toBeGreaterThanOrEqual(500);
    expect(at['far-future']!).toBeLessThan(10_000);
    const s = metrics.snapshot();
    expect(s.counters['consumer_retry_headers_unreadable{consumer="corrupt"}']).toBe(3);
    expect(s.counters['consumer_retry_due_clamped{consumer="corrupt"}']).toBe(1);
  }, 60_000);
});

describe('the dead-letter topic', () => {
  it('a poison message lands there with every header (binary ones decoded), and nothing after it is lost', async () => {
    const topic = unique('payments');
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 5}`, value: i === 17 ? 'poison' : `ok-${i}` }));
    await send(topic, messages, 1);
    const group = unique('g');
    const dead: { value: string; error: unknown }[] = [];
    const c = await consumer(
      topic,
      {
        deadLetter: true,
        createTopics: true,
        retry: { strategy: { kind: 'fixed', interval: 10 } },
        onDeadLetter: (m, error) => dead.push({ value: m.value!.toString(), error }),
      },
      group,
    );
    const handled: string[] = [];
    await c.run(async (m) => {
      const v = m.value!.toString();
      if (v === 'poison') throw Object.assign(new TypeError('cannot parse amount "poison"'), { retriable: false });
      handled.push(v);
      if (handled.length === 49) c.stop();
    });
    expect(handled).toHaveLength(49);
    expect(dead.map((d) => d.value)).toEqual(['poison']);
    const [letter] = await read(`${topic}-dlt`, 1);
    const h = letter!.headers;
    console.log(`dead letter headers: ${Object.keys(h).join(', ')}`);
    expect(letter!.value).toBe('poison');
    expect(letter!.key).toBe('k2');
    expect(h['kafka_dlt-original-topic']!.toString()).toBe(topic);
    expect(h['kafka_dlt-original-partition']).toHaveLength(4);
    expect(h['kafka_dlt-original-partition']!.readInt32BE(0)).toBe(0);
    expect(h['kafka_dlt-original-offset']).toHaveLength(8);
    expect(h['kafka_dlt-original-offset']!.readBigInt64BE(0)).toBe(17n);
    expect(h['kafka_dlt-original-timestamp']).toHaveLength(8);
    expect(Math.abs(Number(h['kafka_dlt-original-timestamp']!.readBigInt64BE(0)) - Date.now())).toBeLessThan(120_000);
    expect(h['kafka_dlt-original-timestamp-type']!.toString()).toBe('CreateTime');
    expect(h['kafka_dlt-original-consumer-group']!.toString()).toBe(group);
    expect(h['kafka_dlt-exception-fqcn']!.toString()).toBe('TypeError');
    expect(h['kafka_dlt-exception-message']!.toString()).toBe('cannot parse amount "poison"');
    expect(h['kafka_dlt-exception-stacktrace']!.toString()).toMatch(/^TypeError: cannot parse amount/);
    expect(h['velo-retry-category']!.toString()).toBe('Unknown');
    expect(h['velo-retry-attempts']!.toString()).toBe('1'); // retriable: false: no retry
    expect(h['velo-retry-header-encoding']).toBeUndefined(); // binary, not the text fallback
  }, 60_000);
});

describe('the circuit breaker', () => {
  /** A downstream that fails every call for `outage` ms after the first `before` calls. */
  async function outage(withBreaker: boolean) {
    const topic = unique('breaker');
    const N = 400;
    await send(
      topic,
      Array.from({ length: N }, (_, i) => ({ key: `k${i % 40}`, value: String(i) })),
      1,
    );
    const states: string[] = [];
    const c = await consumer(topic, {
      concurrency: 8,
      retry: { strategy: { kind: 'fixed', interval: 50 }, retries: 1_000 },
      ...(withBreaker ? { breaker: { failureRate: 0.5, minimumCalls: 10, window: '1s', openFor: '500ms' }, onBreaker: (s: string) => states.push(s) } : {}),
    });
    let down = false;
    let callsWhileDown = 0;
    let callsWhileOpen = 0;
    let started = 0;
    let done = 0;
    await c.run(async () => {
      if (states.at(-1) === 'open') callsWhileOpen++;
      if (++started === 50) {
        down = true;
        setTimeout(() => (down = false), 3_000);
      }
      await sleep(2);
      if (down) {
        callsWhileDown++;
        throw new Error('downstream: connection refused');
      }
      if (++done === N) c.stop();
    });
    return { callsWhileDown, callsWhileOpen, states, done };
  }

  it('a downstream failing 100 % for 3 s: the consumer pauses, probes, resumes; far fewer calls than without', async () => {
    const without = await outage(false);
    const withBreaker = await outage(true);
    console.log(
      `breaker: calls during the 3 s outage: ${withBreaker.callsWhileDown} with the breaker (transitions ${withBreaker.states.join(' > ')}), ${without.callsWhileDown} without`,
    );
    expect(withBreaker.done).toBe(400);
    expect(without.done).toBe(400);
    expect(withBreaker.states[0]).toBe('open');
    expect(withBreaker.states).toContain('half-open');
    expect(withBreaker.states.at(-1)).toBe('closed');
    expect(withBreaker.callsWhileOpen).toBe(0); // none while open; the probes come while half-open
    expect(withBreaker.callsWhileDown).toBeLessThan(without.callsWhileDown / 4);
  }, 90_000);
});

describe('stall signals', () => {
  it('a handler stuck on one message: health() names it, onStall fires after stallAfter', async () => {
    const topic = unique('stall');
    await send(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
      1,
    );
    const stalls: { offset: number | undefined; at: number }[] = [];
    const t0 = performance.now();
    const c = await consumer(topic, { stallAfter: '600ms', onStall: (s) => stalls.push({ offset: s.oldest?.offset, at: performance.now() - t0 }) });
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    let n = 0;
    let stuckAt = 0;
    const running = c.run(async (m) => {
      if (m.offset === 7) {
        stuckAt = performance.now() - t0;
        await stuck;
      }
      n++;
    });
    while (stalls.length === 0 && performance.now() - t0 < 10_000) await sleep(20);
    const [h] = c.health();
    console.log(`stall: offset 7 stuck at ${stuckAt.toFixed(0)} ms, onStall at ${stalls[0]?.at.toFixed(0)} ms`);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]!.offset).toBe(7);
    expect(stalls[0]!.at - stuckAt).toBeGreaterThanOrEqual(600);
    expect(h).toMatchObject({ partition: 0, stalled: true, oldest: { offset: 7, key: 'k7', attempts: 1 } });
    expect(h!.oldest!.since).toBeLessThanOrEqual(Date.now());
    release();
    while (n < 20) await sleep(20);
    await sleep(400); // a few stall checks
    expect(c.health()[0]!.stalled).toBe(false); // the mark moved again
    c.stop();
    await running;
  }, 30_000);
});

describe('redrive', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli.js'), ...args], { encoding: 'utf8', timeout: 60_000 });

  it('sends 100 dead letters back once each, in order per partition, without the failure headers; again sends nothing; --dry-run sends nothing', async () => {
    const topic = unique('invoices');
    const N = 100;
    await send(
      topic,
      Array.from({ length: N }, (_, i) => ({ key: `k${i % 7}`, value: `v-${String(i).padStart(3, '0')}` })),
      2,
    );
    // All of them fail for good (a bad payload): all go to the dead-letter topic.
    const c = await consumer(topic, { deadLetter: true, createTopics: true });
    let dead = 0;
    await c.run(async () => {
      if (++dead === N) setTimeout(() => c.stop(), 100);
      throw Object.assign(new Error('schema mismatch'), { retriable: false });
    });
    const dlt = `${topic}-dlt`;

    const dry = cli(['redrive', '--brokers', config['bootstrap.servers'], '--from', dlt, '--dry-run']);
    expect(dry.stdout).toContain(`dry run: would send ${N} of ${N} dead letters in ${dlt} (${N} to ${topic})`);
    expect(dry.status).toBe(0);

    const first = cli(['redrive', '--brokers', config['bootstrap.servers'], '--from', dlt]);
    console.log(`redrive: ${first.stdout.trim()}`);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`sent ${N} of ${N} dead letters in ${dlt} (${N} to ${topic})`);
    const second = cli(['redrive', '--brokers', config['bootstrap.servers'], '--from', dlt]);
    expect(second.stdout).toContain(`sent 0 of 0 dead letters in ${dlt}`);

    // The original topic now holds each message twice: the original, then the redriven copy, on
    // the same partition, in the dead-letter topic's order (and so, per key, in the original order).
    const records = await read(topic, 2 * N);
    const letters = await read(dlt, N);
    expect(records).toHaveLength(2 * N);
    for (const partition of [0, 1]) {
      const values = records.filter((r) => r.partition === partition).map((r) => r.value);
      const half = values.length / 2;
      const lettered = letters.filter((l) => l.headers['kafka_dlt-original-partition']!.readInt32BE(0) === partition).map((l) => l.value);
      expect(values.slice(half)).toEqual(lettered);
      expect([...values.slice(half)].sort()).toEqual([...values.slice(0, half)].sort()); // once each
      for (const key of new Set(records.map((r) => r.key))) {
        const ofKey = records.filter((r) => r.partition === partition && r.key === key).map((r) => r.value);
        expect(ofKey.slice(ofKey.length / 2)).toEqual(ofKey.slice(0, ofKey.length / 2)); // per key, the original order
      }
    }
    const copies = records.filter((r) => r.offset >= N / 2 - 10).slice(-10);
    for (const r of copies) expect(Object.keys(r.headers).filter((k) => k.startsWith('kafka_dlt') || k.startsWith('velo-retry'))).toEqual([]);
  }, 120_000);

  it('refuses bad flags with a usage message and exit code 2', () => {
    for (const args of [
      ['redrive'],
      ['redrive', '--from', 'x'],
      ['redrive', '--brokers', 'b', '--from', 'x', '--limit', 'many'],
      ['redrive', '--brokers', 'b', '--from', 'x', '--colour'],
      ['frobnicate'],
    ]) {
      const r = cli(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^velo-retry: .+\nusage:/);
    }
  });
});
