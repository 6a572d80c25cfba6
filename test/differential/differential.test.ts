// The differential suite on this host: runc (Debian's 1.1.5) and tsrun run
// the same configs, each with the probe as the container process, and must
// agree on the outcome and on everything the probe sees, but for the named
// deliberate differences (lib/rules.ts, docs/conformance.md). Configs: the
// corpus other tools write (test/fixtures/oci, `runc spec` / `tsrun spec`,
// with and without --rootless) and a seeded generator.
// `npm run test:differential -- --seed S --count N` runs more (see
// scripts/test-differential.js); TSRUN_DIFF_* carry its options.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../helpers/ids';
import { RUNC } from './lib/env';
import { corpusCases } from './lib/fixtures';
import { generateCases } from './lib/generator';
import { hostView, machineSettings } from './lib/host';
import { buildProbe } from './lib/probe';
import { reportSummary, runSuite, type SuiteOptions } from './lib/suite';

/** The fixed seed `npm test` uses; a run with another seed: TSRUN_DIFF_SEED. */
export const DEFAULT_SEED = 20260909;
const seed = Number(process.env.TSRUN_DIFF_SEED ?? DEFAULT_SEED);
const count = Number(process.env.TSRUN_DIFF_COUNT ?? 500);
const withCorpus = process.env.TSRUN_DIFF_CORPUS !== '0';
/** only these generated cases (indices), to look at one again */
const only = process.env.TSRUN_DIFF_ONLY?.split(',').map(Number);
/** the config's 30 min fit npm test's 500; a long run gets 3 s a config more */
const generatedTimeoutMs = Math.max(1_800_000, 600_000 + count * 3_000);

let opts: SuiteOptions;
let settingsBefore: ReturnType<typeof machineSettings>;

beforeAll(() => {
  settingsBefore = machineSettings();
  if (!fs.existsSync(RUNC)) throw new Error(`${RUNC} is missing: the differential suite compares with Debian's runc (scripts/install-deps.sh installs it)`);
  const probe = buildProbe();
  opts = {
    work: testTempDir('diff'),
    probe,
    host: hostView(probe),
    tag: `${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`,
    concurrency: Number(process.env.TSRUN_DIFF_CONCURRENCY ?? 4),
    keep: process.env.TSRUN_DIFF_KEEP === '1',
  };
});

afterAll(() => {
  if (opts && !opts.keep) fs.rmSync(opts.work, { recursive: true, force: true });
});

describe('runc and tsrun agree', () => {
  it.runIf(withCorpus)('on the configs other tools write (fixtures, runc/tsrun spec, --rootless)', async () => {
    const s = await runSuite(corpusCases(), opts);
    reportSummary(s, 'corpus');
    expect(s.diverged, 'unexplained divergences (listed above)').toBe(0);
    // the corpus runs: not a comparison of two refusals
    expect(s.bothRan).toBeGreaterThanOrEqual(10);
  });

  it.runIf(count > 0)(`on ${count} generated configs (seed ${seed})`, async () => {
    const all = generateCases({ seed, count });
    const s = await runSuite(only ? only.map((i) => all[i]!) : all, opts);
    reportSummary(s, `generated (seed ${seed}, ${count} configs)`);
    expect(s.diverged, 'unexplained divergences (listed above)').toBe(0);
    // most generated configs start: the comparison covers what the probe sees
    // (a property of the generator's mix; cases picked with --only, often
    // refusals looked at again, are not that mix)
    if (!only) expect(s.bothRan / s.tried).toBeGreaterThan(0.3);
  }, generatedTimeoutMs);

  // configs join their caller's network, UTS and IPC namespaces by path: the
  // runtimes run in namespaces of each run's own, never this machine's
  it("leaves this machine's hostname, domainname and sysctls as they were", () => {
    expect(machineSettings()).toEqual(settingsBefore);
  });
});
