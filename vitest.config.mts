import { defineConfig } from 'vitest/config';

// Two projects: 'unit' needs nothing but the build (no Java, no broker: `npm run test:unit`);
// 'kafka' talks to a real broker, which its global setup starts (scripts/kafka/broker.cjs) unless
// KAFKA_BROKERS names one. A file under __test__/kafka/ that needs no broker is named *.unit.test.ts.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Worker-thread, timing and broker tests measure real time: keep files from competing for 2 cores.
    fileParallelism: false,
    reporters: ['default', './__test__/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['__test__/**/*.test.ts'], exclude: ['__test__/kafka/**/!(*.unit).test.ts'] } },
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
    ],
  },
});
