// Admin helpers over the driver's AdminClient.
import { RetryPolicy } from '../policy';
import { retry } from '../retry';
import { checkNumber, typeError } from '../validate';
import { checkConfig, resolveOptions, type KafkaOptions } from './client';
import { loadDriver, type KafkaError } from './driver';

export interface TopicSpec {
  /** Default VELOSTREAM_DEFAULT_PARTITIONS, else -1: the broker's num.partitions. */
  partitions?: number;
  /** Default VELOSTREAM_DEFAULT_REPLICATION_FACTOR, else -1: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '60000' }. */
  config?: Record<string, string>;
}

const TOPIC_ALREADY_EXISTS = 36;

/** Creates `topic` unless it exists; resolves `{ created }`. Retriable failures are retried by the policy. */
export async function ensureTopic(config: Record<string, unknown>, topic: string, spec: TopicSpec = {}, options: KafkaOptions = {}): Promise<{ created: boolean }> {
  const base = checkConfig(config);
  if (typeof topic !== 'string' || topic === '') throw typeError('topic', 'a non-empty string', topic);
  const defaults = RetryPolicy.topicDefaults(options.env ?? process.env);
  const partitions = checkNumber('spec.partitions', spec.partitions ?? defaults.partitions, -1, 2 ** 31 - 1, true);
  const replicationFactor = checkNumber('spec.replicationFactor', spec.replicationFactor ?? defaults.replicationFactor, -1, 32_767, true);
  const driver = loadDriver(options.driver);
  const resolved = resolveOptions(options, 'ensureTopic');
  const admin = driver.AdminClient.create(base);
  try {
    return await retry(
      () =>
        new Promise<{ created: boolean }>((resolve, reject) => {
          admin.createTopic({ topic, num_partitions: partitions, replication_factor: replicationFactor, ...(spec.config ? { config: spec.config } : {}) }, resolved.connectTimeout, (err: KafkaError | null | undefined) => {
            if (!err) resolve({ created: true });
            else if (err.code === TOPIC_ALREADY_EXISTS) resolve({ created: false });
            else reject(err);
          });
        }),
      resolved.connect,
    );
  } finally {
    admin.disconnect();
  }
}

/** Deletes `topic`; resolves `{ deleted }` (false when it did not exist). */
export async function deleteTopic(config: Record<string, unknown>, topic: string, options: KafkaOptions = {}): Promise<{ deleted: boolean }> {
  const base = checkConfig(config);
  if (typeof topic !== 'string' || topic === '') throw typeError('topic', 'a non-empty string', topic);
  const driver = loadDriver(options.driver);
  const resolved = resolveOptions(options, 'deleteTopic');
  const admin = driver.AdminClient.create(base);
  try {
    return await retry(
      () =>
        new Promise<{ deleted: boolean }>((resolve, reject) => {
          admin.deleteTopic(topic, resolved.connectTimeout, (err) => {
            if (!err) resolve({ deleted: true });
            else if (err.code === 3) resolve({ deleted: false });
            else reject(err);
          });
        }),
      resolved.connect,
    );
  } finally {
    admin.disconnect();
  }
}
