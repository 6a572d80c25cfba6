import { defineConfig } from 'vitest/config';

// unit: pure logic, no root needed. integration: real kernel, as root, run serially
// (containers share the host's cgroup trees and mount table). differential:
// runc and tsrun on the same configs (test/differential). cgroup2 and
// differential-cgroup2: real cgroup v2 kernel, run inside the VM by
// `npm run test:cgroup2` (skip elsewhere).
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
          // runc and tsrun run the same configs with a probe as the container
          // process; every difference is a tsrun bug or a named rule
          // (test/differential/README.md, docs/conformance.md)
          name: 'differential',
          include: ['test/differential/**/*.test.ts'],
          exclude: ['test/differential/cgroup2.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 1_800_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // the differential suite's cgroup-heavy part, in the cgroup v2 VM
          // (scripts/test-cgroup2.sh); skips elsewhere
          name: 'differential-cgroup2',
          include: ['test/differential/cgroup2.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 3_600_000,
          hookTimeout: 300_000,
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
