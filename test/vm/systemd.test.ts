// The systemd cgroup driver (--systemd-cgroup) against the VM's real systemd
// (PID 1, pure cgroup v2), as root: a cgroupsPath "system.slice:tsrun:ID"
// becomes the transient unit tsrun-ID.scope with Delegate=yes; the limits are
// unit properties (systemctl show) and cgroup files, and the kernel enforces
// them; update, pause/resume, delete; a tsrun SIGKILLed in the middle of
// create leaves no unit once `delete --force` has run.
// Node and fork+exec are slow under emulation: few CLI calls per test.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { completeText, containerLab, isAlive, readMaybe, waitFor, type Bundle } from '../helpers';
import { inVm, unitProps } from './helpers';

const runnable = inVm && process.getuid?.() === 0;
const MiB = 1024 * 1024;
const SLOW = 240_000;

/** The unit is gone: systemd neither has it loaded nor keeps a failed record of it. */
function expectNoUnit(unit: string, dir: string): void {
  expect({ unit, ...unitProps(unit, ['LoadState', 'ActiveState']), dirExists: fs.existsSync(dir) }).toEqual({ unit, LoadState: 'not-found', ActiveState: 'inactive', dirExists: false });
  const listed = execFileSync('systemctl', ['list-units', '--all', '--plain', '--no-legend', unit], { encoding: 'utf8' }).trim();
  expect(listed).toBe('');
}

describe.skipIf(!runnable)('the systemd cgroup driver, as root in the VM', () => {
  const lab = containerLab('systemd');

  const scopeDir = (id: string) => `/sys/fs/cgroup/system.slice/tsrun-${id}.scope`;
  const cg = (id: string, file: string) => fs.readFileSync(path.join(scopeDir(id), file), 'utf8').trim();

  const bundleFor = (id: string, script: string, resources?: Record<string, unknown>): Bundle =>
    lab.shBundle(script, (spec) => {
      spec.root.readonly = false;
      const linux = spec.linux as Record<string, unknown>;
      linux.cgroupsPath = `system.slice:tsrun:${id}`;
      if (resources) linux.resources = { ...(linux.resources as object), ...resources };
    });

  it('create makes tsrun-ID.scope with Delegate=yes and the limits as properties and files; they are enforced; update, pause/resume; delete removes the unit', async () => {
    const id = lab.id('sd');
    const unit = `tsrun-${id}.scope`;
    const script = [
      'while [ ! -e /tmp/go ]; do sleep 0.2; done',
      'tail /dev/zero; echo "tail:$?" > /tmp/oom',
      // more processes than pids.max allows: the kernel refuses the forks past
      // it (and the subshell gives up at the first refusal, as sh does)
      '(i=0; while [ $i -lt 24 ]; do sleep 600 & i=$((i+1)); done) 2> /tmp/fork-err',
      'echo done > /tmp/done; exec sleep 600',
    ].join('\n');
    const b = bundleFor(id, script, { memory: { limit: 32 * MiB, swap: 32 * MiB }, cpu: { quota: 50_000, period: 100_000 }, pids: { limit: 12 } });
    const file = (p: string) => path.join(b.rootfs, p);

    const created = await lab.create(b, id, { global: ['--systemd-cgroup'] });
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    const props = unitProps(unit, ['Id', 'ActiveState', 'Delegate', 'Slice', 'ControlGroup', 'MemoryMax', 'MemorySwapMax', 'TasksMax', 'CPUQuotaPerSecUSec']);
    expect(props).toEqual({
      Id: unit,
      ActiveState: 'active',
      Delegate: 'yes',
      Slice: 'system.slice',
      ControlGroup: `/system.slice/${unit}`,
      MemoryMax: String(32 * MiB),
      MemorySwapMax: '0',
      TasksMax: '12',
      CPUQuotaPerSecUSec: '500ms',
    });
    const { pid } = await lab.state(id);
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/system.slice/${unit}\n`);
    expect({ memory: cg(id, 'memory.max'), swap: cg(id, 'memory.swap.max'), cpu: cg(id, 'cpu.max'), pids: cg(id, 'pids.max') }).toEqual({
      memory: String(32 * MiB),
      swap: '0',
      cpu: '50000 100000',
      pids: '12',
    });

    expect((await lab.cli(['start', id], { timeout: SLOW })).code).toBe(0);
    // pause/resume freeze the scope's cgroup; systemd keeps the unit active
    expect((await lab.cli(['pause', id], { timeout: SLOW })).code).toBe(0);
    expect({ status: (await lab.state(id)).status, freeze: cg(id, 'cgroup.freeze'), frozen: /^frozen 1$/m.test(cg(id, 'cgroup.events')) }).toEqual({ status: 'paused', freeze: '1', frozen: true });
    expect((await lab.cli(['resume', id], { timeout: SLOW })).code).toBe(0);
    expect({ status: (await lab.state(id)).status, freeze: cg(id, 'cgroup.freeze'), active: unitProps(unit, ['ActiveState']).ActiveState }).toEqual({ status: 'running', freeze: '0', active: 'active' });

    // enforcement: the OOM killer at memory.max, then forks refused at pids.max
    fs.writeFileSync(file('tmp/go'), '');
    expect((await waitFor('the OOM kill', () => completeText(file('tmp/oom')), SLOW, 250)).trim()).toBe('tail:137');
    expect(cg(id, 'memory.events')).toMatch(/^oom_kill [1-9]/m);
    await waitFor('the fork loop', () => completeText(file('tmp/done')), SLOW, 250);
    expect(cg(id, 'pids.events')).toMatch(/^max [1-9]/m);
    expect(Number(cg(id, 'pids.current'))).toBeLessThanOrEqual(12);
    expect(readMaybe(file('tmp/fork-err'))).toMatch(/fork|Resource temporarily unavailable/i);

    // update: the unit's properties and the files both change
    const up = await lab.cli(['--systemd-cgroup', 'update', '--memory', String(64 * MiB), '--memory-swap', String(96 * MiB), '--cpu-quota', '20000', '--pids-limit', '40', id], { timeout: SLOW });
    expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: '' });
    expect(unitProps(unit, ['MemoryMax', 'MemorySwapMax', 'TasksMax', 'CPUQuotaPerSecUSec'])).toEqual({
      MemoryMax: String(64 * MiB),
      MemorySwapMax: String(32 * MiB),
      TasksMax: '40',
      CPUQuotaPerSecUSec: '200ms',
    });
    expect({ memory: cg(id, 'memory.max'), swap: cg(id, 'memory.swap.max'), cpu: cg(id, 'cpu.max'), pids: cg(id, 'pids.max') }).toEqual({
      memory: String(64 * MiB),
      swap: String(32 * MiB),
      cpu: '20000 100000',
      pids: '40',
    });

    expect((await lab.cli(['kill', id, 'KILL'], { timeout: SLOW })).code).toBe(0);
    await lab.waitForStatus(id, 'stopped', SLOW);
    const deleted = await lab.cli(['delete', id], { timeout: SLOW });
    expect({ code: deleted.code, stderr: deleted.stderr }).toEqual({ code: 0, stderr: '' });
    expectNoUnit(unit, scopeDir(id));
  });

  it('a tsrun SIGKILLed in the middle of create (its scope started, the init waiting) leaves no unit after delete --force', async () => {
    const id = lab.id('sdkill');
    const unit = `tsrun-${id}.scope`;
    const marker = path.join(lab.work, `${id}.hook`);
    const b = bundleFor(id, 'exec sleep 600', { pids: { limit: 20 } });
    // a createRuntime hook (after the scope exists, before create returns) that says where tsrun is and waits
    (b.spec as Record<string, unknown>).hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo $PPID $$ > ${marker}.tmp; mv ${marker}.tmp ${marker}; exec sleep 600`] }] };
    b.writeConfig();

    const created = lab.create(b, id, { global: ['--systemd-cgroup'] });
    const [tsrunPid, hookPid] = (await waitFor('the createRuntime hook', () => completeText(marker), SLOW, 200)).trim().split(' ').map(Number) as [number, number];
    expect(unitProps(unit, ['ActiveState', 'Delegate'])).toEqual({ ActiveState: 'active', Delegate: 'yes' });
    process.kill(tsrunPid, 'SIGKILL');
    expect((await created).code).not.toBe(0);
    expect(isAlive(tsrunPid)).toBe(false);
    process.kill(hookPid, 'SIGKILL'); // the hook outlives tsrun; it is the test's own

    const forced = await lab.cli(['delete', '--force', id], { timeout: SLOW });
    expect(forced.code, forced.stderr).toBe(0);
    // tsrun died before state.json was written: delete --force repairs from
    // the create journal and says so (a warning), nothing else
    const said = forced.stderr.split('\n').filter(Boolean);
    expect(said.filter((l) => !/warn.*cleaning up from the create journal/i.test(l))).toEqual([]);
    expectNoUnit(unit, scopeDir(id));
    expect((await lab.cli(['state', id], { timeout: SLOW })).code).not.toBe(0);
  });
});
