import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'modules/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Every log line and process output written during a test is checked after it (test/support/log-lines.ts).
    setupFiles: ['test/support/output-check-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
