// Crash safety on a pure cgroup v2 kernel (the VM of `npm run test:cgroup2`;
// skipped elsewhere): the fault injection of test/integration/crash-faults
// with fewer kill points (node is 10-15x slower here), where delete --force
// empties the cgroup with cgroup.kill; and the repair of a container whose
// whole state dir was removed while it ran, found through its default v2
// cgroup path (next to the runtime's own cgroup, not below it).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { containerLab, containerLeftovers, isAlive, runFaultInjection } from '../helpers';

const host = detectCgroupHost();
const runnable = process.getuid?.() === 0 && host.layout === 'v2';
const seed = Number(process.env.TSRUN_FAULT_SEED ?? 20261205);
const kills = Number(process.env.TSRUN_FAULT_KILLS_V2 ?? 6);

describe.skipIf(!runnable)('crash safety on a pure cgroup v2 kernel', () => {
  const lab = containerLab('faults-v2');

  it(`create, start, run and delete --force, ${kills} kill points each (seed ${seed})`, async () => {
    const report = await runFaultInjection(lab, { killsPerCommand: kills, lanes: 2, seed, callTimeoutMs: 240_000, log: (l) => console.log(l) });
    console.log(`fault injection (cgroup v2), seed ${seed}:\n  ${report.summary.join('\n  ')}`);
    for (const c of ['create', 'start', 'run', 'delete'] as const) expect(report.kills[c]).toBe(kills);
    expect(report.failures).toEqual([]);
  }, 40 * 60_000);

  it('delete --force finds a running container whose state dir was removed through its default cgroup path', async () => {
    const b = lab.bundle((spec) => void (spec.process.args = ['sleep', '600']));
    const id = lab.id('nodir');
    expect((await lab.create(b, id)).code).toBe(0);
    expect((await lab.cli(['start', id], { timeout: 240_000 })).code).toBe(0);
    const pid = (await lab.state(id)).pid;
    fs.rmSync(path.join(lab.root, id), { recursive: true });
    const del = await lab.cli(['delete', '--force', id], { timeout: 240_000 });
    expect(del.code, del.stderr).toBe(0);
    expect(del.stderr).toMatch(/has no state directory, but its default cgroup \/sys\/fs\/cgroup\/\S+ exists with 1 process\(es\): killing them/);
    expect(isAlive(pid)).toBe(false);
    expect(await containerLeftovers(id, lab.root, [b.dir])).toEqual([]);
  }, 10 * 60_000);
});
