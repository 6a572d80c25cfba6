import { defineConfig } from 'vitest/config';

// unit: pure logic, no root needed. integration: real kernel, as root, run serially
// (containers share the host's cgroup trees and mount table). differential:
// runc and tsrun on the same configs (test/differential). vm, cgroup2 and
// differential-cgroup2: in the Vagrant VM (systemd, pure cgroup v2) by
// `npm run test:vagrant` (they skip elsewhere), which also runs integration
// tests there again. scripts/vagrant/guest-run.sh sets TSRUN_IN_VM=1: under
// emulation node runs several times and fork+exec ~25x slower, so the
// integration tests get the VM's timeouts there
const inVm = process.env.TSRUN_IN_VM === '1';
const integrationTimeout = inVm ? 300_000 : 60_000;

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
          testTimeout: integrationTimeout,
          hookTimeout: integrationTimeout,
        },
      },
      {
        test: {
          // the test VM itself (systemd, pure cgroup v2, the rootless user);
          // run there as root and as `vagrant` by scripts/vagrant/guest-run.sh
          name: 'vm',
          include: ['test/vm/**/*.test.ts'],
          environment: 'node',
          // the vm project's files run one at a time: containers under emulation are slow
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 300_000,
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
          // the differential suite's cgroup-heavy part, in the Vagrant VM
          // (scripts/vagrant/guest-run.sh); skips elsewhere
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
          // node runs several times slower in the emulated VM
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
