// The producer and the consumer while their broker is killed with SIGKILL and restarted on the same
// data dir and ports: a broker of this file's own (scripts/kafka/broker.cjs), not the suite's.
// What is read back is read by a plain node-rdkafka consumer, assigned every partition from offset
// 0, not by the code under test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, createProducer, ensureTopic, type VeloProducer } from '../../ts/kafka';
import { committedOffsets, endOffsets, withClient } from '../support/kafka';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startBroker } = require('../../scripts/kafka/broker.cjs') as typeof import('../../scripts/kafka/broker.cjs');

type Broker = Awaited<ReturnType<typeof startBroker>>;

const N = 100_000;
const PARTITIONS = 3;
const KEYS = 200;
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

/** Every record of `topic`, per partition in offset order: the sequence numbers in their values. */
async function readAll(topic: string): Promise<number[][]> {
  const ends = await endOffsets(topic, PARTITIONS, config);
  return withClient(
    `reader-${topic}`,
    async (c) => {
      c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })));
      const out: number[][] = ends.map(() => []);
      const total = ends.reduce((a, b) => a + b, 0);
      let read = 0;
      const deadline = Date.now() + 60_000;
      while (read < total && Date.now() < deadline) {
        const batch = await new Promise<{ partition: number; value?: Buffer | null }[]>((resolve, reject) =>
          c.consume(1_000, (e, m) => (e ? reject(e) : resolve(m))),
        );
        for (const m of batch) out[m.partition]!.push(Number(m.value!.toString()));
        read += batch.length;
      }
      expect(read).toBe(total);
      return out;
    },
    config,
  );
}

interface PacedRun {
  acknowledged: Set<number>;
  /** Sequence numbers whose send settled (acknowledged or rejected). */
  settled: number;
  /** Unacknowledged when the broker was killed. */
  inFlightAtKill: number;
  crashMs: number;
  /** The longest time without an acknowledgement. */
  stallMs: number;
}

/**
 * Sends 0..N-1 in chunks of 1,000 every 20 ms with `send(seqs, acked)` (which resolves once the
 * chunk settled, calling acked for what was acknowledged); kills the broker once 30 % are
 * acknowledged and restarts it 1 s later. Resolves when every send settled.
 */
async function pacedRun(send: (seqs: number[], acked: (seqs: number[]) => void) => Promise<unknown>): Promise<PacedRun> {
  const r: PacedRun = { acknowledged: new Set(), settled: 0, inFlightAtKill: -1, crashMs: 0, stallMs: 0 };
  let last = performance.now();
  let issued = 0;
  let crashed: Promise<number> | undefined;
  const acked = (seqs: number[]) => {
    const now = performance.now();
    r.stallMs = Math.max(r.stallMs, now - last);
    last = now;
    for (const seq of seqs) r.acknowledged.add(seq);
    if (crashed === undefined && r.acknowledged.size >= N * 0.3) {
      r.inFlightAtKill = issued - r.acknowledged.size;
      crashed = crash(1_000);
    }
  };
  const chunks: Promise<unknown>[] = [];
  for (let from = 0; from < N; from += 1_000) {
    const seqs = Array.from({ length: 1_000 }, (_, i) => from + i);
    issued += seqs.length;
    chunks.push(send(seqs, acked).finally(() => (r.settled += seqs.length)));
    await sleep(20);
  }
  await Promise.all(chunks);
  expect(crashed).toBeDefined();
  r.crashMs = await crashed!;
  return r;
}

/** Checks what the topic holds against what was acknowledged: each exactly once, in send order per partition. */
function verify(label: string, perPartition: number[][], r: PacedRun): void {
  const count = new Map<number, number>();
  let reordered = 0;
  for (const seqs of perPartition) {
    for (let i = 0; i < seqs.length; i++) {
      count.set(seqs[i]!, (count.get(seqs[i]!) ?? 0) + 1);
      if (i > 0 && seqs[i]! < seqs[i - 1]!) reordered++;
    }
  }
  let lost = 0;
  for (const seq of r.acknowledged) if (!count.has(seq)) lost++;
  const duplicated = [...count.values()].filter((n) => n > 1).length;
  const stored = [...count.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${label}: broker gone ${r.crashMs.toFixed(0)} ms (SIGKILL, restart on its data dir) with ${r.inFlightAtKill} sent and unacknowledged; ` +
      `longest gap between acknowledgements ${r.stallMs.toFixed(0)} ms; ${r.acknowledged.size} of ${N} acknowledged, ${r.settled} settled, ${stored} stored; ` +
      `lost ${lost}, duplicated ${duplicated}, reordered ${reordered}`,
  );
  expect(r.settled).toBe(N);
  // The kill landed mid-run: work in flight, and a gap in acknowledgements as long as the outage, near enough.
  expect(r.inFlightAtKill).toBeGreaterThan(0);
  expect(r.stallMs).toBeGreaterThan(r.crashMs * 0.5);
  expect(lost).toBe(0);
  expect(duplicated).toBe(0);
  expect(reordered).toBe(0);
  // Nothing stored that was never sent.
  for (const seq of count.keys()) expect(seq >= 0 && seq < N).toBe(true);
}

const message = (topic: string, seq: number) => ({ topic, key: `k-${seq % KEYS}`, value: String(seq) });

describe('a broker killed with SIGKILL mid-run, restarted on its data dir', () => {
  // Sends go out paced, 1,000 every 20 ms (~50k/s, under what the broker takes), and go on while the
  // broker is down, so the kill lands with messages in flight and more queued behind them.
  it(`producer send(), ${N.toLocaleString('en-US')} idempotent sends, killed at ~30 % acknowledged: every acknowledged message stored exactly once, in send order per partition; every send settles`, async () => {
    const topic = await freshTopic();
    const producer: VeloProducer = await createProducer(config);
    const r = await pacedRun((seqs, acked) =>
      Promise.all(
        seqs.map((seq) =>
          producer.send(message(topic, seq)).then(
            () => acked([seq]),
            () => {},
          ),
        ),
      ),
    );
    await producer.close();
    verify('send()', await readAll(topic), r);
  }, 180_000);

  it(`producer sendMany(), ${N.toLocaleString('en-US')} in calls of 1,000, killed at ~30 % acknowledged: the same`, async () => {
    const topic = await freshTopic();
    const producer = await createProducer(config);
    const r = await pacedRun((seqs, acked) =>
      producer.sendMany(seqs.map((seq) => message(topic, seq))).then(
        () => acked(seqs),
        () => {},
      ),
    );
    await producer.close();
    verify('sendMany()', await readAll(topic), r);
  }, 180_000);

  it('consumer run(), 30,000 messages, broker killed at ~30 % handled: every message handled, run() keeps going, all committed at the end', async () => {
    const topic = await freshTopic();
    const n = 30_000;
    const producer = await createProducer(config);
    await producer.sendMany(Array.from({ length: n }, (_, seq) => message(topic, seq)));
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
