import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // most of a run waits on servers it spawned (PostgreSQL, Redis, the app): four files at once keep
    // this 2-core machine busy; the default (one per core, less one) leaves it idle half the time
    maxWorkers: 4,
  },
});
