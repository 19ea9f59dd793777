import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__test__/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Worker-thread and timing tests measure real time: keep files from competing for the 2 cores.
    fileParallelism: false,
  },
});
