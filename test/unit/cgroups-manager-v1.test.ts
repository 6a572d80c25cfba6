// The v1 (and hybrid) manager against a fake cgroupfs tree: every resource
// field to its hierarchy's file, in runc's fs order, plus the hybrid rules.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupManagerFor } from '../../src/cgroups/manager';
import type { LinuxResources } from '../../src/cgroups/resources';
import { CgroupError } from '../../src/errors';
import { fakeCgroupfs, recorder, type FakeCgroupfs } from './helpers/fake-cgroupfs';

const FULL: LinuxResources = {
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 8, minor: 0, access: 'r' }],
  memory: { limit: 268435456, reservation: 134217728, swap: 536870912, kernelTCP: 1048576, swappiness: 10, disableOOMKiller: true, kernel: 0 },
  cpu: { shares: 512, quota: 50000, period: 200000, burst: 1000, idle: 0, realtimeRuntime: 950000, realtimePeriod: 1000000, cpus: '0', mems: '0' },
  pids: { limit: -1 },
  blockIO: {
    weight: 500,
    leafWeight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 200, leafWeight: 100 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 10 }] },
  rdma: { mlx5_0: { hcaHandles: 3 } },
};

const DEFAULT_ALLOWS = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'];

describe('v1 manager on a fake cgroupfs', () => {
  let fake: FakeCgroupfs;
  afterEach(() => fake.cleanup());

  const setup = (layout: 'v1' | 'hybrid', hierarchies?: string[]) => {
    fake = fakeCgroupfs(layout, hierarchies);
    const rec = recorder(fake.root);
    const warnings: string[] = [];
    const m = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/c1', host: fake.host, trace: rec.trace, warn: (w) => warnings.push(w) });
    return { m, rec, warnings };
  };

  it('writes every resource field to its v1 file in runc order (co-mounted cpu,cpuacct and net_cls,net_prio)', () => {
    const { m, rec } = setup('v1');
    fake.populate('/c1', { 'cpuset.cpus': '0-1', 'cpuset.mems': '0', 'memory.limit_in_bytes': '9223372036854771712' });
    m.create();
    rec.clear();
    m.setResources(FULL);
    expect(rec.writes).toEqual([
      'cpuset/c1/cpuset.cpus <- 0',
      'cpuset/c1/cpuset.mems <- 0',
      'devices/c1/devices.deny <- a *:* rwm',
      'devices/c1/devices.allow <- b 8:0 r',
      ...DEFAULT_ALLOWS.map((l) => `devices/c1/devices.allow <- ${l}`),
      'memory/c1/memory.limit_in_bytes <- 268435456',
      'memory/c1/memory.memsw.limit_in_bytes <- 536870912',
      'memory/c1/memory.soft_limit_in_bytes <- 134217728',
      'memory/c1/memory.kmem.tcp.limit_in_bytes <- 1048576',
      'memory/c1/memory.oom_control <- 1',
      'memory/c1/memory.swappiness <- 10',
      'cpu,cpuacct/c1/cpu.shares <- 512',
      'cpu,cpuacct/c1/cpu.cfs_period_us <- 200000',
      'cpu,cpuacct/c1/cpu.cfs_burst_us <- 1000',
      'cpu,cpuacct/c1/cpu.cfs_quota_us <- 50000',
      'cpu,cpuacct/c1/cpu.cfs_period_us <- 200000',
      'cpu,cpuacct/c1/cpu.cfs_burst_us <- 1000',
      'cpu,cpuacct/c1/cpu.idle <- 0',
      'cpu,cpuacct/c1/cpu.rt_period_us <- 1000000',
      'cpu,cpuacct/c1/cpu.rt_runtime_us <- 950000',
      'cpu,cpuacct/c1/cpu.rt_period_us <- 1000000',
      'pids/c1/pids.max <- max',
      'blkio/c1/blkio.weight <- 500',
      'blkio/c1/blkio.leaf_weight <- 300',
      'blkio/c1/blkio.weight_device <- 8:0 200',
      'blkio/c1/blkio.leaf_weight_device <- 8:0 100',
      'blkio/c1/blkio.throttle.read_bps_device <- 8:0 1048576',
      'blkio/c1/blkio.throttle.write_bps_device <- 8:0 2097152',
      'blkio/c1/blkio.throttle.read_iops_device <- 8:0 100',
      'blkio/c1/blkio.throttle.write_iops_device <- 8:0 200',
      'hugetlb/c1/hugetlb.2MB.limit_in_bytes <- 4194304',
      'hugetlb/c1/hugetlb.2MB.rsvd.limit_in_bytes <- 4194304',
      'net_cls,net_prio/c1/net_cls.classid <- 1048577',
      'net_cls,net_prio/c1/net_prio.ifpriomap <- eth0 10',
      'rdma/c1/rdma.max <- mlx5_0 hca_handle=3',
    ]);
  });

  it('seeds an empty cpuset from its parent at create', () => {
    const { m, rec } = setup('v1', ['cpuset', 'memory']);
    fake.populate('/c1');
    m.create();
    expect(rec.writes).toEqual(['cpuset/c1/cpuset.cpus <- 0-1', 'cpuset/c1/cpuset.mems <- 0']);
  });

  it('hybrid: hugetlb limits and unified keys go to the unified tree, hugetlb enabled top-down', () => {
    const { m, rec } = setup('hybrid', ['cpuset', 'memory', 'pids', 'name=systemd']);
    fake.populate('/c1');
    m.create();
    rec.clear();
    m.setResources({ pids: { limit: 0 }, hugepageLimits: [{ pageSize: '2MB', limit: 0 }], unified: { 'hugetlb.2MB.max': '0' } });
    expect(rec.writes).toEqual([
      'unified/cgroup.subtree_control <- +hugetlb',
      'pids/c1/pids.max <- 1',
      'unified/c1/hugetlb.2MB.max <- 0',
      'unified/c1/hugetlb.2MB.rsvd.max <- 0',
      'unified/c1/hugetlb.2MB.max <- 0',
    ]);
    expect(m.dirs().map((d) => d.key)).toEqual(['cpuset', 'memory', 'pids', 'name=systemd', '']);
  });

  it('hybrid: a unified key whose file is not in the cgroup2 tree is an error naming the key', () => {
    const { m } = setup('hybrid', ['memory']);
    fake.populate('/c1');
    m.create();
    expect(() => m.setResources({ unified: { 'memory.high': '1000' } })).toThrow(/linux\.resources\.unified\["memory\.high"\]: .*memory\.high does not exist; this hybrid host's cgroup v2 tree offers only: hugetlb/);
  });

  it('pure v1: unified keys are refused', () => {
    const { m } = setup('v1', ['memory']);
    fake.populate('/c1');
    m.create();
    expect(() => m.setResources({ unified: { 'memory.high': '1' } })).toThrow(/unified resources need cgroup v2/);
  });

  it('a controller that is not mounted fails before any write, naming the field', () => {
    const { m, rec } = setup('v1', ['memory', 'pids']);
    fake.populate('/c1');
    m.create();
    rec.clear();
    let err: unknown;
    try {
      m.setResources({ pids: { limit: 5 }, network: { classID: 7 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CgroupError);
    expect(String((err as Error).message)).toBe('linux.resources.network.classID: the net_cls cgroup controller is not mounted on this host (no net_cls hierarchy)');
    expect(rec.writes).toEqual([]);
  });

  it('uses the BFQ weight files when blkio.weight is missing', () => {
    const { m, rec } = setup('v1', ['blkio']);
    fake.populate('/c1');
    fs.rmSync(fake.file('blkio', '/c1', 'blkio.weight'));
    fs.writeFileSync(fake.file('blkio', '/c1', 'blkio.bfq.weight'), '100');
    fs.writeFileSync(fake.file('blkio', '/c1', 'blkio.bfq.weight_device'), '');
    m.create();
    rec.clear();
    m.setResources({ blockIO: { weight: 700, weightDevice: [{ major: 8, minor: 0, weight: 300 }] } });
    expect(rec.writes).toEqual(['blkio/c1/blkio.bfq.weight <- 700', 'blkio/c1/blkio.bfq.weight_device <- 8:0 300']);
  });

  it('a missing file names the OCI field and the path', () => {
    const { m } = setup('v1', ['blkio']);
    fake.populate('/c1');
    fs.rmSync(fake.file('blkio', '/c1', 'blkio.leaf_weight'));
    m.create();
    expect(() => m.setResources({ blockIO: { leafWeight: 300 } })).toThrow(/^linux\.resources\.blockIO\.leafWeight: cannot write "300" to .*blkio\/c1\/blkio\.leaf_weight: this host's cgroups do not provide blkio\.leaf_weight/);
  });

  it('update writes memsw before the limit when raising, and keeps zeros unchanged', () => {
    const { m, rec } = setup('v1', ['memory', 'cpu,cpuacct']);
    fake.populate('/c1', { 'memory.limit_in_bytes': '9223372036854771712' });
    m.create();
    m.setResources({ memory: { limit: 1000, swap: 2000 }, cpu: { shares: 1024 } });
    fs.writeFileSync(fake.file('memory', '/c1', 'memory.limit_in_bytes'), '1000');
    rec.clear();
    const merged = m.update({ memory: { limit: 5000, swap: 9000, reservation: 0 }, cpu: { shares: 0, quota: 0, period: 0 } });
    expect(rec.writes).toEqual(['memory/c1/memory.memsw.limit_in_bytes <- 9000', 'memory/c1/memory.limit_in_bytes <- 5000', 'cpu,cpuacct/c1/cpu.shares <- 1024']);
    expect(merged).toEqual({ memory: { limit: 5000, swap: 9000 }, cpu: { shares: 1024 } });
  });

  it('rolls back the dirs it made when a later hierarchy fails', () => {
    setup('v1', ['cpuset', 'memory', 'pids']);
    fs.writeFileSync(path.join(fake.root, 'pids', 'x'), 'in the way');
    const bad = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/x/c1', host: fake.host });
    expect(() => bad.create()).toThrow(CgroupError);
    expect(fs.existsSync(path.join(fake.root, 'cpuset', 'x'))).toBe(false);
    expect(fs.existsSync(path.join(fake.root, 'memory', 'x'))).toBe(false);
  });

  it('the mount plan binds each hierarchy and links co-mounted controllers', () => {
    const { m } = setup('hybrid', ['cpu,cpuacct', 'memory', 'name=systemd']);
    const plan = m.mountPlan({ destination: '/sys/fs/cgroup', flags: 0x1 | 0x2 | 0x4 | 0x8, propagation: [0x40000 | 0x4000], cgroupNamespace: false });
    expect(plan.mounts.map((x) => [x.source.replace(fake.root, '<root>'), x.destination, x.fstype, x.flags, x.remountFlags])).toEqual([
      ['tmpfs', '/sys/fs/cgroup', 'tmpfs', 0xe, 0],
      ['<root>/cpu,cpuacct/c1', '/sys/fs/cgroup/cpu,cpuacct', '', 0x5000, 0xf],
      ['<root>/memory/c1', '/sys/fs/cgroup/memory', '', 0x5000, 0xf],
      ['<root>/systemd/c1', '/sys/fs/cgroup/systemd', '', 0x5000, 0xf],
    ]);
    expect(plan.mounts[1]!.propagation).toEqual([0x40000 | 0x4000]);
    expect(plan.symlinks).toEqual([
      { target: 'cpu,cpuacct', linkPath: '/sys/fs/cgroup/cpu' },
      { target: 'cpu,cpuacct', linkPath: '/sys/fs/cgroup/cpuacct' },
    ]);
    const rw = m.mountPlan({ destination: '/sys/fs/cgroup', flags: 0, propagation: [], cgroupNamespace: true });
    expect(rw.mounts[1]!.remountFlags).toBe(0);
  });
});

describe('v2 mount plan', () => {
  it('cgroup2 with a cgroup namespace, a bind of the container dir without', () => {
    const fake = fakeCgroupfs('v2');
    try {
      const m = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/k8s/c1', host: fake.host });
      const ns = m.mountPlan({ destination: '/sys/fs/cgroup', flags: 0xf, propagation: [], cgroupNamespace: true });
      expect(ns.mounts).toEqual([expect.objectContaining({ source: 'cgroup', fstype: 'cgroup2', flags: 0xf, destination: '/sys/fs/cgroup' })]);
      const bind = m.mountPlan({ destination: '/sys/fs/cgroup', flags: 0xf, propagation: [], cgroupNamespace: false });
      expect(bind.mounts).toEqual([expect.objectContaining({ source: path.join(fake.root, 'k8s/c1'), fstype: '', flags: 0x5000, remountFlags: 0xf })]);
      expect(bind.symlinks).toEqual([]);
    } finally {
      fake.cleanup();
    }
  });
});
