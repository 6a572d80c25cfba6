import { defineConfig } from 'vitest/config';

// unit: pure logic, no root needed. integration: real kernel, as root, run serially
// (containers share the host's cgroup trees and mount table). cgroup2: real
// cgroup v2 kernel, run inside the VM by `npm run test:cgroup2` (skips elsewhere).
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
      {
        test: {
          name: 'cgroup2',
          include: ['test/cgroup2/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          // node runs 10-15x slower in the emulated VM
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
