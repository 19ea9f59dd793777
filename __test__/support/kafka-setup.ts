// Starts the project's own Kafka broker for the integration suite, unless KAFKA_BROKERS names one.
import type { TestProject } from 'vitest/node';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startBroker } = require('../../scripts/kafka/broker.cjs') as typeof import('../../scripts/kafka/broker.cjs');

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    kafkaLog: string;
  }
}

type Broker = Awaited<ReturnType<typeof startBroker>>;
// The 'kafka' and 'faults' projects both set up through this file: one broker serves both, stopped
// when the last of them tears down (each project may load its own copy of this module).
const shared = globalThis as { veloSuiteBroker?: { broker: Promise<Broker>; users: number } };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.KAFKA_BROKERS) {
    project.provide('kafkaBrokers', process.env.KAFKA_BROKERS);
    project.provide('kafkaLog', '');
    return async () => {};
  }
  const entry = (shared.veloSuiteBroker ??= { broker: startBroker(), users: 0 });
  entry.users++;
  const broker = await entry.broker;
  project.provide('kafkaBrokers', broker.brokers);
  project.provide('kafkaLog', broker.logFile);
  return async () => {
    if (--entry.users > 0) return;
    shared.veloSuiteBroker = undefined;
    await broker.stop();
  };
}
