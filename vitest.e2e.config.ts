import { defineConfig } from 'vitest/config';

// browser tests: one Chromium at a time on this 2-core machine
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
