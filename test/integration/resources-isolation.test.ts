// What a container sees of its cgroups, and what the device rules let it do:
// the `cgroup` mount shows the container's own per-controller directories
// (read-only), with and without a cgroup namespace; a device that the rules
// do not allow can be created (runc's default "c *:* m") but not opened.
import { describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { type SpecDoc } from '../helpers';
import { completeText, readMaybe, waitFor, type TestContainer, containerLab } from '../helpers';

const host = detectCgroupHost();
const v1 = host.layout !== 'v2' && ['memory', 'pids'].every((c) => host.v1.some((h) => h.controllers.includes(c)));
const MiB = 1024 * 1024;

describe.skipIf(process.getuid?.() !== 0)('cgroups and devices as the container sees them', () => {
  const suite = containerLab('isolation', { removeAfterEach: true });
  let c: TestContainer | undefined;

  const probe = [
    'cat /proc/self/cgroup > /tmp/cgroup',
    'ls /sys/fs/cgroup > /tmp/ls',
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /tmp/limit',
    // builtins only: a forked cat would list itself
    'while read p; do echo $p; done < /sys/fs/cgroup/pids/cgroup.procs > /tmp/procs',
    '(echo 5 > /sys/fs/cgroup/pids/pids.max) 2> /tmp/write-err; echo $? >> /tmp/write-err',
    'echo done > /tmp/done',
    'exec sleep 600',
  ].join('\n');
  const cgroupMountAndNs = (cgroupNs: boolean) => (spec: SpecDoc) => {
    if (cgroupNs) spec.linux.namespaces.push({ type: 'cgroup' });
  };

  for (const cgroupNs of [false, true]) {
    it.skipIf(!v1)(`the cgroup mount shows the container's own v1 directories, read-only (${cgroupNs ? 'with' : 'without'} a cgroup namespace)`, async () => {
      c = await suite.start({ script: probe, resources: { memory: { limit: 48 * MiB } }, edit: cgroupMountAndNs(cgroupNs) });
      await waitFor('the probe', () => completeText(c!.file('tmp/done')));
      const { pid } = await c.state();
      // its own cgroup, not the host's root: the limit and the processes are the container's
      expect(readMaybe(c.file('tmp/limit'))).toBe(`${48 * MiB}\n`);
      expect(readMaybe(c.file('tmp/procs'))).toBe('1\n'); // pid namespace: the init is 1
      const ls = readMaybe(c.file('tmp/ls'))!.trim().split('\n');
      expect(ls).toEqual(expect.arrayContaining(['memory', 'pids', 'cpu', 'cpuacct', 'devices', 'freezer']));
      expect(ls).not.toContain('unified'); // like runc: a hybrid host's cgroup2 tree is not exposed
      expect(readMaybe(c.file('tmp/write-err'))).toMatch(/Read-only file system\n1\n$/);
      const lines = readMaybe(c.file('tmp/cgroup'))!.trim().split('\n');
      const memoryLine = lines.find((l) => /^\d+:memory:/.test(l))!;
      // a cgroup namespace rooted at the container's cgroup shows "/"; without one, the host path
      expect(memoryLine.split(':')[2]).toBe(cgroupNs ? '/' : c.cgroupsPath);
      // the host's view of the same process is unaffected
      expect(readMaybe(`/proc/${pid}/cgroup`)).toContain(`:memory:${c.cgroupsPath}\n`);
    });
  }

  const withMknod = (extraRules: object[]) => (spec: SpecDoc) => {
    const caps = spec.process.capabilities!;
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), 'CAP_MKNOD'];
    const devices = [...(spec.linux.resources?.devices ?? []), ...extraRules] as { allow: boolean; access: string }[];
    spec.linux.resources = { ...spec.linux.resources, devices };
  };
  const deviceProbe = [
    // /dev/fuse (10:229) needs no capability to open: only the device cgroup can refuse it
    'mknod /dev/fuse-x c 10 229; echo "mknod:$?" > /tmp/fuse',
    '(: <> /dev/fuse-x) 2>> /tmp/fuse; echo "open:$?" >> /tmp/fuse',
    'mknod /dev/null-x c 1 3 && echo ok > /dev/null-x; echo "null:$?" > /tmp/null',
    'echo done > /tmp/done',
    'exec sleep 600',
  ].join('\n');

  it('a device the rules do not allow can be created but not opened; an allowed one works', async () => {
    c = await suite.start({ script: deviceProbe, edit: withMknod([]) });
    await waitFor('the probe', () => completeText(c!.file('tmp/done')));
    expect(readMaybe(c.file('tmp/null'))).toBe('null:0\n');
    const fuse = readMaybe(c.file('tmp/fuse'))!;
    expect(fuse).toMatch(/^mknod:0\n/);
    expect(fuse).toMatch(/Operation not permitted/);
    expect(fuse).toMatch(/open:1\n$/);
    if (v1) {
      const list = readMaybe(`${c.cgroupDir('devices')}/devices.list`)!;
      expect(list).not.toMatch(/^a /m);
      expect(list).not.toContain('c 10:229');
    }
  });

  it('the same device opens once a config rule allows it', async () => {
    c = await suite.start({ script: deviceProbe, edit: withMknod([{ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }]) });
    await waitFor('the probe', () => completeText(c!.file('tmp/done')));
    expect(readMaybe(c.file('tmp/fuse'))).toBe('mknod:0\nopen:0\n');
  });
});
