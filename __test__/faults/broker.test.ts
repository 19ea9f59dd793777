// The producer and the consumer while their broker is killed with SIGKILL and restarted on the same
// data dir and ports: a broker of this file's own (scripts/kafka/broker.cjs), not the suite's.
// What is read back is read by a plain node-rdkafka consumer, assigned every partition from offset
// 0, not by the code under test.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryMetrics } from '../../ts';
import { createConsumer, createProducer, ensureTopic, type VeloProducer } from '../../ts/kafka';
import { committedOffsets, endOffsets } from '../support/kafka';
import { pacedRun, readAll, sequenced, tally, type PacedRun } from '../support/faults';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startBroker } = require('../../scripts/kafka/broker.cjs') as typeof import('../../scripts/kafka/broker.cjs');

type Broker = Awaited<ReturnType<typeof startBroker>>;

const N = 100_000;
const PARTITIONS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let broker: Broker;
let config: { 'bootstrap.servers': string };
let topics = 0;

beforeAll(async () => {
  broker = await startBroker();
  config = { 'bootstrap.servers': broker.brokers };
}, 120_000);
afterAll(() => broker?.stop());

async function freshTopic(): Promise<string> {
  const topic = `broker-faults-${process.pid}-${topics++}`;
  await ensureTopic(config, topic, { partitions: PARTITIONS, replicationFactor: 1 });
  return topic;
}

/** The broker dies now, comes back after `downMs` on its data dir; resolves with how long it was gone. */
async function crash(downMs: number): Promise<number> {
  const t0 = performance.now();
  await broker.kill('SIGKILL');
  await sleep(downMs);
  await broker.restart();
  return performance.now() - t0;
}

/** Checks what the topic holds against what was acknowledged: each exactly once, in send order per partition. */
async function verify(label: string, topic: string, r: PacedRun): Promise<void> {
  const t = tally(await readAll(config, topic, PARTITIONS), r.acknowledged, N);
  console.log(
    `${label}: broker gone ${r.faultMs.toFixed(0)} ms (SIGKILL, restart on its data dir) with ${r.inFlightAtFault} sent and unacknowledged; ` +
      `longest gap between acknowledgements ${r.stallMs.toFixed(0)} ms; ${r.acknowledged.size} of ${N} acknowledged, ${r.settled} settled, ${t.stored} stored; ` +
      `lost ${t.lost}, duplicated ${t.duplicated}, reordered ${t.reordered}`,
  );
  expect(r.settled).toBe(N);
  // The kill landed mid-run: work in flight, and a gap in acknowledgements as long as the outage, near enough.
  expect(r.inFlightAtFault).toBeGreaterThan(0);
  expect(r.stallMs).toBeGreaterThan(r.faultMs * 0.5);
  expect(t).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, strangers: 0 });
}

/** pacedRun's sender: one send() per sequence number, each acknowledged as it resolves. */
function sendEach(producer: VeloProducer, topic: string) {
  return (seqs: number[], acked: (seqs: number[]) => void) =>
    Promise.all(
      seqs.map((seq) =>
        producer.send(sequenced(topic, seq)).then(
          () => acked([seq]),
          () => {},
        ),
      ),
    );
}

describe('a broker killed with SIGKILL mid-run, restarted on its data dir', () => {
  // Sends go out paced, 1,000 every 20 ms (~50k/s, under what the broker takes), and go on while the
  // broker is down, so the kill lands with messages in flight and more queued behind them.
  it(`producer send(), ${N.toLocaleString('en-US')} idempotent sends, killed at ~30 % acknowledged: every acknowledged message stored exactly once, in send order per partition; every send settles`, async () => {
    const topic = await freshTopic();
    const producer: VeloProducer = await createProducer(config);
    const r = await pacedRun(N, sendEach(producer, topic), () => crash(1_000));
    await producer.close();
    await verify('send()', topic, r);
  }, 180_000);

  it(`producer sendMany(), ${N.toLocaleString('en-US')} in calls of 1,000, killed at ~30 % acknowledged: the same`, async () => {
    const topic = await freshTopic();
    const producer = await createProducer(config);
    const r = await pacedRun(
      N,
      (seqs, acked) =>
        producer.sendMany(seqs.map((seq) => sequenced(topic, seq))).then(
          () => acked(seqs),
          () => {},
        ),
      () => crash(1_000),
    );
    await producer.close();
    await verify('sendMany()', topic, r);
  }, 180_000);

  // Not idempotent, so a timed-out envelope is sent again by the façade (an idempotent one is final:
  // DeliveryUnknownError), encoded again from its messages: its pooled buffer went back to the pool
  // when librdkafka copied it, and holds other envelopes since (a pool of 2 buffers for 1,000 envelopes).
  it(`producer send() with batching, not idempotent, message.timeout.ms 3 s, broker gone 6 s at ~30 %: timed-out envelopes encoded again and retried; every acknowledged logical message stored, byte for byte`, async () => {
    const topic = await freshTopic();
    const metrics = new RetryMetrics();
    const producer = await createProducer({ ...config, 'message.timeout.ms': 3_000 }, { idempotence: false, batching: { poolSize: 2 }, metrics });
    const r = await pacedRun(N, sendEach(producer, topic), () => crash(6_000));
    await producer.close();
    const t = tally(await readAll(config, topic, PARTITIONS, true), r.acknowledged, N);
    const { retries } = metrics.snapshot();
    console.log(
      `send() with batching: broker gone ${r.faultMs.toFixed(0)} ms with ${r.inFlightAtFault} sent and unacknowledged; ${retries} envelope retries; ` +
        `${r.acknowledged.size} of ${N} acknowledged, ${r.settled} settled, ${t.stored} logical messages stored; lost ${t.lost}, ` +
        `corrupt or strangers ${t.strangers}, duplicated ${t.duplicated} and reordered ${t.reordered} (allowed: not idempotent)`,
    );
    expect(r.settled).toBe(N);
    expect(retries).toBeGreaterThan(0);
    expect(r.acknowledged.size).toBe(N);
    expect(t).toMatchObject({ lost: 0, strangers: 0 });
  }, 180_000);

  it('consumer run(), 30,000 messages, broker killed at ~30 % handled: every message handled, run() keeps going, all committed at the end', async () => {
    const topic = await freshTopic();
    const n = 30_000;
    const producer = await createProducer(config);
    await producer.sendMany(Array.from({ length: n }, (_, seq) => sequenced(topic, seq)));
    await producer.close();
    const group = `broker-faults-group-${process.pid}`;
    const c = await createConsumer({ ...config, 'group.id': group }, { topics: [topic], fromBeginning: true });
    const handled = new Uint8Array(n);
    let distinct = 0;
    let calls = 0;
    let crashed: Promise<number> | undefined;
    let failed: unknown;
    const done = c
      .run(async (m) => {
        calls++;
        await sleep(1);
        const seq = Number(m.value!.toString());
        if (handled[seq] === 0) distinct++;
        handled[seq] = 1;
        if (distinct === Math.floor(n * 0.3) && crashed === undefined) crashed = crash(1_000);
        if (distinct === n) c.stop();
      })
      .catch((e: unknown) => (failed = e));
    await done;
    const crashMs = await crashed!;
    await c.close();
    const committed = await committedOffsets(group, topic, PARTITIONS, config);
    const ends = await endOffsets(topic, PARTITIONS, config);
    console.log(
      `consumer run(): broker gone ${crashMs.toFixed(0)} ms; ${distinct} of ${n} handled, ${calls - distinct} handled twice; committed ${committed.join(',')} of ${ends.join(',')}`,
    );
    expect(failed).toBeUndefined();
    expect(distinct).toBe(n);
    expect(committed).toEqual(ends);
  }, 180_000);
});

describe('producer close() with its broker gone', () => {
  it('returns within its timeout with every send settled, and the process exits right after', async () => {
    const topic = await freshTopic();
    const TIMEOUT = 2_000;
    const child = spawn(process.execPath, [join(__dirname, '..', 'support', 'producer-child.cjs'), broker.brokers, topic, String(TIMEOUT)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; at: number }>((r) => child.on('exit', (code) => r({ code, at: performance.now() })));
    let acked = 0;
    let closed: { ms: number; settled: number; sent: number; error: string; at: number } | undefined;
    let ackedEnough: () => void;
    const warmed = new Promise<void>((r) => (ackedEnough = r));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [what, a, b, c, d] = line.split(' ');
      if (what === 'acked' && (acked = Number(a)) >= 5_000) ackedEnough();
      if (what === 'closed') closed = { ms: Number(a), settled: Number(b), sent: Number(c), error: d!, at: performance.now() };
    });
    await Promise.race([warmed, exited.then(() => Promise.reject(new Error(`child exited early: ${stderr}`)))]);
    await broker.kill('SIGKILL');
    await sleep(500); // sends pile up in librdkafka with nobody to take them
    child.kill('SIGTERM');
    const exit = await exited;
    await broker.restart();
    console.log(
      `producer close(${TIMEOUT}) with the broker gone: ${acked} acknowledged before the kill; close() took ${closed?.ms} ms, ` +
        `${closed?.settled} of ${closed?.sent} sends settled, close() rejected with ${closed?.error}; exited ${closed ? (exit.at - closed.at).toFixed(0) : '?'} ms after; code ${exit.code} ${stderr}`,
    );
    expect(exit.code).toBe(0);
    expect(closed).toBeDefined();
    expect(closed!.sent).toBeGreaterThan(acked); // sends were outstanding when close() began
    expect(closed!.settled).toBe(closed!.sent);
    expect(closed!.error).toBe('ERR_FLUSH_TIMEOUT'); // what was not delivered in time, said as documented
    expect(closed!.ms).toBeGreaterThanOrEqual(TIMEOUT - 100); // it did wait: the flush could not finish
    expect(closed!.ms).toBeLessThan(TIMEOUT + 1_000);
    expect(exit.at - closed!.at).toBeLessThan(1_000); // nothing keeps the process alive after close()
  }, 120_000);
});
