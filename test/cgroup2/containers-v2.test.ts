// Real containers started by the tsrun CLI on a pure cgroup v2 kernel (the
// VM of `npm run test:cgroup2`; skipped elsewhere): memory.max with an OOM
// event, cpu.max, pids.max, io, the eBPF device filter, pause/resume with
// cgroup.freeze, kill --all, a nested cgroupsPath, the cgroup mount, update.
// Node is 10-15x slower in the VM: few CLI calls per test, wide tolerances.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { blkioWeightToIoWeight } from '../../src/cgroups/v2/io';
import { type SpecDoc } from '../helpers';
import { completeText, lastCount, readMaybe, sleep, waitFor, type StartOptions, type TestContainer, containerLab } from '../helpers';

const host = detectCgroupHost();
const runnable = process.getuid?.() === 0 && host.layout === 'v2';
const MiB = 1024 * 1024;
const SLOW = 120_000;

/** A block device io.max accepts: the first partition, else loop0 (7:0). */
const blockDevice = (() => {
  const line = fs.readFileSync('/proc/partitions', 'utf8').split('\n').slice(2).find((l) => l.trim());
  if (!line) return { major: 7, minor: 0 };
  const [major, minor] = line.trim().split(/\s+/).map(Number);
  return { major: major!, minor: minor! };
})();

describe.skipIf(!runnable)('containers on a pure cgroup v2 kernel', () => {
  const suite = containerLab('v2containers', { removeAfterEach: true });
  let c: TestContainer | undefined;

  const start = async (script: string, more: Partial<StartOptions> = {}) => {
    c = await suite.start({ script, ...more });
    return c;
  };
  const cg = (file: string) => fs.readFileSync(path.join(c!.cgroupDir(''), file), 'utf8').trim();
  const done = () => waitFor('the container script', () => completeText(c!.file('tmp/done')), SLOW, 200);

  it('memory.max OOM-kills an allocation past it and events reports the OOM; update raises the limit', async () => {
    const script = 'while [ ! -e /tmp/go ]; do sleep 0.2; done; tail /dev/zero; echo "tail:$?" > /tmp/done; exec sleep 600';
    await start(script, { resources: { memory: { limit: 32 * MiB, swap: 32 * MiB } } });
    expect(cg('memory.max')).toBe(String(32 * MiB));
    expect(cg('memory.swap.max')).toBe('0');
    const events = suite.streamEvents(c!.id, '2s');
    try {
      await waitFor('the first stats event', () => events.lines.length > 0, SLOW, 200);
      fs.writeFileSync(c!.file('tmp/go'), '');
      expect((await done()).trim()).toBe('tail:137');
      expect(cg('memory.events')).toMatch(/^oom_kill [1-9]/m);
      await waitFor('the oom event', () => events.lines.some((l) => JSON.parse(l).type === 'oom'), SLOW, 200);
      expect(events.lines.map((l) => JSON.parse(l)).find((e) => e.type === 'oom')).toEqual({ type: 'oom', id: c!.id });
      const docker = JSON.stringify({ memory: { limit: 64 * MiB, reservation: 0, swap: 128 * MiB, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } });
      const up = await c!.cli(['update', '--resources', '-', c!.id], { input: docker, timeout: SLOW });
      expect(up.stderr).toBe('');
      expect(cg('memory.max')).toBe(String(64 * MiB));
      expect(cg('memory.swap.max')).toBe(String(64 * MiB)); // memory+swap minus memory
      expect((await c!.cli(['kill', c!.id, '9'], { timeout: SLOW })).code).toBe(0);
      expect((await events.exited).code).toBe(0);
    } finally {
      events.stop();
    }
  });

  const mountProbe = [
    'cat /proc/self/cgroup > /tmp/cgroup',
    'cat /sys/fs/cgroup/memory.max > /tmp/limit',
    '(echo 5 > /sys/fs/cgroup/pids.max) 2> /tmp/write-err; echo $? >> /tmp/write-err',
    'echo done > /tmp/done',
  ];
  /** What the mount probe saw: the container's own cgroup, read-only. */
  const expectOwnCgroup = (limit: number, cgroupNs: boolean) => {
    expect(readMaybe(c!.file('tmp/limit'))).toBe(`${limit}\n`);
    expect(readMaybe(c!.file('tmp/cgroup'))).toBe(cgroupNs ? '0::/\n' : `0::${c!.cgroupsPath}\n`);
    expect(readMaybe(c!.file('tmp/write-err'))).toMatch(/Read-only file system\n1\n$/);
  };

  it('cpu.max caps a busy loop near its quota; io files; the cgroup mount without a cgroup namespace; update changes cpu and io', async () => {
    const { major, minor } = blockDevice;
    await start([...mountProbe, 'while :; do :; done'].join('\n'), {
      resources: {
        memory: { limit: 40 * MiB },
        cpu: { quota: 20000, period: 100000, shares: 1024 },
        blockIO: { weight: 500, throttleReadBpsDevice: [{ major, minor, rate: 1048576 }], throttleWriteIOPSDevice: [{ major, minor, rate: 100 }] },
      },
    });
    await done();
    expectOwnCgroup(40 * MiB, false); // a bind of the container's dir
    expect(cg('cpu.max')).toBe('20000 100000');
    expect(cg('cpu.weight')).toBe('100');
    expect(cg('io.max')).toBe(`${major}:${minor} rbps=1048576 wbps=max riops=max wiops=100`);
    const weightFile = fs.existsSync(path.join(c!.cgroupDir(''), 'io.bfq.weight')) ? 'io.bfq.weight' : 'io.weight';
    const weight = (w: number) => (weightFile === 'io.weight' ? `default ${blkioWeightToIoWeight(w)}` : `default ${w}`);
    expect(cg(weightFile)).toBe(weight(500));

    const usage = () => Number(cg('cpu.stat').match(/^usage_usec (\d+)/m)![1]);
    await sleep(1000);
    const u0 = usage();
    const t0 = Date.now();
    await sleep(5000);
    const share = (usage() - u0) / 1000 / (Date.now() - t0);
    expect(share).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.35);
    expect(Number(cg('cpu.stat').match(/^nr_throttled (\d+)/m)![1])).toBeGreaterThan(0);

    const up = await c!.cli(['update', '--cpu-quota', '50000', '--cpu-share', '512', '--blkio-weight', '100', c!.id], { timeout: SLOW });
    expect(up.stderr).toBe('');
    expect(cg('cpu.max')).toBe('50000 100000');
    expect(Number(cg('cpu.weight'))).toBeLessThan(100);
    expect(cg(weightFile)).toBe(weight(100));
  });

  it('pids.max stops forks at the limit; update lowers it; events --stats and ps see the processes', async () => {
    const script = [
      'while [ ! -e /tmp/go ]; do sleep 0.2; done',
      '(i=0; while [ $i -lt 20 ]; do sleep 600 & i=$((i+1)); done) 2>/tmp/forkerr',
      'read n < /sys/fs/cgroup/pids.current; echo "$n" > /tmp/done',
      'exec sleep 600',
    ].join('\n');
    await start(script, { resources: { pids: { limit: 64 }, memory: { limit: 64 * MiB } } });
    expect(cg('pids.max')).toBe('64');
    expect((await c!.cli(['update', '--pids-limit', '8', c!.id], { timeout: SLOW })).code).toBe(0);
    expect(cg('pids.max')).toBe('8');
    fs.writeFileSync(c!.file('tmp/go'), '');
    expect(Number(await done())).toBe(7); // the init, 6 sleeps; the forking subshell died at the limit
    expect(cg('pids.events')).toMatch(/^max [1-9]/m);
    expect(readMaybe(c!.file('tmp/forkerr'))).toMatch(/fork/i);

    const r = await c!.cli(['events', '--stats', c!.id], { timeout: SLOW });
    expect(r.stderr).toBe('');
    const ev = JSON.parse(r.stdout);
    expect(ev).toMatchObject({ type: 'stats', id: c!.id, data: { pids: { current: 7, limit: 8 }, memory: { usage: { limit: 64 * MiB } } } });
    expect(ev.data.cpu.usage.total).toBeGreaterThan(0);
    const ps = JSON.parse((await c!.cli(['ps', '--format', 'json', c!.id], { timeout: SLOW })).stdout) as number[];
    expect(ps).toHaveLength(7);
    expect(ps.sort()).toEqual(cg('cgroup.procs').split('\n').map(Number).sort());
  });

  const withMknod = (extraRules: { allow: boolean; type: string; major: number; minor: number; access: string }[]) => (spec: SpecDoc) => {
    const caps = spec.process.capabilities!;
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), 'CAP_MKNOD'];
    spec.linux.resources = { ...spec.linux.resources, devices: [...(spec.linux.resources?.devices ?? []), ...extraRules] as { allow: boolean; access: string }[] };
  };
  const deviceProbe = [
    'mknod /dev/fuse-x c 10 229; echo "mknod:$?" > /tmp/fuse',
    '(: <> /dev/fuse-x) 2>> /tmp/fuse; echo "open:$?" >> /tmp/fuse',
    'mknod /dev/null-x c 1 3 && echo ok > /dev/null-x; echo "null:$?" >> /tmp/fuse',
    'echo done > /tmp/done',
    'exec sleep 600',
  ].join('\n');

  it('the eBPF device filter refuses opening a device the rules do not allow; a config rule allows it', async () => {
    await start(deviceProbe, { edit: withMknod([]) });
    await done();
    const denied = readMaybe(c!.file('tmp/fuse'))!;
    expect(denied).toMatch(/^mknod:0\n/);
    expect(denied).toMatch(/Operation not permitted\nopen:1\nnull:0\n$/);
    await suite.remove(c);
    await start(deviceProbe, { edit: withMknod([{ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }]) });
    await done();
    expect(readMaybe(c!.file('tmp/fuse'))).toBe('mknod:0\nopen:0\nnull:0\n');
  });

  it('pause freezes through cgroup.freeze (state paused), resume thaws; kill --all 9 takes a paused container', async () => {
    await start('i=0; while :; do i=$((i+1)); echo $i >> /tmp/count; sleep 0.1; done');
    const count = () => lastCount(c!.file('tmp/count'));
    await waitFor('the counter', () => count() > 2, SLOW, 200);
    expect((await c!.cli(['pause', c!.id], { timeout: SLOW })).code).toBe(0);
    expect(cg('cgroup.freeze')).toBe('1');
    expect(cg('cgroup.events')).toMatch(/^frozen 1$/m);
    expect((await c!.state()).status).toBe('paused');
    const at = count();
    await sleep(1500);
    expect(count()).toBe(at);
    expect((await c!.cli(['resume', c!.id], { timeout: SLOW })).code).toBe(0);
    expect(cg('cgroup.freeze')).toBe('0');
    await waitFor('the counter to continue', () => count() > at + 2, SLOW, 200);

    expect((await c!.cli(['pause', c!.id], { timeout: SLOW })).code).toBe(0);
    const k = await c!.cli(['kill', '--all', c!.id, '9'], { timeout: SLOW });
    expect(k.stderr).toBe('');
    await waitFor('an empty cgroup', () => cg('cgroup.procs') === '', SLOW, 200);
    expect((await c!.state()).status).toBe('stopped');
  });

  it('a nested cgroupsPath enables controllers top-down; delete removes the dirs create made', async () => {
    const nest = `tsrun-test-nest-${process.pid}-${Date.now().toString(36)}`;
    await start('echo done > /tmp/done; exec sleep 600', {
      resources: { memory: { limit: 48 * MiB }, pids: { limit: 40 } },
      edit: (spec) => {
        (spec.linux as Record<string, unknown>).cgroupsPath = `/${nest}/a/b`;
      },
    });
    await done();
    const leaf = `/sys/fs/cgroup/${nest}/a/b`;
    expect(fs.readFileSync(`${leaf}/memory.max`, 'utf8').trim()).toBe(String(48 * MiB));
    expect(fs.readFileSync(`${leaf}/pids.max`, 'utf8').trim()).toBe('40');
    for (const p of [`/sys/fs/cgroup/${nest}`, `/sys/fs/cgroup/${nest}/a`]) {
      expect(fs.readFileSync(`${p}/cgroup.subtree_control`, 'utf8').trim().split(' ')).toEqual(expect.arrayContaining(['cpu', 'io', 'memory', 'pids']));
    }
    const { pid } = await c!.state();
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/${nest}/a/b\n`);
    expect((await c!.cli(['delete', '--force', c!.id], { timeout: SLOW })).code).toBe(0);
    expect(fs.existsSync(`/sys/fs/cgroup/${nest}`)).toBe(false);
  });

  it('the cgroup mount in a cgroup namespace is a cgroup2 mount rooted at the container cgroup', async () => {
    await start([...mountProbe, 'exec sleep 600'].join('\n'), {
      resources: { memory: { limit: 40 * MiB } },
      edit: (spec) => {
        spec.linux.namespaces.push({ type: 'cgroup' });
      },
    });
    await done();
    expectOwnCgroup(40 * MiB, true);
  });
});
