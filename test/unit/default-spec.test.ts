import { describe, expect, it } from 'vitest';
import { defaultSpec, formatSpecJson, toRootless } from '../../src/container/default-spec';

describe('default spec (runc specconv.Example)', () => {
  const spec = defaultSpec();

  it('keeps runc\'s defaults', () => {
    expect(spec.ociVersion).toBe('1.3.0');
    expect(spec.process).toMatchObject({ terminal: true, args: ['sh'], cwd: '/', noNewPrivileges: true, user: { uid: 0, gid: 0 } });
    expect(spec.process.capabilities.bounding).toEqual(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    expect(spec.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(spec.mounts.map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
    expect(spec.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount']);
    expect(spec.linux.maskedPaths).toHaveLength(10);
    expect(spec.linux.readonlyPaths).toHaveLength(5);
    expect(spec.linux.resources).toEqual({ devices: [{ allow: false, access: 'rwm' }] });
    expect(spec.linux.seccomp).toBeUndefined();
  });

  it('orders keys like the Go structs', () => {
    expect(Object.keys(spec)).toEqual(['ociVersion', 'process', 'root', 'hostname', 'mounts', 'linux']);
    expect(Object.keys(spec.process)).toEqual(['terminal', 'user', 'args', 'env', 'cwd', 'capabilities', 'rlimits', 'noNewPrivileges']);
    expect(Object.keys(spec.linux)).toEqual(['resources', 'namespaces', 'maskedPaths', 'readonlyPaths']);
  });

  it('adds a cgroup namespace on cgroup v2 hosts and takes a seccomp profile', () => {
    const s = defaultSpec({ cgroupNamespace: true, seccomp: { defaultAction: 'SCMP_ACT_ERRNO' } });
    expect(s.linux.namespaces.at(-1)).toEqual({ type: 'cgroup' });
    expect(s.linux.seccomp).toEqual({ defaultAction: 'SCMP_ACT_ERRNO' });
    // where runc's Go struct has it: after namespaces, before the path lists
    expect(Object.keys(s.linux)).toEqual(['resources', 'namespaces', 'seccomp', 'maskedPaths', 'readonlyPaths']);
  });

  it('returns independent objects', () => {
    const a = defaultSpec();
    a.process.args.push('x');
    a.mounts[0]!.destination = '/changed';
    expect(defaultSpec().process.args).toEqual(['sh']);
    expect(defaultSpec().mounts[0]!.destination).toBe('/proc');
  });

  it('formats like runc spec: tabs, no trailing newline', () => {
    const text = formatSpecJson(spec);
    expect(text.startsWith('{\n\t"ociVersion": "1.3.0",\n\t"process": {\n\t\t"terminal": true,')).toBe(true);
    expect(text.endsWith('}')).toBe(true);
  });
});

describe('rootless variant (runc ToRootless)', () => {
  const spec = toRootless(defaultSpec({ cgroupNamespace: true }), 1000, 1001);

  it('adds a user namespace mapping root to the caller, drops the network namespace', () => {
    expect(spec.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user']);
    expect(spec.linux.uidMappings).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
    expect(spec.linux.gidMappings).toEqual([{ containerID: 0, hostID: 1001, size: 1 }]);
    expect(Object.keys(spec.linux).slice(0, 2)).toEqual(['uidMappings', 'gidMappings']);
  });

  it('binds /sys, drops uid=/gid= options and all resources', () => {
    expect(spec.mounts.find((m) => m.destination === '/sys')).toEqual({
      destination: '/sys',
      type: 'none',
      source: '/sys',
      options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
    });
    expect(spec.mounts.find((m) => m.destination === '/dev/pts')!.options).not.toContain('gid=5');
    expect(spec.linux.resources).toBeUndefined();
  });

  it('is what defaultSpec({ rootless }) builds', () => {
    expect(defaultSpec({ rootless: { uid: 5, gid: 6 } })).toEqual(toRootless(defaultSpec(), 5, 6));
  });
});
