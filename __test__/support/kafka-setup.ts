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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.KAFKA_BROKERS) {
    project.provide('kafkaBrokers', process.env.KAFKA_BROKERS);
    project.provide('kafkaLog', '');
    return async () => {};
  }
  const broker = await startBroker();
  project.provide('kafkaBrokers', broker.brokers);
  project.provide('kafkaLog', broker.logFile);
  return () => broker.stop();
}
