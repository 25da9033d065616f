import { defineConfig } from 'vitest/config';

// Three projects: unit (pure, ms), integration (real sockets, ptys, children),
// e2e (the built binaries as a user runs them). Each bounds its own time.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000 } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 15_000 } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 15_000, fileParallelism: false } },
    ],
  },
});
