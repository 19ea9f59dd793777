// velo-retry/kafka: producer, consumer and admin helpers over node-rdkafka, with retries that know
// librdkafka's errors and metrics for every operation. Needs node-rdkafka (an optional peer
// dependency) or @confluentinc/kafka-javascript, or a driver passed as { driver }.
export { createProducer } from './producer';
export type { VeloProducer, ProducerOptions, OutgoingMessage, Delivery, Compression, Headers } from './producer';
export { createConsumer, TopicWaitError } from './consumer';
export type {
  VeloConsumer,
  ConsumerOptions,
  ConcurrencyOptions,
  ConsumerStats,
  Handler,
  HandlerContext,
  IncomingMessage,
  BatchPosition,
  Ordering,
  PartitionHealth,
  TopicWait,
} from './consumer';
export { ParkedError } from './consumer';
export { ensureTopic, deleteTopic } from './admin';
export { redrive } from './redrive';
export type { RedriveOptions, RedriveProgress, RedriveSummary } from './redrive';
export type { TopicSpec } from './admin';
export type { KafkaOptions } from './client';
export { loadDriver } from './driver';
export {
  RetryError,
  ProducerClosedError,
  DeliveryUnknownError,
  FlushTimeoutError,
  DriverMissingError,
  CodecError,
  PeerMissingError,
  EnvelopeError,
} from '../errors';
export type { Codec, CustomSerializer, Serializer, SerializerOptions } from './codec';
export type { BatchingOptions, BatchedDelivery } from './batching';
export { recommendCompression } from './compression';
export type { CompressionAdvice, CompressionOptions, CodecFigures, CompressionCodec } from './compression';
export { PerformanceCollector } from '../metrics/collector';
export type { PerformanceCollectorOptions, PerformanceSnapshot, RoleSnapshot } from '../metrics/collector';
export type { Driver, KafkaError } from './driver';
