// The v2 manager against a fake cgroupfs tree: the exact files and values it
// writes, in runc's order, and its failure paths.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cgroupManagerFor, loadCgroupManager, type CgroupManager } from '../../src/cgroups/manager';
import type { LinuxResources } from '../../src/cgroups/resources';
import { blkioWeightToIoWeight } from '../../src/cgroups/v2/io';
import { decodeInsns } from '../../src/cgroups/v2/devices-ebpf';
import { CgroupError } from '../../src/errors';
import { fakeCgroupfs, recorder, V2_CONTROLLERS, type FakeCgroupfs } from './helpers/fake-cgroupfs';

const FULL: LinuxResources = {
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
  memory: { limit: 268435456, reservation: 134217728, swap: 536870912, swappiness: 60, kernel: 0, disableOOMKiller: false },
  cpu: { shares: 2048, quota: 50000, period: 100000, burst: 10000, idle: 0, cpus: '0-1', mems: '0' },
  pids: { limit: 100 },
  blockIO: {
    weight: 500,
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 100 } },
  unified: { 'memory.high': '200000000', 'memory.oom.group': '1' },
};

describe('v2 manager on a fake cgroupfs', () => {
  let fake: FakeCgroupfs;
  let rec: ReturnType<typeof recorder>;
  let bpf: Array<{ dir: string; insns: Buffer }>;
  let warnings: string[];
  const manager = (cgroupsPath = '/c1'): CgroupManager =>
    cgroupManagerFor({
      containerId: 'c1',
      cgroupsPath,
      host: fake.host,
      trace: rec.trace,
      warn: (m) => warnings.push(m),
      native: {
        loadDeviceFilter: (dir, insns) => {
          bpf.push({ dir, insns });
          rec.writes.push(`BPF ${path.relative(fake.root, dir)}`);
        },
      },
    });

  beforeEach(() => {
    fake = fakeCgroupfs('v2');
    rec = recorder(fake.root);
    bpf = [];
    warnings = [];
  });
  afterEach(() => fake.cleanup());

  it('writes every resource field to its v2 file in runc order', () => {
    fake.populate('/c1');
    const m = manager();
    m.create();
    rec.clear();
    m.setResources(FULL);
    expect(rec.writes).toEqual([
      'c1/pids.max <- 100',
      'c1/memory.swap.max <- 268435456',
      'c1/memory.max <- 268435456',
      'c1/memory.low <- 134217728',
      `c1/io.weight <- ${blkioWeightToIoWeight(500)}`,
      'c1/io.max <- 8:0 rbps=1048576',
      'c1/io.max <- 8:0 wbps=2097152',
      'c1/io.max <- 8:0 riops=100',
      'c1/io.max <- 8:0 wiops=200',
      'c1/cpu.idle <- 0',
      'c1/cpu.weight <- 174',
      'c1/cpu.max.burst <- 10000',
      'c1/cpu.max <- 50000 100000',
      'c1/cpu.max.burst <- 10000',
      'BPF c1',
      'c1/cpuset.cpus <- 0-1',
      'c1/cpuset.mems <- 0',
      'c1/hugetlb.2MB.max <- 4194304',
      'c1/hugetlb.2MB.rsvd.max <- 4194304',
      'c1/rdma.max <- mlx5_0 hca_handle=3 hca_object=100',
      'c1/memory.high <- 200000000',
      'c1/memory.oom.group <- 1',
    ]);
    expect(warnings).toEqual(['linux.resources.memory.swappiness: not supported on cgroup v2, ignored']);
    // the device program: config rules then runc's 11 default allows
    expect(bpf).toHaveLength(1);
    expect(decodeInsns(bpf[0]!.insns).at(-1)!.code).toBe(0x95);
    expect(m.resources()).toEqual(FULL);
  });

  it('uses io.bfq.weight with the raw weight when BFQ is there', () => {
    fake.populate('/c1');
    fs.writeFileSync(fake.file('', '/c1', 'io.bfq.weight'), 'default 100\n');
    const m = manager();
    m.create();
    rec.clear();
    m.setResources({ blockIO: { weight: 500 } });
    // every container gets runc's device program, rules in the config or not
    expect(rec.writes).toEqual(['c1/io.bfq.weight <- 500', 'BPF c1']);
  });

  it('zero means unset: nothing is written for docker\'s zeros, only runc\'s default device program', () => {
    fake.populate('/c1');
    const m = manager();
    m.create();
    rec.clear();
    m.setResources({ memory: { limit: 0, reservation: 0, swap: 0, kernel: 0, disableOOMKiller: false }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } });
    expect(rec.writes).toEqual(['BPF c1']);
  });

  it('enables the controllers top-down along a nested path and records only the dirs it made', () => {
    fake.populate('/a');
    const m = manager('/a/b/c1');
    m.create();
    expect(rec.writes).toEqual([`cgroup.subtree_control <- ${V2_CONTROLLERS.split(' ').map((c) => `+${c}`).join(' ')}`, `a/cgroup.subtree_control <- ${V2_CONTROLLERS.split(' ').map((c) => `+${c}`).join(' ')}`]);
    expect(m.descriptor().created).toEqual([path.join(fake.root, 'a/b'), path.join(fake.root, 'a/b/c1')]);
    m.destroy();
    expect(fs.existsSync(path.join(fake.root, 'a/b'))).toBe(false);
    expect(fs.existsSync(path.join(fake.root, 'a'))).toBe(true);
    m.destroy(); // idempotent
  });

  it('plans the dirs create will make before making them (the create journal records them first)', () => {
    fake.populate('/a');
    const m = manager('/a/b/c1');
    const planned = m.plannedDescriptor();
    expect(planned.created).toEqual([path.join(fake.root, 'a/b'), path.join(fake.root, 'a/b/c1')]);
    expect(fs.existsSync(path.join(fake.root, 'a/b'))).toBe(false); // planning touches nothing
    m.create();
    expect(m.descriptor().created).toEqual(planned.created);
  });

  it('without a record (delete --force repairing), removes the container\'s own dir, never a parent', () => {
    fake.populate('/a');
    fs.mkdirSync(path.join(fake.root, 'a/b/c1'), { recursive: true });
    const bare = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/a/b/c1', host: fake.host });
    bare.destroy({ includeUnrecordedLeaf: true });
    expect(fs.existsSync(path.join(fake.root, 'a/b/c1'))).toBe(false);
    expect(fs.existsSync(path.join(fake.root, 'a/b'))).toBe(true);
  });

  it('destroy leaves a parent it made alone while another container lives in it', () => {
    fake.populate('/a');
    const first = manager('/a/b/c1');
    first.create();
    fake.populate('/a/b/c2'); // a second container under the same parent
    first.destroy();
    expect(fs.existsSync(path.join(fake.root, 'a/b/c1'))).toBe(false);
    expect(fs.existsSync(path.join(fake.root, 'a/b/c2/cgroup.procs'))).toBe(true);
  });

  it('update merges (zero = unchanged), writes the merged set and returns it', () => {
    fake.populate('/c1');
    const m = manager();
    m.create();
    m.setResources({ memory: { limit: 1000, swap: 3000 }, cpu: { shares: 1024, quota: 20000 }, pids: { limit: 10 } });
    rec.clear();
    const merged = m.update({ memory: { limit: 2000, reservation: 0, swap: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } });
    expect(merged).toEqual({ memory: { limit: 2000, swap: 3000 }, cpu: { shares: 1024, quota: 20000 }, pids: { limit: 10 } });
    expect(rec.writes).toEqual(['c1/pids.max <- 10', 'c1/memory.swap.max <- 1000', 'c1/memory.max <- 2000', 'c1/cpu.weight <- 100', 'c1/cpu.max <- 20000 100000']);
    expect(loadCgroupManager(m.descriptor()).resources()).toEqual(merged);
  });

  it('update reinstalls the device filter only when the update brings device rules', () => {
    fake.populate('/c1');
    const m = manager();
    m.create();
    m.setResources({ devices: [{ allow: false, access: 'rwm' }] });
    m.update({ pids: { limit: 5 } });
    expect(bpf).toHaveLength(1);
    m.update({ devices: [{ allow: true, access: 'rwm' }] });
    expect(bpf).toHaveLength(2);
  });

  it('fails naming the OCI field and the file when the host lacks the file', () => {
    fake.populate('/c1');
    fs.rmSync(fake.file('', '/c1', 'rdma.max'));
    const m = manager();
    m.create();
    let err: unknown;
    try {
      m.setResources({ rdma: { mlx5_0: { hcaHandles: 1 } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CgroupError);
    expect((err as CgroupError).message).toMatch(/^linux\.resources\.rdma\["mlx5_0"\]: cannot write "mlx5_0 hca_handle=1" to .*\/c1\/rdma\.max: .*ENOENT/);
    expect((err as CgroupError).path).toBe(fake.file('', '/c1', 'rdma.max'));
  });

  it('refuses unified keys of controllers not enabled for the cgroup, before writing anything', () => {
    fake.populate('/c1', { 'cgroup.controllers': 'memory pids' });
    const m = manager();
    m.create();
    rec.clear();
    expect(() => m.setResources({ pids: { limit: 5 }, unified: { 'io.max': '8:0 rbps=1' } })).toThrow(/unified\["io\.max"\]: the io controller is not enabled/);
    expect(() => m.setResources({ unified: { '../escape': '1' } })).toThrow(/unified\["\.\.\/escape"\]/);
    expect(rec.writes).toEqual([]);
  });

  it('refuses net_cls/net_prio and realtime on v2', () => {
    fake.populate('/c1');
    const m = manager();
    m.create();
    expect(() => m.setResources({ network: { classID: 1 } })).toThrow(/linux\.resources\.network: net_cls and net_prio are cgroup v1 controllers/);
    expect(() => m.setResources({ cpu: { realtimeRuntime: 100 } })).toThrow(/cpu\.realtimeRuntime/);
  });

  it('refuses a pre-existing cgroup that holds processes', () => {
    fake.populate('/c1', { 'cgroup.procs': '4242\n' });
    expect(() => manager().create()).toThrow(/already holds 1 process\(es\) \(4242\)/);
  });

  it('kill --all with SIGKILL writes cgroup.kill', () => {
    fake.populate('/c1');
    const m = manager();
    m.create();
    rec.clear();
    m.killAll(9);
    expect(rec.writes).toEqual(['c1/cgroup.kill <- 1']);
  });

  it('the descriptor reloads into an equivalent manager', () => {
    fake.populate('/c1');
    const m = manager();
    m.create();
    const d = JSON.parse(JSON.stringify(m.descriptor()));
    const again = loadCgroupManager(d);
    expect(again.layout).toBe('v2');
    expect(again.dirs()).toEqual(m.dirs());
    expect(() => loadCgroupManager({ ...d, version: 2 })).toThrow(/descriptor/);
  });
});
