import { describe, expect, it } from 'vitest';
import { cgroupMountPlan, type CgroupMountRequest } from '../../src/cgroups/mount-plan';
import type { HierarchyDir } from '../../src/cgroups/paths';
import { MS } from '../../src/native/linux-constants';

const V2_DIRS: HierarchyDir[] = [{ key: '', controllers: [], mountpoint: '/sys/fs/cgroup', dir: '/sys/fs/cgroup/system.slice/c1' }];
const V1_DIRS: HierarchyDir[] = [
  { key: 'memory', controllers: ['memory'], mountpoint: '/sys/fs/cgroup/memory', dir: '/sys/fs/cgroup/memory/c1' },
  { key: 'cpu,cpuacct', controllers: ['cpu', 'cpuacct'], mountpoint: '/sys/fs/cgroup/cpu,cpuacct', dir: '/sys/fs/cgroup/cpu,cpuacct/c1' },
];

function request(o: Partial<CgroupMountRequest> = {}): CgroupMountRequest {
  return { destination: '/sys/fs/cgroup', flags: MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, propagation: [], cgroupNamespace: false, ...o };
}

describe('cgroupMountPlan on cgroup v2', () => {
  it('binds the container cgroup read-only and private without a cgroup namespace (runc mounts a private cgroup2)', () => {
    const p = cgroupMountPlan('v2', V2_DIRS, request());
    expect(p.mounts).toHaveLength(1);
    const m = p.mounts[0]!;
    expect(m.source).toBe('/sys/fs/cgroup/system.slice/c1');
    expect(m.flags).toBe(MS.BIND | MS.REC);
    expect(m.remountFlags).toBe(MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
    // a systemd host's /sys/fs/cgroup is shared: the bind must not stay its peer or slave
    expect(m.propagation).toEqual([MS.PRIVATE | MS.REC]);
  });

  it('keeps the propagation the config mount asks for', () => {
    const p = cgroupMountPlan('v2', V2_DIRS, request({ propagation: [MS.SLAVE | MS.REC] }));
    expect(p.mounts[0]!.propagation).toEqual([MS.SLAVE | MS.REC]);
  });

  it('mounts cgroup2 in a cgroup namespace, with the bind as the fallback source', () => {
    const p = cgroupMountPlan('v2', V2_DIRS, request({ cgroupNamespace: true }));
    expect(p.mounts[0]).toMatchObject({ source: 'cgroup', fstype: 'cgroup2', fallbackSource: '/sys/fs/cgroup/system.slice/c1', propagation: [] });
  });
});

describe('cgroupMountPlan on cgroup v1', () => {
  it('a tmpfs with one bind per hierarchy and links for co-mounted controllers', () => {
    const p = cgroupMountPlan('hybrid', V1_DIRS, request());
    expect(p.mounts.map((m) => [m.destination, m.fstype || 'bind'])).toEqual([
      ['/sys/fs/cgroup', 'tmpfs'],
      ['/sys/fs/cgroup/memory', 'bind'],
      ['/sys/fs/cgroup/cpu,cpuacct', 'bind'],
    ]);
    expect(p.symlinks).toEqual([
      { target: 'cpu,cpuacct', linkPath: '/sys/fs/cgroup/cpu' },
      { target: 'cpu,cpuacct', linkPath: '/sys/fs/cgroup/cpuacct' },
    ]);
  });
});
