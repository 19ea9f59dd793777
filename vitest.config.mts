import { defineConfig } from 'vitest/config';

// Three projects: 'unit' needs nothing but the build (no Java, no broker: `npm run test:unit`);
// 'kafka' talks to a real broker, which its global setup starts (scripts/kafka/broker.cjs) unless
// KAFKA_BROKERS names one. A file under __test__/kafka/ that needs no broker is named *.unit.test.ts.
// 'faults' kills brokers, cluster nodes and consumer processes (`vitest run --project faults`): its
// broker and cluster tests start their own, the consumer ones share the suite's broker.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Worker-thread, timing and broker tests measure real time: keep files from competing for 2 cores.
    fileParallelism: false,
    reporters: ['default', './__test__/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['__test__/**/*.test.ts'], exclude: ['__test__/kafka/**/!(*.unit).test.ts', '__test__/faults/**'] },
      },
      {
        extends: true,
        test: {
          name: 'kafka',
          include: ['__test__/kafka/**/*.test.ts'],
          exclude: ['__test__/kafka/**/*.unit.test.ts'],
          globalSetup: ['__test__/support/kafka-setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: { name: 'faults', include: ['__test__/faults/**/*.test.ts'], globalSetup: ['__test__/support/kafka-setup.ts'], testTimeout: 120_000 },
      },
    ],
  },
});
