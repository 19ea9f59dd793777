// Admin helpers over the driver's AdminClient.
import { RetryPolicy } from '../policy';
import { retry } from '../retry';
import { checkNumber } from '../validate';
import { checkConfig, resolveKafkaOptions, type KafkaOptions } from './client';
import { checkTopicName } from './topic-name';
import { loadDriver, type AdminClientLike, type KafkaError } from './driver';

export interface TopicSpec {
  /** Default VELOSTREAM_DEFAULT_PARTITIONS, else -1: the broker's num.partitions. */
  partitions?: number;
  /** Default VELOSTREAM_DEFAULT_REPLICATION_FACTOR, else -1: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '60000' }. */
  config?: Record<string, string>;
}

const TOPIC_ALREADY_EXISTS = 36;
const UNKNOWN_TOPIC = 3;

type AdminRequest = (admin: AdminClientLike, timeout: number, done: (err: KafkaError | null | undefined) => void) => void;

/**
 * One admin request on a short-lived AdminClient, retried by the policy. Resolves true when it
 * did something, false when it failed with `alreadySo`, the code that means the wanted state holds.
 */
async function adminRequest(config: Record<string, unknown>, options: KafkaOptions, what: string, request: AdminRequest, alreadySo: number): Promise<boolean> {
  const base = checkConfig(config);
  const driver = loadDriver(options.driver);
  const resolved = resolveKafkaOptions(options, what);
  const admin = driver.AdminClient.create(base);
  try {
    return await retry(
      () =>
        new Promise<boolean>((resolve, reject) =>
          request(admin, resolved.connectTimeout, (err) => (!err ? resolve(true) : err.code === alreadySo ? resolve(false) : reject(err))),
        ),
      resolved.connect,
    );
  } finally {
    admin.disconnect();
  }
}

/** Creates `topic` unless it exists; resolves `{ created }`. Retriable failures are retried by the policy. */
export async function ensureTopic(
  config: Record<string, unknown>,
  topic: string,
  spec: TopicSpec = {},
  options: KafkaOptions = {},
): Promise<{ created: boolean }> {
  checkTopicName('topic', topic);
  const defaults = RetryPolicy.topicDefaults(options.env ?? process.env);
  const partitions = checkNumber('spec.partitions', spec.partitions ?? defaults.partitions, -1, 2 ** 31 - 1, true);
  const replicationFactor = checkNumber('spec.replicationFactor', spec.replicationFactor ?? defaults.replicationFactor, -1, 32_767, true);
  const newTopic = { topic, num_partitions: partitions, replication_factor: replicationFactor, ...(spec.config ? { config: spec.config } : {}) };
  const created = await adminRequest(
    config,
    options,
    'ensureTopic',
    (admin, timeout, done) => admin.createTopic(newTopic, timeout, done),
    TOPIC_ALREADY_EXISTS,
  );
  return { created };
}

/** Deletes `topic`; resolves `{ deleted }` (false when it did not exist). */
export async function deleteTopic(config: Record<string, unknown>, topic: string, options: KafkaOptions = {}): Promise<{ deleted: boolean }> {
  checkTopicName('topic', topic);
  const deleted = await adminRequest(config, options, 'deleteTopic', (admin, timeout, done) => admin.deleteTopic(topic, timeout, done), UNKNOWN_TOPIC);
  return { deleted };
}
