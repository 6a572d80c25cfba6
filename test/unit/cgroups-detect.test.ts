import { describe, expect, it } from 'vitest';
import {
  CGROUP2_SUPER_MAGIC,
  describeCgroupHost,
  layoutFromStatfs,
  parseCgroupMounts,
  parseProcCgroup,
  pathInsideMount,
  TMPFS_MAGIC,
} from '../../src/cgroups/detect';
import { cleanCgroupsPath, resolveCgroupDirs } from '../../src/cgroups/paths';

// This host's layout, plus a co-mounted cpu,cpuacct and net_cls,net_prio as on many distros.
const HYBRID_MOUNTINFO = `24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/net_cls,net_prio rw,relatime - cgroup cgroup rw,net_cls,net_prio
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`;
const HYBRID_PROC_CGROUP = `9:name=systemd:/
4:memory:/process_api/b5ce
3:cpuset:/
2:net_cls,net_prio:/
1:cpu,cpuacct:/
0::/
`;

describe('layout detection', () => {
  it('classifies statfs magic numbers', () => {
    expect(layoutFromStatfs(CGROUP2_SUPER_MAGIC, undefined)).toBe('v2');
    expect(layoutFromStatfs(TMPFS_MAGIC, CGROUP2_SUPER_MAGIC)).toBe('hybrid');
    expect(layoutFromStatfs(TMPFS_MAGIC, TMPFS_MAGIC)).toBe('v1');
    expect(layoutFromStatfs(TMPFS_MAGIC, undefined)).toBe('v1');
  });

  it('parses cgroup mounts: co-mounted and named hierarchies, cgroup2, non-controller options dropped', () => {
    const m = parseCgroupMounts(HYBRID_MOUNTINFO);
    expect(m.map((x) => [x.fstype, x.mountpoint, x.controllers.join(',')])).toEqual([
      ['cgroup', '/sys/fs/cgroup/cpu,cpuacct', 'cpu,cpuacct'],
      ['cgroup', '/sys/fs/cgroup/cpuset', 'cpuset'],
      ['cgroup', '/sys/fs/cgroup/memory', 'memory'],
      ['cgroup', '/sys/fs/cgroup/net_cls,net_prio', 'net_cls,net_prio'],
      ['cgroup', '/sys/fs/cgroup/systemd', 'name=systemd'],
      ['cgroup2', '/sys/fs/cgroup/unified', ''],
    ]);
  });

  it('unescapes octal escapes in mount paths', () => {
    const m = parseCgroupMounts('50 31 0:40 /a\\040b /mnt/x\\040y rw - cgroup cgroup rw,pids\n');
    expect(m[0]).toMatchObject({ mountpoint: '/mnt/x y', mountRoot: '/a b', controllers: ['pids'] });
  });

  it('parses /proc/<pid>/cgroup', () => {
    expect(parseProcCgroup(HYBRID_PROC_CGROUP)).toEqual({
      'name=systemd': '/',
      memory: '/process_api/b5ce',
      cpuset: '/',
      'net_cls,net_prio': '/',
      'cpu,cpuacct': '/',
      '': '/',
    });
  });

  it('maps own cgroups into mounts of a sub-tree (cgroup namespaces, bind mounts)', () => {
    expect(pathInsideMount('/a/b', '/')).toBe('/a/b');
    expect(pathInsideMount('/a/b', '/a')).toBe('/b');
    expect(pathInsideMount('/a', '/a')).toBe('/');
    expect(pathInsideMount('/x', '/a')).toBe('/x');
  });

  it('describes a hybrid host', () => {
    const host = describeCgroupHost('hybrid', parseCgroupMounts(HYBRID_MOUNTINFO), parseProcCgroup(HYBRID_PROC_CGROUP));
    expect(host.v1.map((h) => h.key)).toEqual(['cpu,cpuacct', 'cpuset', 'memory', 'net_cls,net_prio', 'name=systemd']);
    expect(host.unified).toEqual({ mountpoint: '/sys/fs/cgroup/unified', mountRoot: '/' });
    expect(host.own['memory']).toBe('/process_api/b5ce');
    expect(host.own['']).toBe('/');
  });

  it('describes a v2 host (no v1 hierarchies even if some are mounted elsewhere)', () => {
    const mi = '30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n60 1 0:50 / /mnt/v1 rw - cgroup cgroup rw,pids\n';
    const host = describeCgroupHost('v2', parseCgroupMounts(mi), { '': '/user.slice/session-1.scope' });
    expect(host.v1).toEqual([]);
    expect(host.unified!.mountpoint).toBe('/sys/fs/cgroup');
    expect(host.own['']).toBe('/user.slice/session-1.scope');
  });

  it('prefers the mount below /sys/fs/cgroup when a hierarchy is mounted twice', () => {
    const mi = '60 1 0:50 / /mnt/pids rw - cgroup cgroup rw,pids\n39 31 0:50 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n';
    const host = describeCgroupHost('v1', parseCgroupMounts(mi), { pids: '/' });
    expect(host.v1).toHaveLength(1);
    expect(host.v1[0]!.mountpoint).toBe('/sys/fs/cgroup/pids');
  });
});

describe('cgroupsPath resolution', () => {
  const hybrid = describeCgroupHost('hybrid', parseCgroupMounts(HYBRID_MOUNTINFO), parseProcCgroup(HYBRID_PROC_CGROUP));
  const v2 = describeCgroupHost('v2', parseCgroupMounts('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n'), { '': '/runtime.slice/shim' });
  const dirOf = (dirs: { key: string; dir: string }[], key: string) => dirs.find((d) => d.key === key)!.dir;

  it('cleans like runc: no escape above the root', () => {
    expect(cleanCgroupsPath('/a/../b/')).toBe('/b');
    expect(cleanCgroupsPath('../../x/./y')).toBe('x/y');
    expect(cleanCgroupsPath('..')).toBe('');
    expect(cleanCgroupsPath('')).toBe('');
  });

  it('absolute: below every mount point', () => {
    const d = resolveCgroupDirs(hybrid, '/default/c1', 'c1');
    expect(dirOf(d, 'memory')).toBe('/sys/fs/cgroup/memory/default/c1');
    expect(dirOf(d, 'cpu,cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct/default/c1');
    expect(dirOf(d, '')).toBe('/sys/fs/cgroup/unified/default/c1');
    expect(d).toHaveLength(6);
    expect(dirOf(resolveCgroupDirs(v2, '/default/c1', 'c1'), '')).toBe('/sys/fs/cgroup/default/c1');
  });

  it('relative on v1/hybrid: below the caller\'s cgroup in each hierarchy', () => {
    const d = resolveCgroupDirs(hybrid, 'pod/c1', 'c1');
    expect(dirOf(d, 'memory')).toBe('/sys/fs/cgroup/memory/process_api/b5ce/pod/c1');
    expect(dirOf(d, 'cpuset')).toBe('/sys/fs/cgroup/cpuset/pod/c1');
    expect(dirOf(d, '')).toBe('/sys/fs/cgroup/unified/pod/c1');
  });

  it('relative on v2: below the parent of the caller\'s cgroup (runc fs2)', () => {
    expect(dirOf(resolveCgroupDirs(v2, 'c1', 'c1'), '')).toBe('/sys/fs/cgroup/runtime.slice/c1');
  });

  it('empty: "<id>" relative, like runc', () => {
    expect(dirOf(resolveCgroupDirs(hybrid, '', 'abc'), 'memory')).toBe('/sys/fs/cgroup/memory/process_api/b5ce/abc');
    expect(dirOf(resolveCgroupDirs(hybrid, undefined, 'abc'), 'cpuset')).toBe('/sys/fs/cgroup/cpuset/abc');
    expect(dirOf(resolveCgroupDirs(v2, '', 'abc'), '')).toBe('/sys/fs/cgroup/runtime.slice/abc');
  });

  it('refuses the root cgroup itself', () => {
    expect(() => resolveCgroupDirs(hybrid, '/', 'c1')).toThrow(/linux\.cgroupsPath: "\/" names the root cgroup/);
  });

});
