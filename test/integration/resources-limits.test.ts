// Resource limits enforced on real containers (this host: cgroup v1
// controllers): a memory limit OOM-kills an allocating process and `events`
// reports it; a pids limit stops a fork bomb and the container stays usable;
// a cpu quota caps the measured usage; `update` changes limits of a running
// container with a visible effect. Timing tolerances are wide: 2 CPUs shared
// with other test runs.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { completeText, readMaybe, sleep, waitFor, type TestContainer, containerLab } from '../helpers';
import { buildStaticHelpers, type StaticHelpers } from './helpers/cbuild';

const host = detectCgroupHost();
const v1 = host.layout !== 'v2' && ['memory', 'pids', 'cpu', 'cpuacct'].every((c) => host.v1.some((h) => h.controllers.includes(c)));
const MiB = 1024 * 1024;
/** cgroup v1's largest cpu.shares (the kernel's MAX_SHARES) */
const MAX_SHARES = 262144;

describe.skipIf(process.getuid?.() !== 0 || !v1)('resource limits on real containers (cgroup v1)', () => {
  const suite = containerLab('resources', { removeAfterEach: true });
  let c: TestContainer | undefined;

  let helpers: StaticHelpers;
  const forkbomb = () => helpers.path('forkbomb');

  beforeAll(() => {
    helpers = buildStaticHelpers(['forkbomb']);
  });
  afterAll(() => {
    helpers?.cleanup();
  });

  const start = async (script: string, resources: Record<string, unknown>) => {
    c = await suite.start({ script, resources });
    return c;
  };
  const cg = (ctrl: string, file: string) => fs.readFileSync(path.join(c!.cgroupDir(ctrl), file), 'utf8').trim();

  it('OOM-kills a process that allocates past memory.limit, and events reports the OOM', async () => {
    // the init waits for /tmp/go, so `events` has its starting count first
    const script = 'while [ ! -e /tmp/go ]; do sleep 0.05; done; tail /dev/zero; echo "tail:$?" > /tmp/result; exec sleep 600';
    await start(script, { memory: { limit: 32 * MiB, swap: 32 * MiB } });
    expect(cg('memory', 'memory.limit_in_bytes')).toBe(String(32 * MiB));
    const events = suite.streamEvents(c!.id, '300ms');
    try {
      await waitFor('the first stats event', () => events.lines.length > 0);
      fs.writeFileSync(c!.file('tmp/go'), '');
      const result = await waitFor('the allocating process to die', () => completeText(c!.file('tmp/result')), 30_000);
      expect(result.trim()).toBe('tail:137'); // SIGKILL by the OOM killer
      expect(cg('memory', 'memory.oom_control')).toMatch(/^oom_kill [1-9]/m);
      await waitFor('the oom event', () => events.lines.some((l) => JSON.parse(l).type === 'oom'), 10_000);
      const oom = events.lines.map((l) => JSON.parse(l)).find((e) => e.type === 'oom');
      expect(oom).toEqual({ type: 'oom', id: c!.id });
      const stats = events.lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'stats');
      expect(stats[0]).toMatchObject({ type: 'stats', id: c!.id, data: { memory: { usage: { limit: 32 * MiB } } } });
      // the container stays up (its shell survived); the stream ends, exit 0, once it stops
      expect((await c!.state()).status).toBe('running');
      expect((await c!.cli(['kill', c!.id, 'KILL'])).code).toBe(0);
      const end = await events.exited;
      expect(end.stderr).toBe('');
      expect(end.code).toBe(0);
    } finally {
      events.stop();
    }
  });

  it('a pids limit stops a fork bomb, and the container stays usable', async () => {
    const limit = 24;
    const script = [
      // the timer is forked first: once the bomb fills the cgroup, a failed fork would end this shell
      'sleep 2 & timer=$!',
      '/forkbomb &',
      // let it sit at the limit, record what the container's own cgroup says, then end it
      'wait $timer',
      'read n < /sys/fs/cgroup/pids/pids.current; echo "$n" > /tmp/during',
      // the init (pid 1) inherits the dying bomb's orphans: let the kernel reap them (SIGCHLD
      // ignored) and wait with builtins only, since zombies still count against pids.max
      "trap '' CHLD",
      'kill -9 -1',
      'i=0; while [ $i -lt 2000000 ]; do read n < /sys/fs/cgroup/pids/pids.current; [ "$n" -le 1 ] && break; i=$((i+1)); done',
      'trap - CHLD',
      '/bin/echo usable > /tmp/after',
      'exec sleep 600',
    ].join('\n');
    // the cpu quota keeps the spinning bomb from starving the other tests
    c = await suite.start({ script,
      resources: { pids: { limit }, cpu: { quota: 50000, period: 100000 } },
      rootfsFiles: { forkbomb: forkbomb() },
    });
    expect(cg('pids', 'pids.max')).toBe(String(limit));
    const after = await waitFor('the container to recover', () => completeText(c!.file('tmp/after')), 40_000);
    expect(after).toBe('usable\n');
    // at the limit (a pid or two may be on their way out at the moment of reading)
    expect(Number(readMaybe(c!.file('tmp/during')))).toBeGreaterThanOrEqual(limit - 2);
    expect(Number(readMaybe(c!.file('tmp/during')))).toBeLessThanOrEqual(limit);
    expect(Number(cg('pids', 'pids.events').split(' ')[1])).toBeGreaterThan(0); // forks refused at the limit
    expect((await c!.state()).status).toBe('running');
    expect(Number(cg('pids', 'pids.current'))).toBe(1);
  });

  /** Share of one CPU the container used over `ms` (cpuacct.usage is in ns). */
  const cpuShare = async (ms: number) => {
    const u0 = Number(cg('cpuacct', 'cpuacct.usage'));
    const t0 = process.hrtime.bigint();
    await sleep(ms);
    const u1 = Number(cg('cpuacct', 'cpuacct.usage'));
    const t1 = process.hrtime.bigint();
    return (u1 - u0) / Number(t1 - t0);
  };

  it('a cpu quota caps the measured usage, and update changes it while running', async () => {
    // the highest weight: the quota, not how busy the machine is, decides how much CPU it gets
    await start('while :; do :; done', { cpu: { quota: 20000, period: 100000, shares: MAX_SHARES } });
    expect(cg('cpu', 'cpu.shares')).toBe(String(MAX_SHARES));
    expect(cg('cpu', 'cpu.cfs_quota_us')).toBe('20000');
    expect(cg('cpu', 'cpu.cfs_period_us')).toBe('100000');
    await sleep(300);
    const capped = await cpuShare(3000);
    expect(capped).toBeGreaterThan(0.03); // it does run
    expect(capped).toBeLessThan(0.3); // but not beyond the 20% quota (plus slack)
    expect(Number(cg('cpu', 'cpu.stat').match(/nr_throttled (\d+)/)![1])).toBeGreaterThan(0);

    const up = await c!.cli(['update', '--cpu-quota', '60000', c!.id]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(cg('cpu', 'cpu.cfs_quota_us')).toBe('60000');
    await sleep(300);
    const raised = await cpuShare(3000);
    expect(raised).toBeLessThan(0.75);
    expect(raised).toBeGreaterThan(capped + 0.1);
    // persisted: the state's cgroup descriptor holds the merged resources
    const state = JSON.parse(fs.readFileSync(path.join(suite.root, c!.id, 'state.json'), 'utf8'));
    expect(state.cgroup.resources.cpu).toEqual({ quota: 60000, period: 100000, shares: MAX_SHARES });
  });

  it('update lowers the pids limit of a running container: later forks fail at the new limit', async () => {
    const script = [
      'while [ ! -e /tmp/go ]; do sleep 0.05; done',
      // a failed fork ends a non-interactive busybox shell: fork in a subshell
      '(i=0; while [ $i -lt 12 ]; do sleep 600 & i=$((i+1)); done) 2>/tmp/forkerr',
      'read n < /sys/fs/cgroup/pids/pids.current; echo "$n" > /tmp/count',
      'exec sleep 600',
    ].join('\n');
    await start(script, { pids: { limit: 64 } });
    const r = await c!.cli(['update', '--pids-limit', '6', c!.id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(cg('pids', 'pids.max')).toBe('6');
    fs.writeFileSync(c!.file('tmp/go'), '');
    const count = await waitFor('the fork loop', () => completeText(c!.file('tmp/count')), 20_000);
    // the init and the forking subshell took 2 of the 6; 4 sleeps got in, then the subshell died
    expect(Number(count)).toBe(5);
    const ps = await c!.cli(['ps', '--format', 'json', c!.id]);
    expect(JSON.parse(ps.stdout)).toHaveLength(5);
    expect(readMaybe(c!.file('tmp/forkerr'))).toMatch(/fork/i);
    const state = JSON.parse(fs.readFileSync(path.join(suite.root, c!.id, 'state.json'), 'utf8'));
    expect(state.cgroup.resources.pids).toEqual({ limit: 6 });
  });

  it('update --resources - takes docker\'s JSON (zero = unchanged) and raises a memory limit', async () => {
    await start('exec sleep 600', { memory: { limit: 32 * MiB }, cpu: { shares: 512 } });
    const docker = JSON.stringify({
      memory: { limit: 64 * MiB, reservation: 0, swap: 128 * MiB, kernel: 0 },
      cpu: { shares: 0, quota: 0, period: 0 },
      blockIO: { weight: 0 },
    });
    const r = await c!.cli(['update', '--resources=-', c!.id], { input: docker });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(cg('memory', 'memory.limit_in_bytes')).toBe(String(64 * MiB));
    expect(cg('memory', 'memory.memsw.limit_in_bytes')).toBe(String(128 * MiB));
    expect(cg('cpu', 'cpu.shares')).toBe('512'); // zero: unchanged
    const state = JSON.parse(fs.readFileSync(path.join(suite.root, c!.id, 'state.json'), 'utf8'));
    expect(state.cgroup.resources).toMatchObject({ memory: { limit: 64 * MiB, swap: 128 * MiB }, cpu: { shares: 512 } });
    // lowering again with a flag (memory first, then memsw, in the kernel's required order)
    const down = await c!.cli(['update', '--memory', '48m', '--memory-swap', '48m', c!.id]);
    expect(down.stderr).toBe('');
    expect(cg('memory', 'memory.limit_in_bytes')).toBe(String(48 * MiB));
    expect(cg('memory', 'memory.memsw.limit_in_bytes')).toBe(String(48 * MiB));
  });
});
