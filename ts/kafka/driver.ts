// The Kafka driver: node-rdkafka, or @confluentinc/kafka-javascript (the same callback API), or a
// module passed explicitly. Typed structurally here, so velo-retry compiles and loads without
// either installed; only velo-retry/kafka needs one.

import { DriverMissingError } from '../errors';
import { typeError } from '../validate';

export type ClientConfig = Record<string, string | number | boolean | ((...args: never[]) => void) | undefined>;
export type Callback<T = unknown> = (err: KafkaError | null | undefined, value: T) => void;

/** What librdkafka errors look like in node-rdkafka (LibrdKafkaError). */
export interface KafkaError extends Error {
  code: number;
  errno?: number;
  origin?: string;
  isFatal?: boolean;
  isRetriable?: boolean;
}

export interface Metadata {
  orig_broker_id: number;
  brokers: { id: number; host: string; port: number }[];
  topics: { name: string; partitions: { id: number; leader: number; replicas: number[]; isrs: number[] }[] }[];
}

export interface DriverMessage {
  value: Buffer | null;
  key?: Buffer | string | null;
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number;
  headers?: Record<string, Buffer | string>[];
  size?: number;
}

export interface DeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  key?: Buffer | string | null;
  timestamp?: number;
  opaque?: unknown;
}

export interface Client {
  connect(options: { timeout?: number } | null, cb: Callback<Metadata>): unknown;
  disconnect(cb?: Callback<unknown>): unknown;
  disconnect(timeout: number, cb?: Callback<unknown>): unknown;
  getMetadata(options: { topic?: string; timeout?: number; allTopics?: boolean }, cb: Callback<Metadata>): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  isConnected(): boolean;
}

export interface ProducerClient extends Client {
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key?: Buffer | string | null,
    timestamp?: number | null,
    opaque?: unknown,
    headers?: Record<string, Buffer | string>[],
  ): unknown;
  poll(): unknown;
  setPollInterval(ms: number): unknown;
  flush(timeout: number, cb: Callback<void>): unknown;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export interface ConsumerClient extends Client {
  subscribe(topics: string[]): unknown;
  unsubscribe(): unknown;
  consume(count: number, cb: Callback<DriverMessage[]>): unknown;
  commitMessage(message: DriverMessage): unknown;
  commitMessageSync(message: DriverMessage): unknown;
  commit(offsets: TopicPartitionOffset[]): unknown;
  commitSync(offsets: TopicPartitionOffset[]): unknown;
  assign(partitions: { topic: string; partition: number }[]): unknown;
  unassign(): unknown;
  incrementalAssign(partitions: { topic: string; partition: number }[]): unknown;
  incrementalUnassign(partitions: { topic: string; partition: number }[]): unknown;
  /** 'EAGER', 'COOPERATIVE' or 'NONE'. */
  rebalanceProtocol(): string;
  pause(partitions: { topic: string; partition: number }[]): unknown;
  resume(partitions: { topic: string; partition: number }[]): unknown;
  seek(toppar: TopicPartitionOffset, timeout: number, cb: (err: KafkaError | null | undefined) => void): unknown;
  queryWatermarkOffsets(topic: string, partition: number, timeout: number, cb: Callback<{ highOffset: number; lowOffset: number }>): unknown;
  committed(
    toppars: { topic: string; partition: number }[] | undefined,
    timeout: number,
    cb: Callback<{ topic: string; partition: number; offset: number }[]>,
  ): unknown;
  setDefaultConsumeTimeout?(ms: number): unknown;
}

export interface AdminClientLike {
  createTopic(
    topic: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> },
    timeout: number,
    cb: (err: KafkaError | null | undefined) => void,
  ): void;
  deleteTopic(topic: string, timeout: number, cb: (err: KafkaError | null | undefined) => void): void;
  disconnect(): void;
}

export interface Driver {
  Producer: new (config: ClientConfig, topicConfig?: ClientConfig) => ProducerClient;
  KafkaConsumer: new (config: ClientConfig, topicConfig?: ClientConfig) => ConsumerClient;
  AdminClient: { create(config: ClientConfig): AdminClientLike };
  /** librdkafka build features, e.g. ['gzip', 'snappy', 'ssl', 'sasl', 'lz4', 'zstd']. */
  features?: string[];
  librdkafkaVersion?: string;
  CODES?: { ERRORS: Record<string, number> };
}

const CANDIDATES = ['node-rdkafka', '@confluentinc/kafka-javascript'];

let cached: Driver | undefined;

/** The driver passed in, or the first of node-rdkafka / @confluentinc/kafka-javascript installed. */
export function loadDriver(explicit?: unknown): Driver {
  if (explicit !== undefined) {
    const d = explicit as Partial<Driver>;
    if (typeof d !== 'object' || d === null || typeof d.Producer !== 'function' || typeof d.KafkaConsumer !== 'function') {
      throw typeError('options.driver', 'the node-rdkafka module (or @confluentinc/kafka-javascript)', explicit);
    }
    return d as Driver;
  }
  if (cached) return cached;
  const errors: string[] = [];
  for (const name of CANDIDATES) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require(name) as Driver;
      return cached;
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new DriverMissingError(
    `velo-retry/kafka needs a Kafka driver: install node-rdkafka (npm install node-rdkafka) or @confluentinc/kafka-javascript, or pass { driver }. Tried ${errors.join('; ')}`,
  );
}

/** A node-style callback call as a promise. */
export function call<T>(f: (cb: Callback<T>) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    f((err, value) => (err ? reject(err) : resolve(value)));
  });
}
