// The differential suite's cgroup-heavy part, on a pure cgroup v2 kernel
// (the VM of `npm run test:cgroup2`; skipped elsewhere): generated configs
// with linux.resources (memory, cpu, cpuset, pids, io, unified keys,
// device rules), cgroup paths and cgroup namespaces, run by runc and tsrun;
// the probe reads the container's own cgroup files. Self-contained: it
// builds its probe and needs only runc, gcc and the built CLI
// (TSRUN_TEST_CLI, as the cgroup2 project uses).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { testTempDir } from '../helpers/ids';
import { RUNC } from './lib/env';
import { generateCases } from './lib/generator';
import { hostView, machineSettings } from './lib/host';
import { buildProbe } from './lib/probe';
import { reportSummary, runSuite, type SuiteOptions } from './lib/suite';

const runnable = process.getuid?.() === 0 && detectCgroupHost().layout === 'v2';
export const CGROUP_SEED = 20260910;
const seed = Number(process.env.TSRUN_DIFF_CGROUP_SEED ?? CGROUP_SEED);
const count = Number(process.env.TSRUN_DIFF_CGROUP_COUNT ?? 100);

describe.skipIf(!runnable)('runc and tsrun agree on cgroup-heavy configs (pure cgroup v2)', () => {
  let opts: SuiteOptions;
  let settingsBefore: ReturnType<typeof machineSettings>;

  beforeAll(() => {
    settingsBefore = machineSettings();
    if (!fs.existsSync(RUNC)) throw new Error(`${RUNC} is missing: the differential suite compares with Debian's runc`);
    const probe = buildProbe();
    opts = {
      work: testTempDir('diff-v2'),
      probe,
      host: hostView(probe),
      tag: `v2${process.pid.toString(36)}`,
      concurrency: Number(process.env.TSRUN_DIFF_CONCURRENCY ?? 2),
      // Node and every fork are many times slower in the emulated VM
      timeoutMs: 120_000,
    };
  });

  afterAll(() => {
    if (opts) fs.rmSync(opts.work, { recursive: true, force: true });
  });

  it(`${count} generated configs (seed ${seed})`, async () => {
    const s = await runSuite(generateCases({ seed, count, flavour: 'cgroup' }), opts);
    reportSummary(s, `cgroup v2 (seed ${seed}, ${count} configs)`);
    expect(s.diverged, 'unexplained divergences (listed above)').toBe(0);
    expect(s.bothRan / s.tried).toBeGreaterThan(0.3);
  });

  it("leaves this machine's hostname, domainname and sysctls as they were", () => {
    expect(machineSettings()).toEqual(settingsBefore);
  });
});
