// redrive: sends dead letters back to where they came from (the topic their kafka_dlt-original-topic
// header names, on the partition kafka_dlt-original-partition names), without the failure headers,
// in order per partition. It reads the dead-letter topic as a consumer group of its own and commits
// what it has sent, so a second run sends nothing again; it stops at the end offsets it found when
// it started. A dry run reads under a throwaway group and sends nothing.
import { randomUUID } from 'node:crypto';
import { checkFunction, checkNumber, checkObject, typeError } from '../validate';
import { checkConfig, type KafkaOptions } from './client';
import { createConsumer } from './consumer';
import { FAILURE_HEADERS, H, readNumber, readText } from './consumer/failure/headers';
import { loadDriver, type KafkaError } from './driver';
import { createProducer } from './producer';
import { checkTopicName } from './topic-name';

export interface RedriveOptions extends KafkaOptions {
  /** The dead-letter topic to read. */
  from: string;
  /** Send every letter here instead of its original topic (its partition is then the partitioner's). */
  to?: string;
  /** Only letters whose velo-retry-category header is this (the others are passed over, and not sent by a later run either). */
  whereCategory?: string;
  /** Send at most this many; the rest wait for the next run. */
  limit?: number;
  /** Count what would be sent; send nothing, commit nothing. */
  dryRun?: boolean;
  /** The group whose committed offsets are the progress; default `velo-retry-redrive-<from>`. */
  group?: string;
  onProgress?: (progress: RedriveProgress) => void;
}

export interface RedriveProgress {
  /** Letters in the topic past the group's committed offsets when the run started. */
  total: number;
  read: number;
  sent: number;
  skipped: number;
}

export interface RedriveSummary extends RedriveProgress {
  /** Letters sent (or, dry, that would be), by destination topic. */
  byTopic: Record<string, number>;
  /** Letters without a readable original topic (and no `to`): passed over. */
  unroutable: number;
  dryRun: boolean;
}

/** Letters past `group`'s committed offsets, and those offsets per partition (0 where none). */
async function backlog(config: Record<string, unknown>, options: KafkaOptions, group: string, topic: string): Promise<{ total: number; committed: number[] }> {
  const driver = loadDriver(options.driver);
  const c = new driver.KafkaConsumer({ ...config, 'group.id': group, 'enable.auto.commit': false }, {});
  await new Promise<void>((resolve, reject) => c.connect({ timeout: 10_000 }, (e) => (e ? reject(e) : resolve())));
  try {
    const md = await new Promise<{ topics: { name: string; partitions: unknown[] }[] }>((resolve, reject) =>
      c.getMetadata({ topic, timeout: 10_000 }, (e, m) => (e ? reject(e) : resolve(m))),
    );
    const partitions = md.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    const toppars = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const committed = await new Promise<{ partition: number; offset: number }[]>((resolve, reject) =>
      c.committed(toppars, 10_000, (e, v) => (e ? reject(e) : resolve(v))),
    );
    let total = 0;
    const starts: number[] = [];
    for (const tp of toppars) {
      const w = await new Promise<{ highOffset: number; lowOffset: number }>((resolve, reject) =>
        c.queryWatermarkOffsets(topic, tp.partition, 10_000, (e: KafkaError | null | undefined, v) => (e ? reject(e) : resolve(v))),
      );
      const from = committed.find((t) => t.partition === tp.partition)?.offset ?? -1;
      const start = Math.max(from >= 0 ? from : 0, w.lowOffset);
      starts.push(start);
      total += w.highOffset - start;
    }
    return { total, committed: starts };
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }
}

export async function redrive(config: Record<string, unknown>, options: RedriveOptions): Promise<RedriveSummary> {
  const base = checkConfig(config);
  checkObject('options', options);
  const from = checkTopicName('options.from', options.from);
  const to = options.to === undefined ? undefined : checkTopicName('options.to', options.to);
  if (options.whereCategory !== undefined && (typeof options.whereCategory !== 'string' || options.whereCategory === ''))
    throw typeError('options.whereCategory', 'a category name', options.whereCategory);
  const limit = checkNumber('options.limit', options.limit ?? Infinity, 1, Infinity, true);
  if (options.dryRun !== undefined && typeof options.dryRun !== 'boolean') throw typeError('options.dryRun', 'a boolean', options.dryRun);
  if (options.onProgress !== undefined) checkFunction('options.onProgress', options.onProgress);
  const dryRun = options.dryRun === true;
  const group = dryRun ? `velo-retry-redrive-dry-${randomUUID()}` : (options.group ?? `velo-retry-redrive-${from}`);
  if (typeof group !== 'string' || group === '') throw typeError('options.group', 'a non-empty string', group);

  const kafka: KafkaOptions = {
    driver: options.driver,
    env: options.env,
    retry: options.retry,
    connectTimeout: options.connectTimeout,
    metrics: options.metrics,
    properties: options.properties,
  };
  // A dry run counts from where the real group is: what a real run would send now.
  const { total, committed } = await backlog(base, kafka, dryRun ? (options.group ?? `velo-retry-redrive-${from}`) : group, from);
  const summary: RedriveSummary = { total, read: 0, sent: 0, skipped: 0, unroutable: 0, byTopic: {}, dryRun };
  if (total === 0) return summary;
  const producer = dryRun ? undefined : await createProducer(base, kafka);
  const consumer = await createConsumer(
    { ...base, 'group.id': group },
    { ...kafka, topics: [from], fromBeginning: true, ordering: 'partition', concurrency: 1, waitTimeout: 10_000 },
  );
  try {
    await consumer.run(async (m) => {
      if (m.offset < (committed[m.partition] ?? 0)) return; // a dry run reading what the real group has done
      summary.read++;
      const h = m.headers;
      const destination = to ?? readText(h, H.topic);
      const category = readText(h, H.category);
      if (options.whereCategory !== undefined && category !== options.whereCategory) summary.skipped++;
      else if (destination === undefined) {
        summary.unroutable++;
        summary.skipped++;
      } else {
        if (producer !== undefined) {
          const headers = Object.entries(h).filter(([k]) => !FAILURE_HEADERS.has(k));
          const partition = to === undefined ? readNumber(h, H.partition, 'int32') : undefined;
          await producer.send({ topic: destination, key: m.key, value: m.value, headers, ...(partition !== undefined && partition >= 0 ? { partition } : {}) });
        }
        summary.sent++;
        summary.byTopic[destination] = (summary.byTopic[destination] ?? 0) + 1;
      }
      options.onProgress?.({ total, read: summary.read, sent: summary.sent, skipped: summary.skipped });
      if (summary.read >= total || summary.sent >= limit) consumer.stop();
    });
  } finally {
    await consumer.close();
    await producer?.close();
  }
  return summary;
}
