// config.json -> InitPlan, checked against the engines' configs (fixtures).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseJsonText, type Config } from '../../oci-spec';
import { MS, S_IFCHR } from '../../src/native/linux-constants';
import { buildInitPlan, capabilityMask, dedupeEnv, mountPlan, processPlan, propagationFlags, type PlanHost } from '../../src/container/plan';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'oci');
const load = (name: string): Config =>
  parseConfig(parseJsonText(fs.readFileSync(path.join(FIXTURES, name), 'utf8'), name), name);

// this host: caps 0..40, CAP_SYS_RESOURCE (24) missing from the bounding set
const host: PlanHost = { lastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: true };
const bit = (n: number) => 1n << BigInt(n);

function plan(config: Config, extra: Partial<Parameters<typeof buildInitPlan>[0]> = {}) {
  return buildInitPlan({
    id: 'c1',
    bundle: '/bundles/c1',
    config,
    startFifoPath: '/run/tsrun/c1/start.fifo',
    startReplyPath: '/run/tsrun/c1/start.reply',
    host,
    expandCgroupMount: () => ({ mounts: [], symlinks: [] }),
    ...extra,
  });
}

describe('buildInitPlan', () => {
  it('plans the containerd config: namespaces, rootfs, /dev, masked and readonly paths', () => {
    const { plan: p } = plan(load('containerd.json'));
    expect(p.namespaces.map((n) => n.type).sort()).toEqual(['ipc', 'mount', 'network', 'pid', 'uts']);
    expect(p.rootfs).toBe('/bundles/c1/rootfs');
    expect(p.setupDev).toBe(true);
    expect(p.devices.map((d) => d.path)).toEqual(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
    expect(p.devices[0]).toEqual({ path: '/dev/null', fileType: S_IFCHR, major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 });
    expect(p.symlinks.map((s) => `${s.linkPath}->${s.target}`)).toEqual([
      '/dev/fd->/proc/self/fd',
      '/dev/stdin->/proc/self/fd/0',
      '/dev/stdout->/proc/self/fd/1',
      '/dev/stderr->/proc/self/fd/2',
      '/dev/ptmx->pts/ptmx',
      '/dev/core->/proc/kcore',
    ]);
    expect(p.maskedPaths).toContain('/proc/kcore');
    expect(p.readonlyPaths).toContain('/proc/sys');
    expect(p.bindDevices).toBe(false);
    expect(p.startFifoPath).toBe('/run/tsrun/c1/start.fifo');
    expect(p.startReplyPath).toBe('/run/tsrun/c1/start.reply');
  });

  it('joins a session keyring of the container\'s own, as runc (searchable by uid, or by others in a user namespace)', () => {
    const c = load('containerd.json');
    expect(plan(c).plan).toMatchObject({ sessionKeyring: '_ses.c1', sessionKeyringPerm: 0x80000 });
    const u = load('containerd.json');
    u.linux = { ...u.linux, namespaces: [...(u.linux?.namespaces ?? []), { type: 'user' }] };
    expect(plan(u).plan).toMatchObject({ sessionKeyring: '_ses.c1', sessionKeyringPerm: 0x8 });
    const none = plan(c, { noNewKeyring: true }).plan;
    expect(none.sessionKeyring).toBeUndefined();
    expect(none.sessionKeyringPerm).toBeUndefined();
  });

  it('dedupes process.env keeping the last value of each name, as runc', () => {
    expect(dedupeEnv(['A=1', 'PATH=/bin', 'A=2', 'B=', 'B=x'])).toEqual(['PATH=/bin', 'A=2', 'B=x']);
  });

  it('leaves an empty hostname and domainname unset (the UTS namespace keeps the caller\'s)', () => {
    const c = load('containerd.json');
    c.hostname = '';
    c.domainname = '';
    expect(plan(c).plan).toMatchObject({ hostname: null, domainname: null });
  });

  it('binds the host devices instead of mknod in a user namespace', () => {
    const c = load('containerd.json');
    c.linux!.namespaces!.push({ type: 'user' });
    expect(plan(c).plan.bindDevices).toBe(true);
  });

  it('does not set up /dev when /dev is bound from the host', () => {
    const c = load('containerd.json');
    c.mounts = [{ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }];
    const { plan: p } = plan(c);
    expect(p.setupDev).toBe(false);
    expect(p.devices).toEqual([]);
    expect(p.symlinks).toEqual([]);
  });

  it('turns sysctl keys into /proc/sys paths and time offsets into timens_offsets lines', () => {
    const c = load('docker.json');
    c.linux!.timeOffsets = { monotonic: { secs: 3600, nanosecs: 5 }, boottime: { secs: -60 } };
    const { plan: p } = plan(c);
    expect(p.sysctl).toContainEqual(['net/ipv4/ip_unprivileged_port_start', '0']);
    expect(p.timeOffsets).toEqual(['monotonic 3600 5\n', 'boottime -60 0\n']);
  });

  it('passes hooks run by the init and expands cgroup mounts through the manager', () => {
    const c = load('podman.json');
    c.hooks = { createContainer: [{ path: '/bin/a' }], startContainer: [{ path: '/bin/b', args: ['b', '-x'], env: ['A=1'], timeout: 3 }] };
    const expanded = { mounts: [mountPlan({ destination: '/sys/fs/cgroup', type: 'tmpfs', source: 'tmpfs' }, '/b')], symlinks: [] };
    const { plan: p } = plan(c, { expandCgroupMount: () => expanded });
    // no env: the hook gets the process's environment (runc's init gives it its own)
    expect(p.createContainerHooks).toEqual([{ path: '/bin/a', args: ['/bin/a'], env: [], inheritEnv: true, timeout: 0 }]);
    expect(p.startContainerHooks).toEqual([{ path: '/bin/b', args: ['b', '-x'], env: ['A=1'], inheritEnv: false, timeout: 3 }]);
    expect(p.mounts.filter((m) => m.destination === '/sys/fs/cgroup').map((m) => m.fstype)).toEqual(['tmpfs']);
  });

  it('maps rootfsPropagation and leaves the default (rslave) to the init', () => {
    expect(propagationFlags(undefined)).toBe(0);
    expect(propagationFlags('rprivate')).toBe(MS.PRIVATE | MS.REC);
    expect(propagationFlags('shared')).toBe(MS.SHARED);
  });
});

describe('mountPlan', () => {
  it('turns a bind mount into MS_BIND with the other flags for the attribute pass', () => {
    const m = mountPlan({ destination: '/etc/hosts', type: 'bind', source: 'hosts', options: ['rbind', 'ro', 'rprivate'] }, '/bundles/c1');
    expect(m).toMatchObject({
      source: '/bundles/c1/hosts',
      destination: '/etc/hosts',
      fstype: '',
      flags: MS.BIND | MS.REC,
      remountFlags: MS.RDONLY,
      propagation: [MS.PRIVATE | MS.REC],
    });
  });

  it('keeps filesystem mounts as they are and normalises the destination', () => {
    const m = mountPlan({ destination: '/dev//shm/', type: 'tmpfs', source: 'shm', options: ['nosuid', 'mode=1777'] }, '/b');
    expect(m).toMatchObject({ source: 'shm', destination: '/dev/shm/', fstype: 'tmpfs', flags: MS.NOSUID, data: 'mode=1777', remountFlags: 0 });
  });
});

describe('process plan', () => {
  it('limits capabilities to what the host can grant and names the rest in a warning', () => {
    const warnings: string[] = [];
    const c = load('containerd.json');
    c.process!.capabilities!.bounding!.push('CAP_SYS_RESOURCE');
    c.process!.capabilities!.effective!.push('CAP_SYS_RESOURCE');
    const p = processPlan(c.process, host, warnings);
    expect(p.capabilities.bounding & bit(24)).toBe(0n);
    expect(p.capabilities.bounding & bit(0)).toBe(bit(0)); // CAP_CHOWN
    expect(warnings).toEqual(['capabilities not available on this host, not granted: CAP_SYS_RESOURCE']);
  });

  it('keeps ambient only where permitted and inheritable', () => {
    const c = load('containerd.json');
    c.process!.capabilities = { permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL', 'CAP_CHOWN'] };
    expect(processPlan(c.process, host, []).capabilities.ambient).toBe(bit(5));
  });

  it('fills runc defaults: umask 0022, oomScoreAdj unset, rlimit numbers', () => {
    const c = load('containerd.json');
    const p = processPlan(c.process, host, []);
    expect(p.user.umask).toBe(0o022);
    expect(p.oomScoreAdj).toBe(-1001);
    expect(p.rlimits).toEqual([{ resource: 7, name: 'RLIMIT_NOFILE', soft: 1024n, hard: 1024n }]);
    const docker = processPlan(load('docker.json').process, host, []);
    expect(docker.oomScoreAdj).toBe(0);
  });

  it('capabilityMask ignores unknown names (the checks warn about them)', () => {
    const dropped = new Set<string>();
    expect(capabilityMask(['CAP_FLY', 'CAP_KILL'], (1n << 41n) - 1n, dropped)).toBe(bit(5));
    expect(dropped.size).toBe(0);
  });
});
