// Helpers for tests on the real broker: naming, keyed test data, and reading a group's committed
// offsets and a topic's end offsets with a client of their own (never the one under test).
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createProducer, ensureTopic, loadDriver } from '../../ts/kafka';
import type { ConsumerClient } from '../../ts/kafka/driver';

export const brokers = inject('kafkaBrokers');
export const brokerLog = inject('kafkaLog');
export const config = { 'bootstrap.servers': brokers };
export const unique = (what: string): string => `${what}-${randomUUID().slice(0, 8)}`;

/** A message the tests send: `seq` in its value, `k-<seq % keys>` as its key. */
export const keyOf = (seq: number, keys: number): string => `k-${seq % keys}`;

/** Creates `topic` and sends `n` keyed messages (value: the sequence number, padded to `size` bytes). */
export async function produceKeyed(topic: string, n: number, { partitions = 3, keys = 200, size = 0 } = {}): Promise<void> {
  await ensureTopic(config, topic, { partitions, replicationFactor: 1 });
  const p = await createProducer(config, { retry: { strategy: { kind: 'fixed', interval: 100 }, timeout: 30_000 } });
  try {
    for (let from = 0; from < n; from += 5_000) {
      const batch = Array.from({ length: Math.min(5_000, n - from) }, (_, i) => {
        const seq = from + i;
        return { topic, key: keyOf(seq, keys), value: String(seq).padEnd(size, ' ') };
      });
      await p.sendMany(batch);
    }
  } finally {
    await p.close();
  }
}

/** The sequence number a test message carries. */
export const seqOf = (value: Buffer | null): number => Number(value!.toString().trim());

/** A plain node-rdkafka consumer of its own (never the one under test), on the suite's broker or `on`. */
export async function withClient<T>(groupId: string, f: (c: ConsumerClient) => Promise<T>, on: Record<string, unknown> = config): Promise<T> {
  const driver = loadDriver();
  const c = new driver.KafkaConsumer({ ...on, 'group.id': groupId, 'enable.auto.commit': false }, {});
  await new Promise<void>((resolve, reject) => c.connect({ timeout: 10_000 }, (e) => (e ? reject(e) : resolve())));
  try {
    return await f(c);
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }
}

/** The group's committed offset per partition (-1001 when none), read by a client that does not join the group. */
export function committedOffsets(groupId: string, topic: string, partitions: number, on: Record<string, unknown> = config): Promise<number[]> {
  return withClient(
    groupId,
    async (c) => {
      const toppars = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
      const got = await new Promise<{ partition: number; offset: number }[]>((resolve, reject) =>
        c.committed(toppars, 10_000, (e, v) => (e ? reject(e) : resolve(v))),
      );
      return Array.from({ length: partitions }, (_, p) => got.find((t) => t.partition === p)?.offset ?? -1001);
    },
    on,
  );
}

/** Each partition's end offset (the offset the next message will get). */
export function endOffsets(topic: string, partitions: number, on: Record<string, unknown> = config): Promise<number[]> {
  return withClient(
    unique('watermarks'),
    (c) =>
      Promise.all(
        Array.from(
          { length: partitions },
          (_, p) => new Promise<number>((resolve, reject) => c.queryWatermarkOffsets(topic, p, 10_000, (e, w) => (e ? reject(e) : resolve(w.highOffset)))),
        ),
      ),
    on,
  );
}

/** A seeded generator (LCG), so a test's random delays are the same on every run. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}
