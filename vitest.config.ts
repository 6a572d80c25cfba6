import { defineConfig } from 'vitest/config';

// unit: pure logic, no root needed. integration: real kernel, as root, run serially
// (containers share the host's cgroup trees and mount table).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // compiles dist/ once so tests that run the CLI use the current code
          globalSetup: ['test/integration/global-setup.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
