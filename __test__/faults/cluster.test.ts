// The producer on a replicated cluster of this file's own (scripts/kafka/broker.cjs startCluster:
// 3 KRaft nodes, each a broker and a controller voter): a partition leader killed with SIGKILL
// mid-run, then two nodes down at once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RetryMetrics } from '../../ts';
import { createProducer, ensureTopic, loadDriver } from '../../ts/kafka';
import type { Metadata } from '../../ts/kafka/driver';
import { pacedRun, readAll, sequenced, tally } from '../support/faults';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startCluster } = require('../../scripts/kafka/broker.cjs') as typeof import('../../scripts/kafka/broker.cjs');

type Cluster = Awaited<ReturnType<typeof startCluster>>;

const PARTITIONS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cluster: Cluster;
let config: { 'bootstrap.servers': string };
let topics = 0;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3 });
  config = { 'bootstrap.servers': cluster.brokers };
}, 180_000);
afterAll(() => cluster?.stop(), 60_000);
// A test that failed half-way leaves nodes down: the next one starts with all three up.
afterEach(async () => {
  for (const node of cluster?.nodes ?? []) {
    let alive = true;
    try {
      process.kill(node.pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) await node.restart();
  }
}, 120_000);

/** A topic replicated on all three nodes, acknowledged by at least two (acks=all). */
async function replicatedTopic(): Promise<string> {
  const topic = `cluster-faults-${process.pid}-${topics++}`;
  await ensureTopic(config, topic, { partitions: PARTITIONS, replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
  return topic;
}

/** The topic's partitions as the cluster reports them now (leader and in-sync replicas per partition). */
async function partitionsOf(topic: string): Promise<Metadata['topics'][number]['partitions']> {
  const driver = loadDriver();
  const p = new driver.Producer({ ...config }, {});
  await new Promise<void>((resolve, reject) => p.connect({ timeout: 10_000 }, (e) => (e ? reject(e) : resolve())));
  try {
    const md = await new Promise<Metadata>((resolve, reject) => p.getMetadata({ topic, timeout: 10_000 }, (e, m) => (e ? reject(e) : resolve(m))));
    return md.topics.find((t) => t.name === topic)!.partitions;
  } finally {
    await new Promise<void>((resolve) => p.disconnect(() => resolve()));
  }
}

/** Waits until every partition of `topic` has all three replicas in sync again. */
async function inSync(topic: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await partitionsOf(topic)).some((p) => p.isrs.length < 3)) {
    if (Date.now() > deadline) throw new Error(`${topic}: replicas not back in sync within 60 s`);
    await sleep(500);
  }
}

describe('a 3-node cluster, replication 3, min.insync.replicas 2, acks all', () => {
  it('the leader of partition 0 killed with SIGKILL mid-run: sends go on after the election; 0 lost, 0 duplicated, 0 reordered', async () => {
    const N = 100_000;
    const topic = await replicatedTopic();
    const leader = (await partitionsOf(topic)).find((p) => p.id === 0)!.leader;
    const producer = await createProducer({ ...config, acks: 'all' });
    let electedAfter = 0;
    const r = await pacedRun(
      N,
      (seqs, acked) =>
        producer.sendMany(seqs.map((seq) => sequenced(topic, seq))).then(
          () => acked(seqs),
          () => {},
        ),
      async () => {
        const t0 = performance.now();
        await cluster.node(leader).kill('SIGKILL');
        // Not restarted during the run: two replicas of three are still enough for min.insync.replicas 2.
        for (;;) {
          const p0 = (await partitionsOf(topic)).find((p) => p.id === 0)!;
          if (p0.leader !== leader && p0.leader >= 0) break;
          await sleep(100);
        }
        electedAfter = performance.now() - t0;
        return electedAfter;
      },
    );
    await producer.close();
    const t = tally(await readAll(config, topic, PARTITIONS), r.acknowledged, N);
    console.log(
      `leader kill: node ${leader} (leader of partition 0) killed with ${r.inFlightAtFault} unacknowledged; a new leader in metadata after ${electedAfter.toFixed(0)} ms; ` +
        `longest gap between acknowledgements ${r.stallMs.toFixed(0)} ms; ${r.acknowledged.size} of ${N} acknowledged, ${t.stored} stored; ` +
        `lost ${t.lost}, duplicated ${t.duplicated}, reordered ${t.reordered}`,
    );
    expect(r.inFlightAtFault).toBeGreaterThan(0);
    expect(r.settled).toBe(N);
    expect(r.acknowledged.size).toBe(N); // every send succeeded: the cluster kept a quorum of replicas
    expect(t).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, strangers: 0 });
    await cluster.node(leader).restart();
    await inSync(topic);
  }, 240_000);

  // Two of three down: no partition can take a write (min.insync.replicas 2), and librdkafka gives
  // up on each message after message.timeout.ms (3 s here, so the test sees it; default 300 s).
  // Idempotent (the default): that message may already be stored, so it is not sent again: the send
  // rejects with a RetryError whose cause is a DeliveryUnknownError, and nothing is stored twice or out of order. Without
  // idempotence the timeout is retried (at least once: duplicates possible, reported).
  // Either way sends made once a second node is back succeed.
  it.each([
    ['idempotent (the default): timed-out sends end as DeliveryUnknownError, never stored twice', true],
    ['enable.idempotence false: timed-out sends are retried and all succeed', false],
  ])(
    'two nodes down, %s; sends after a second node is back succeed; 0 acknowledged lost',
    async (_label, idempotent) => {
      const N = 2_000;
      const AFTER = 1_000;
      const topic = await replicatedTopic();
      await inSync(topic);
      const [survivor, ...down] = [1, 2, 3];
      const metrics = new RetryMetrics({ implementation: 'js' });
      const producer = await createProducer(
        { ...config, acks: 'all', 'request.timeout.ms': 2_000, 'message.timeout.ms': 3_000, 'enable.idempotence': idempotent },
        { metrics, retry: { timeout: '120s' } },
      );
      // Warm: the producer knows every leader before the fault.
      await producer.sendMany([sequenced(topic, 0)]);
      for (const id of down) await cluster.node(id).kill('SIGKILL');
      const t0 = performance.now();
      const acknowledged = new Set<number>([0]);
      const rejections: Record<string, number> = {};
      const settle = (seq: number, p: Promise<unknown>) =>
        p.then(
          () => acknowledged.add(seq),
          (e: unknown) => {
            // The send rejects with the RetryError that ends every failed send, its cause what librdkafka's report became.
            const err = e as { code?: unknown; cause?: { code?: unknown } };
            const code = `${String(err.code)}/${String(err.cause?.code)}`;
            rejections[code] = (rejections[code] ?? 0) + 1;
          },
        );
      const during = Array.from({ length: N - 1 }, (_, i) => settle(i + 1, producer.send(sequenced(topic, i + 1))));
      await sleep(8_000);
      const duringOutage = { acknowledged: acknowledged.size - 1, retries: metrics.snapshot().retries, timeouts: metrics.snapshot().errors.Timeout };
      await cluster.node(down[0]!).restart();
      const backAt = performance.now() - t0;
      await Promise.all(during);
      const settledAt = performance.now() - t0;
      const ackedBefore = acknowledged.size;
      const after = Array.from({ length: AFTER }, (_, i) => settle(N + i, producer.send(sequenced(topic, N + i))));
      await Promise.all(after);
      await producer.close();
      const t = tally(await readAll(config, topic, PARTITIONS), acknowledged, N + AFTER);
      console.log(
        `two down, ${idempotent ? 'idempotent' : 'not idempotent'} (nodes ${down.join(', ')}; node ${survivor} alone): in the first 8 s ` +
          `${duringOutage.acknowledged} acknowledged, ${duringOutage.timeouts} timeouts, ${duringOutage.retries} retries; node ${down[0]} back after ${(backAt / 1000).toFixed(1)} s; ` +
          `the ${N} sent during the outage settled after ${(settledAt / 1000).toFixed(1)} s: ${ackedBefore} acknowledged, rejected ${JSON.stringify(rejections)}; ` +
          `then ${acknowledged.size - ackedBefore} of ${AFTER} sent after it acknowledged; stored ${t.stored}, lost ${t.lost}, duplicated ${t.duplicated}, reordered ${t.reordered}`,
      );
      expect(duringOutage.acknowledged).toBe(0); // nothing could be written
      expect(duringOutage.timeouts).toBeGreaterThan(0); // librdkafka gave up on them, as configured
      if (idempotent) {
        // Not sent again: each ends once, as possibly delivered; none stored twice or out of order.
        expect(duringOutage.retries).toBe(0);
        expect(Object.keys(rejections)).toEqual(['ERR_RETRY_EXHAUSTED/ERR_DELIVERY_UNKNOWN']);
        expect(t.duplicated).toBe(0);
        expect(t.reordered).toBe(0);
      } else {
        expect(duringOutage.retries).toBeGreaterThan(0);
        expect(rejections).toEqual({});
        expect(ackedBefore).toBe(N);
      }
      // Sending resumed: everything sent once a second replica was back was acknowledged.
      expect(acknowledged.size - ackedBefore).toBe(AFTER);
      expect(t.lost).toBe(0);
      expect(t.strangers).toBe(0);
      await cluster.node(down[1]!).restart();
      await inSync(topic);
    },
    240_000,
  );
});
