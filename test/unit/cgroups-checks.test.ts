import { describe, expect, it } from 'vitest';
import { parseResources } from '../../oci-spec/validate';
import { runChecks } from '../../src/validate/checks';
import { checkResources, resourceChecks, type CgroupHostFacts } from '../../src/cgroups/checks';
import type { LinuxResources } from '../../src/cgroups/resources';

const hybrid: CgroupHostFacts = {
  layout: 'hybrid',
  cpus: new Set([0, 1]),
  mems: new Set([0]),
  hugePageSizes: ['2MB', '1GB'],
  v1Controllers: new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'name=systemd']),
  v2Controllers: new Set(['hugetlb']),
};
const v2: CgroupHostFacts = { ...hybrid, layout: 'v2', v1Controllers: new Set(), v2Controllers: new Set(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']) };

const errors = (res: LinuxResources, facts = hybrid) => checkResources(res, facts).filter((f) => f.severity === 'error').map((f) => `${f.path}: ${f.message}`);
const warnings = (res: LinuxResources, facts = hybrid) => checkResources(res, facts).filter((f) => f.severity === 'warning').map((f) => f.path);

describe('resource checks', () => {
  it('accept what engines send by default', () => {
    expect(checkResources({ cpu: { shares: 1024 } }, hybrid)).toEqual([]);
    expect(checkResources({ pids: { limit: 2048 } }, v2)).toEqual([]);
    expect(checkResources({ cpu: { shares: 0 }, blockIO: { weight: 0 }, memory: { disableOOMKiller: false }, devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] }, hybrid)).toEqual([]);
    expect(checkResources(undefined, hybrid)).toEqual([]);
  });

  it('negative limits other than -1', () => {
    expect(errors({ memory: { limit: -2 } })).toEqual(['linux.resources.memory.limit: -2 is not a byte count (use -1 for unlimited)']);
    expect(errors({ memory: { limit: -1, reservation: -5 } })).toHaveLength(1);
    expect(errors({ pids: { limit: -2 } })).toEqual(['linux.resources.pids.limit: -2 is not valid (use -1 for unlimited)']);
    expect(errors({ pids: { limit: -1 } })).toEqual([]);
    expect(errors({ cpu: { quota: -5 } })[0]).toMatch(/^linux\.resources\.cpu\.quota:/);
  });

  it('swap must come with a limit and be >= it', () => {
    expect(errors({ memory: { swap: 100 } })[0]).toMatch(/^linux\.resources\.memory\.swap: a swap limit needs linux\.resources\.memory\.limit/);
    expect(errors({ memory: { limit: 200, swap: 100 } })[0]).toMatch(/memory\.swap: 100 is below/);
    expect(errors({ memory: { limit: 200, swap: -1 } })).toEqual([]);
    expect(errors({ memory: { limit: -1, swap: 300 } })).toEqual([]);
  });

  it('weights and shares out of range', () => {
    expect(errors({ blockIO: { weight: 5 } })).toEqual(['linux.resources.blockIO.weight: 5 is outside 10-1000']);
    expect(errors({ blockIO: { leafWeight: 2000, weightDevice: [{ major: 8, minor: 0, weight: 1 }] } })).toEqual([
      'linux.resources.blockIO.leafWeight: 2000 is outside 10-1000',
      'linux.resources.blockIO.weightDevice[0].weight: 1 is outside 10-1000',
    ]);
    expect(errors({ cpu: { shares: 1 } })).toEqual(["linux.resources.cpu.shares: 1 is outside the kernel's range 2-262144"]);
    expect(errors({ cpu: { shares: 1 } }, v2)).toEqual([]);
    expect(warnings({ cpu: { shares: 1 } }, v2)).toEqual(['linux.resources.cpu.shares']);
    expect(errors({ memory: { swappiness: 101 } })).toEqual(['linux.resources.memory.swappiness: 101 is outside 0-100']);
    expect(errors({ cpu: { period: 500 } })[0]).toMatch(/cpu\.period: 500µs is outside/);
    expect(errors({ cpu: { quota: 500 } })[0]).toMatch(/cpu\.quota: 500µs is below/);
    expect(errors({ cpu: { idle: 2 } })).toEqual(['linux.resources.cpu.idle: 2 is not 0 or 1']);
    expect(errors({ cpu: { quota: 10000, burst: 20000 } })[0]).toMatch(/cpu\.burst: 20000 exceeds/);
  });

  it('cpuset outside the host', () => {
    expect(errors({ cpu: { cpus: '0-3' } })).toEqual(['linux.resources.cpu.cpus: CPU(s) 2,3 not online on this host (online: 0,1)']);
    expect(errors({ cpu: { mems: '1' } })).toEqual(['linux.resources.cpu.mems: memory node(s) 1 not online on this host (online: 0)']);
    expect(errors({ cpu: { cpus: 'zero' } })[0]).toMatch(/cpu\.cpus: "zero" is not a list/);
    expect(errors({ cpu: { cpus: '1', mems: '0' } })).toEqual([]);
  });

  it('unified keys', () => {
    expect(errors({ unified: { 'memory.high': '1' } }, v2)).toEqual([]);
    expect(errors({ unified: { 'cgroup.max.depth': '1' } }, v2)).toEqual([]);
    expect(errors({ unified: { 'foo.bar': '1' } }, v2)[0]).toMatch(/^linux\.resources\.unified\["foo\.bar"\]: the foo controller is not available/);
    expect(errors({ unified: { 'memory.high': '1' } }, hybrid)[0]).toMatch(/unified\["memory\.high"\]: the memory controller is not available .*available: hugetlb/);
    expect(errors({ unified: { 'hugetlb.2MB.max': '0' } }, hybrid)).toEqual([]);
    expect(errors({ unified: { '../x.y': '1', 'a/b.c': '1' } }, v2)).toHaveLength(2);
    expect(errors({ unified: { 'memory.high': '1' } }, { ...hybrid, layout: 'v1' })[0]).toMatch(/need cgroup v2/);
  });

  it('controllers the host lacks', () => {
    expect(errors({ network: { classID: 1 } })).toEqual(['linux.resources.network.classID: the net_cls cgroup controller is not mounted on this host']);
    expect(errors({ network: { priorities: [{ name: 'lo', priority: 1 }] } }, v2)[0]).toMatch(/network\.priorities: net_prio is a cgroup v1 controller/);
    expect(errors({ rdma: { mlx: { hcaHandles: 1 } } })).toEqual(['linux.resources.rdma: the rdma cgroup controller is not available on this host']);
    expect(errors({ rdma: { mlx: { hcaHandles: 1 } } }, v2)).toEqual([]);
    expect(errors({ cpu: { realtimeRuntime: 1000 } }, v2)[0]).toMatch(/realtimeRuntime: realtime scheduling/);
    expect(errors({ cpu: { realtimeRuntime: 1000 } }, hybrid)).toEqual([]);
  });

  it('hugepages: sizes of this host, hugetlb available (hybrid: in the unified tree)', () => {
    expect(errors({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }] })).toEqual([]);
    expect(errors({ hugepageLimits: [{ pageSize: '4MB', limit: 0 }] })).toEqual(['linux.resources.hugepageLimits[0].pageSize: "4MB" is not a hugepage size of this host (have: 2MB, 1GB)']);
    expect(errors({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }, { ...hybrid, v2Controllers: new Set() })[0]).toMatch(/hugetlb cgroup controller is not available/);
  });

  it('devices', () => {
    // the type is the schema's to check (oci-spec), before these checks
    expect(() => parseResources({ devices: [{ allow: true, type: 'x', access: 'r' }] }, 'linux.resources')).toThrow(
      'linux.resources: devices[0].type: expected one of a, c, b, got "x"',
    );
    expect(errors({ devices: [{ allow: true, access: '' }] })[0]).toMatch(/^linux\.resources\.devices\[0\]\.access: must not be empty/);
    expect(errors({ devices: [{ allow: true, access: 'rq' }] })[0]).toMatch(/devices\[0\]\.access: unknown device access "q"/);
    expect(errors({ devices: [{ allow: true, major: -3, access: 'r' }] })).toEqual(['linux.resources.devices[0].major: -3 is not a device number']);
  });

  it('warnings for ignored fields, not errors', () => {
    expect(warnings({ memory: { kernel: 1000 } })).toEqual(['linux.resources.memory.kernel']);
    expect(warnings({ memory: { disableOOMKiller: true, swappiness: 10, kernelTCP: 5 } }, v2)).toEqual([
      'linux.resources.memory.kernelTCP',
      'linux.resources.memory.swappiness',
      'linux.resources.memory.disableOOMKiller',
    ]);
    expect(warnings({ memory: { disableOOMKiller: true } }, hybrid)).toEqual([]);
  });

  it('an empty prefix gives update-style paths', () => {
    expect(checkResources({ memory: { limit: -7 } }, hybrid, '').map((f) => f.path)).toEqual(['memory.limit']);
  });

  it('plug into runChecks with the config checks', () => {
    const r = runChecks(resourceChecks, { linux: { resources: { memory: { limit: -2, kernel: 5 } } } }, { cgroupHost: hybrid });
    expect(r.errors.map((f) => f.path)).toEqual(['linux.resources.memory.limit']);
    expect(r.warnings.map((f) => f.path)).toEqual(['linux.resources.memory.kernel']);
    expect(runChecks(resourceChecks, {}, { cgroupHost: hybrid })).toEqual({ errors: [], warnings: [] });
  });
});
