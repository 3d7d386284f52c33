import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    // End-to-end tests start real servers on loopback; a slow 2-core CI machine needs headroom.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './test/support/count-reporter.ts'],
    pool: 'forks',
  },
});
