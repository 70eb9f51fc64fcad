import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Suites on the shared PostgreSQL and Redis use their own schema or prefix, so files may run in parallel.
    fileParallelism: true,
  },
});
