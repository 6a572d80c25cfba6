import { parseResources } from '../../oci-spec/validate';
import { describe, expect, it } from 'vitest';
import { CgroupError } from '../../src/errors';
import { cpuSharesToWeight, cpuMax, cpuV2Writes, DEFAULT_CPU_PERIOD } from '../../src/cgroups/v2/cpu';
import { memoryLimitV2, memoryV2Writes, swapV2 } from '../../src/cgroups/v2/memory';
import { pidsMax, pidsWrites } from '../../src/cgroups/v2/pids';
import { blkioWeightToIoWeight, ioMaxLine, ioV2Writes } from '../../src/cgroups/v2/io';
import { rdmaMaxLine, rdmaWrites } from '../../src/cgroups/v2/rdma';
import { hugetlbV2Writes } from '../../src/cgroups/v2/hugetlb';
import { unifiedKeyController, unifiedKeyProblem, unifiedWrites } from '../../src/cgroups/v2/unified';
import { cpusetWrites } from '../../src/cgroups/v2/cpuset';
import { memoryLimitV1, memoryV1Writes } from '../../src/cgroups/v1/memory';
import { cpuV1Writes } from '../../src/cgroups/v1/cpu';
import { blkioV1Writes, throttleLine } from '../../src/cgroups/v1/blkio';
import { hugetlbV1Writes } from '../../src/cgroups/v1/hugetlb';
import { netV1Writes } from '../../src/cgroups/v1/net';
import { devicesV1Writes } from '../../src/cgroups/v1/devices';
import { cpusetCopyDownWrites } from '../../src/cgroups/v1/cpuset';
import { deviceRuleLine, normalizeAccess, normalizeDeviceRules, withDefaultAllows, DEFAULT_DEVICE_ALLOWS } from '../../src/cgroups/devices';
import { hugePageSizeName, parseCpuList } from '../../src/cgroups/hostinfo';
import type { CgroupWrite } from '../../src/cgroups/fsio';

const fv = (ws: CgroupWrite[]) => ws.map((w) => `${w.file}=${w.value}`);

describe('cpuSharesToWeight (runc >= 1.3.2 formula)', () => {
  it('keeps 0 as unset', () => expect(cpuSharesToWeight(0)).toBe(0));
  it('maps the bounds and the default', () => {
    expect(cpuSharesToWeight(1)).toBe(1);
    expect(cpuSharesToWeight(2)).toBe(1);
    expect(cpuSharesToWeight(1024)).toBe(100);
    expect(cpuSharesToWeight(262144)).toBe(10000);
    expect(cpuSharesToWeight(1_000_000)).toBe(10000);
  });
  it('follows ceil(10^((l^2+125l)/612 - 7/34)) in between', () => {
    for (const s of [3, 100, 512, 2048, 4096, 100000]) {
      const l = Math.log2(s);
      expect(cpuSharesToWeight(s)).toBe(Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34)));
    }
    expect(cpuSharesToWeight(512)).toBeLessThan(100);
    expect(cpuSharesToWeight(2048)).toBeGreaterThan(100);
  });
  it('is monotonic over the whole range', () => {
    let prev = 0;
    for (let s = 2; s <= 262144; s = Math.ceil(s * 1.3)) {
      const w = cpuSharesToWeight(s);
      expect(w).toBeGreaterThanOrEqual(prev);
      expect(w).toBeGreaterThanOrEqual(1);
      expect(w).toBeLessThanOrEqual(10000);
      prev = w;
    }
  });
});

describe('cpuMax', () => {
  it('writes quota and period together, period defaulting to 100000', () => {
    expect(cpuMax(50000, 100000)).toBe('50000 100000');
    expect(cpuMax(50000, undefined)).toBe(`50000 ${DEFAULT_CPU_PERIOD}`);
    expect(cpuMax(50000, 0)).toBe('50000 100000');
  });
  it('uses max for an unlimited or absent quota', () => {
    expect(cpuMax(-1, 250000)).toBe('max 250000');
    expect(cpuMax(0, 250000)).toBe('max 250000');
    expect(cpuMax(-1, undefined)).toBe('max 100000');
  });
  it('is undefined when neither is set', () => {
    expect(cpuMax(0, 0)).toBeUndefined();
    expect(cpuMax(undefined, null)).toBeUndefined();
  });
});

describe('cpuV2Writes', () => {
  it('writes idle, weight, burst, cpu.max, burst again (runc order)', () => {
    const ws = cpuV2Writes({ shares: 1024, quota: 20000, period: 50000, burst: 10000, idle: 0 });
    expect(fv(ws)).toEqual(['cpu.idle=0', 'cpu.weight=100', 'cpu.max.burst=10000', 'cpu.max=20000 50000', 'cpu.max.burst=10000']);
    expect(ws[2]!.tolerate).toEqual(['EINVAL']);
    expect(ws[4]!.tolerate).toBeUndefined();
  });
  it('treats zero as unset', () => {
    expect(cpuV2Writes({ shares: 0, quota: 0, period: 0 })).toEqual([]);
  });
  it('rejects realtime limits naming the field', () => {
    expect(() => cpuV2Writes({ realtimeRuntime: 1000 })).toThrow(/linux\.resources\.cpu\.realtimeRuntime: .*not supported on cgroup v2/);
  });
  it('names the field of each write', () => {
    expect(cpuV2Writes({ quota: 1000 }).map((w) => w.field)).toEqual(['linux.resources.cpu.quota']);
    expect(cpuV2Writes({ period: 1000 }).map((w) => w.field)).toEqual(['linux.resources.cpu.period']);
  });
});

describe('memory v2', () => {
  it('memoryLimitV2: -1 is max, others pass, other negatives throw', () => {
    expect(memoryLimitV2(-1, 'f')).toBe('max');
    expect(memoryLimitV2(1048576, 'f')).toBe('1048576');
    expect(() => memoryLimitV2(-2, 'linux.resources.memory.limit')).toThrow(/linux\.resources\.memory\.limit: -2/);
  });
  it('swapV2 subtracts the limit (memory+swap -> swap)', () => {
    expect(swapV2(100, 300)).toBe(200);
    expect(swapV2(100, 100)).toBe(0);
  });
  it('swapV2 keeps -1 and 0, and makes swap unlimited with unlimited memory', () => {
    expect(swapV2(100, -1)).toBe(-1);
    expect(swapV2(100, 0)).toBe(0);
    expect(swapV2(-1, 0)).toBe(-1);
    expect(swapV2(-1, 500)).toBe(500);
  });
  it('swapV2 refuses swap without a limit and swap below the limit', () => {
    expect(() => swapV2(0, 100)).toThrow(CgroupError);
    expect(() => swapV2(0, 100)).toThrow(/memory\.swap: a swap limit needs linux\.resources\.memory\.limit/);
    expect(() => swapV2(300, 100)).toThrow(/memory\.swap: 100 is below/);
  });
  it('writes swap, max, low in runc order', () => {
    expect(fv(memoryV2Writes({ limit: 1000, swap: 3000, reservation: 500 }))).toEqual(['memory.swap.max=2000', 'memory.max=1000', 'memory.low=500']);
  });
  it('writes memory.swap.max=0 when swap equals limit, max for -1', () => {
    expect(fv(memoryV2Writes({ limit: 1000, swap: 1000 }))).toEqual(['memory.swap.max=0', 'memory.max=1000']);
    expect(fv(memoryV2Writes({ limit: -1 }))).toEqual(['memory.swap.max=max', 'memory.max=max']);
    expect(memoryV2Writes({ limit: -1 })[0]!.tolerate).toEqual(['ENOENT']);
  });
  it('skips zeros and warns about v1-only fields', () => {
    const warnings: string[] = [];
    expect(memoryV2Writes({ limit: 0, reservation: 0, swap: 0, kernel: 5, kernelTCP: 5, swappiness: 10, disableOOMKiller: true }, { warn: (m) => warnings.push(m) })).toEqual([]);
    expect(warnings).toHaveLength(4);
    expect(warnings.join('\n')).toMatch(/disableOOMKiller/);
    expect(memoryV2Writes({ disableOOMKiller: false }, { warn: (m) => warnings.push(m) })).toEqual([]);
    expect(warnings).toHaveLength(4);
  });
});

describe('pids', () => {
  it('pidsMax: negative is max, 0 is 1 (runc), others pass', () => {
    expect(pidsMax(-1)).toBe('max');
    expect(pidsMax(-5)).toBe('max');
    expect(pidsMax(0)).toBe('1');
    expect(pidsMax(2048)).toBe('2048');
  });
  it('writes only a present limit', () => {
    expect(pidsWrites(undefined)).toEqual([]);
    expect(pidsWrites({})).toEqual([]);
    expect(pidsWrites({ limit: null })).toEqual([]);
    expect(fv(pidsWrites({ limit: 0 }))).toEqual(['pids.max=1']);
  });
});

describe('io v2', () => {
  it('blkioWeightToIoWeight maps 10..1000 onto 1..10000', () => {
    expect(blkioWeightToIoWeight(0)).toBe(0);
    expect(blkioWeightToIoWeight(10)).toBe(1);
    expect(blkioWeightToIoWeight(1000)).toBe(10000);
    expect(blkioWeightToIoWeight(500)).toBe(1 + Math.floor((490 * 9999) / 990));
  });
  it('io.max lines', () => {
    expect(ioMaxLine({ major: 8, minor: 0, rate: 1048576 }, 'rbps')).toBe('8:0 rbps=1048576');
  });
  it('weight goes to io.weight converted, or to io.bfq.weight raw', () => {
    expect(fv(ioV2Writes({ weight: 500 }, { hasBfq: false }))).toEqual([`io.weight=${blkioWeightToIoWeight(500)}`]);
    expect(fv(ioV2Writes({ weight: 500 }, { hasBfq: true }))).toEqual(['io.bfq.weight=500']);
  });
  it('per-device weights and throttles', () => {
    const ws = ioV2Writes(
      {
        weightDevice: [{ major: 8, minor: 0, weight: 100 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }],
        throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2 }],
        throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 3 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 4 }],
      },
      { hasBfq: false },
    );
    expect(fv(ws)).toEqual([`io.weight=8:0 ${blkioWeightToIoWeight(100)}`, 'io.max=8:0 rbps=1', 'io.max=8:0 wbps=2', 'io.max=8:16 riops=3', 'io.max=8:16 wiops=4']);
    expect(ws[3]!.field).toBe('linux.resources.blockIO.throttleReadIOPSDevice[0]');
  });
  it('warns about leafWeight', () => {
    const w: string[] = [];
    expect(ioV2Writes({ leafWeight: 100 }, { hasBfq: false, warn: (m) => w.push(m) })).toEqual([]);
    expect(w[0]).toMatch(/leafWeight/);
  });
});

describe('rdma, hugetlb, cpuset, unified', () => {
  it('rdma.max lines', () => {
    expect(rdmaMaxLine('mlx5_1', { hcaHandles: 3, hcaObjects: 10000 })).toBe('mlx5_1 hca_handle=3 hca_object=10000');
    expect(rdmaMaxLine('mlx5_1', { hcaObjects: 0 })).toBe('mlx5_1 hca_object=0');
    expect(rdmaMaxLine('mlx5_1', {})).toBeUndefined();
    expect(fv(rdmaWrites({ mlx4_0: { hcaHandles: 2 } }))).toEqual(['rdma.max=mlx4_0 hca_handle=2']);
  });
  it('hugetlb v2 writes .max and .rsvd.max (the latter optional)', () => {
    const ws = hugetlbV2Writes([{ pageSize: '2MB', limit: 4194304 }]);
    expect(fv(ws)).toEqual(['hugetlb.2MB.max=4194304', 'hugetlb.2MB.rsvd.max=4194304']);
    expect(ws[1]!.tolerate).toEqual(['ENOENT']);
  });
  it('cpuset', () => {
    expect(fv(cpusetWrites({ cpus: '0-1', mems: '0' }))).toEqual(['cpuset.cpus=0-1', 'cpuset.mems=0']);
    expect(cpusetWrites({ cpus: '', mems: '' })).toEqual([]);
  });
  it('unified keys: verbatim, one write per line, validated', () => {
    const en = new Set(['memory', 'pids']);
    expect(fv(unifiedWrites({ 'memory.high': '1000', 'memory.oom.group': '1', 'cgroup.max.depth': '3' }, en))).toEqual([
      'memory.high=1000',
      'memory.oom.group=1',
      'cgroup.max.depth=3',
    ]);
    expect(fv(unifiedWrites({ 'io.max': '8:0 rbps=1\n8:16 wbps=2' }, new Set(['io'])))).toEqual(['io.max=8:0 rbps=1', 'io.max=8:16 wbps=2']);
    expect(() => unifiedWrites({ '../memory.max': '1' }, en)).toThrow(/unified\["\.\.\/memory\.max"\]/);
    expect(() => unifiedWrites({ 'a/b': '1' }, en)).toThrow(/no "\/"/);
    expect(() => unifiedWrites({ 'io.max': '1' }, en)).toThrow(/unified\["io\.max"\]: the io controller is not enabled/);
    expect(unifiedKeyController('memory.swap.max')).toBe('memory');
    expect(unifiedKeyProblem('nodot')).toMatch(/<controller>\.<file>/);
    expect(unifiedKeyProblem('..')).toBeDefined();
  });
});

describe('memory v1', () => {
  const st = { currentLimit: 9223372036854771712n, swapAccounting: true };
  it('lowering from unlimited: limit first, then memsw', () => {
    expect(fv(memoryV1Writes({ limit: 1000, swap: 2000 }, st))).toEqual(['memory.limit_in_bytes=1000', 'memory.memsw.limit_in_bytes=2000']);
  });
  it('raising past the current limit: memsw first', () => {
    expect(fv(memoryV1Writes({ limit: 5000, swap: 8000 }, { ...st, currentLimit: 1000n }))).toEqual(['memory.memsw.limit_in_bytes=8000', 'memory.limit_in_bytes=5000']);
    expect(fv(memoryV1Writes({ limit: 5000, swap: -1 }, { ...st, currentLimit: 1000n }))).toEqual(['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=5000']);
  });
  it('-1 limit with unset swap makes both unlimited when swap accounting is on', () => {
    expect(fv(memoryV1Writes({ limit: -1 }, st))).toEqual(['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
    expect(fv(memoryV1Writes({ limit: -1 }, { ...st, swapAccounting: false }))).toEqual(['memory.limit_in_bytes=-1']);
  });
  it('other fields', () => {
    const w: string[] = [];
    expect(fv(memoryV1Writes({ reservation: 10, kernelTCP: 20, disableOOMKiller: true, swappiness: 0, kernel: 99 }, { ...st, warn: (m) => w.push(m) }))).toEqual([
      'memory.soft_limit_in_bytes=10',
      'memory.kmem.tcp.limit_in_bytes=20',
      'memory.oom_control=1',
      'memory.swappiness=0',
    ]);
    expect(w[0]).toMatch(/kernel memory limits are obsolete/);
    expect(memoryV1Writes({ disableOOMKiller: false, limit: 0, reservation: 0 }, st)).toEqual([]);
  });
  it('errors name the field', () => {
    expect(() => memoryV1Writes({ swap: 100 }, st)).toThrow(/memory\.swap: a swap limit needs/);
    expect(() => memoryV1Writes({ limit: 200, swap: 100 }, st)).toThrow(/memory\.swap: 100 is below/);
    expect(() => memoryV1Writes({ swappiness: 101 }, st)).toThrow(/memory\.swappiness: 101/);
    expect(() => memoryLimitV1(-3, 'linux.resources.memory.reservation')).toThrow(/reservation: -3/);
  });
});

describe('cpu v1', () => {
  it('shares, period (tolerant), quota, period again', () => {
    const ws = cpuV1Writes({ shares: 512, quota: 50000, period: 200000 });
    expect(fv(ws)).toEqual(['cpu.shares=512', 'cpu.cfs_period_us=200000', 'cpu.cfs_quota_us=50000', 'cpu.cfs_period_us=200000']);
    expect(ws[1]!.tolerate).toEqual(['EINVAL']);
  });
  it('quota without period leaves the period alone; -1 is unlimited', () => {
    expect(fv(cpuV1Writes({ quota: 50000 }))).toEqual(['cpu.cfs_quota_us=50000']);
    expect(fv(cpuV1Writes({ quota: -1 }))).toEqual(['cpu.cfs_quota_us=-1']);
  });
  it('burst, idle, realtime', () => {
    expect(fv(cpuV1Writes({ burst: 1000, idle: 1, realtimePeriod: 1000000, realtimeRuntime: 950000 }))).toEqual([
      'cpu.cfs_burst_us=1000',
      'cpu.idle=1',
      'cpu.rt_period_us=1000000',
      'cpu.rt_runtime_us=950000',
      'cpu.rt_period_us=1000000',
    ]);
  });
  it('zero = unset: never cpu.shares=0', () => {
    expect(cpuV1Writes({ shares: 0, quota: 0, period: 0, realtimeRuntime: 0, realtimePeriod: 0 })).toEqual([]);
  });
});

describe('blkio v1', () => {
  const bio = {
    weight: 500,
    leafWeight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 200, leafWeight: 100 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 3 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 4 }],
  };
  it('CFQ files', () => {
    expect(fv(blkioV1Writes(bio, { hasCfqWeight: true }))).toEqual([
      'blkio.weight=500',
      'blkio.leaf_weight=300',
      'blkio.weight_device=8:0 200',
      'blkio.leaf_weight_device=8:0 100',
      'blkio.throttle.read_bps_device=8:0 1',
      'blkio.throttle.write_bps_device=8:0 2',
      'blkio.throttle.read_iops_device=8:0 3',
      'blkio.throttle.write_iops_device=8:0 4',
    ]);
  });
  it('BFQ files when blkio.weight is missing', () => {
    expect(fv(blkioV1Writes({ weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 200 }] }, { hasCfqWeight: false }))).toEqual([
      'blkio.bfq.weight=500',
      'blkio.bfq.weight_device=8:0 200',
    ]);
    expect(blkioV1Writes({ weight: 0 }, { hasCfqWeight: true })).toEqual([]);
    expect(throttleLine({ major: 1, minor: 2, rate: 3 })).toBe('1:2 3');
  });
});

describe('hugetlb v1, net, devices v1, cpuset copy', () => {
  it('hugetlb to the v1 hierarchy or to the unified tree', () => {
    expect(fv(hugetlbV1Writes([{ pageSize: '2MB', limit: 0 }], false))).toEqual(['hugetlb.2MB.limit_in_bytes=0', 'hugetlb.2MB.rsvd.limit_in_bytes=0']);
    const u = hugetlbV1Writes([{ pageSize: '1GB', limit: 1073741824 }], true);
    expect(fv(u)).toEqual(['hugetlb.1GB.max=1073741824', 'hugetlb.1GB.rsvd.max=1073741824']);
    expect(u.every((w) => w.unified)).toBe(true);
  });
  it('net_cls / net_prio', () => {
    expect(fv(netV1Writes({ classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }, { name: 'lo', priority: 0 }] }))).toEqual([
      'net_cls.classid=1048577',
      'net_prio.ifpriomap=eth0 500',
      'net_prio.ifpriomap=lo 0',
    ]);
    expect(netV1Writes({ classID: 0 })).toEqual([]);
  });
  it('devices lines in order, "a" expanded unless it is the full wildcard', () => {
    const rules = normalizeDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'a', major: 7, access: 'r' },
      { allow: false, type: 'b', major: 8, minor: null, access: 'mw' },
    ]);
    expect(fv(devicesV1Writes(rules))).toEqual([
      'devices.deny=a *:* rwm',
      'devices.allow=c 1:3 rw',
      'devices.allow=c 7:* r',
      'devices.allow=b 7:* r',
      'devices.deny=b 8:* wm',
    ]);
  });
  it('cpuset copy-down only fills empty values', () => {
    expect(fv(cpusetCopyDownWrites({ cpus: '', mems: '\n' }, { cpus: '0-1', mems: '0' }))).toEqual(['cpuset.cpus=0-1', 'cpuset.mems=0']);
    expect(cpusetCopyDownWrites({ cpus: '1', mems: '0' }, { cpus: '0-1', mems: '0' })).toEqual([]);
  });
});

describe('device rules', () => {
  it('normalizes access and rejects bad input with the JSON path', () => {
    expect(normalizeAccess('mwr', 'x')).toBe('rwm');
    expect(() => normalizeAccess('', 'linux.resources.devices[2]')).toThrow(/devices\[2\]\.access: must not be empty/);
    expect(() => normalizeAccess('rx', 'linux.resources.devices[0]')).toThrow(/unknown device access "x"/);
    expect(() => parseResources({ devices: [{ allow: true, type: 'p', access: 'r' }] }, 'linux.resources')).toThrow(/devices\[0\]\.type/); // the schema's
    expect(() => normalizeDeviceRules([{ allow: true, type: 'c', major: -7, access: 'r' }])).toThrow(/devices\[0\]\.major/);
  });
  it('defaults a missing type to "a" and missing numbers to wildcards', () => {
    expect(normalizeDeviceRules([{ allow: false, access: 'rwm' }])[0]).toMatchObject({ type: 'a', major: -1, minor: -1 });
  });
  it('appends runc default allows after the config rules, minus devices the config lists', () => {
    const rules = withDefaultAllows(normalizeDeviceRules([{ allow: false, access: 'rwm' }]));
    expect(rules).toHaveLength(1 + DEFAULT_DEVICE_ALLOWS.length);
    expect(rules.slice(1).map(deviceRuleLine)).toEqual([
      'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm',
    ]);
    const trimmed = withDefaultAllows([], ['/dev/zero', '/dev/null']);
    expect(trimmed.map(deviceRuleLine)).not.toContain('c 1:5 rwm');
    expect(trimmed.map(deviceRuleLine)).not.toContain('c 1:3 rwm');
    expect(trimmed.map(deviceRuleLine)).toContain('c 136:* rwm');
  });
});

describe('host info parsing', () => {
  it('parseCpuList', () => {
    expect([...parseCpuList('0-3,5')!]).toEqual([0, 1, 2, 3, 5]);
    expect([...parseCpuList('0\n')!]).toEqual([0]);
    expect(parseCpuList('')!.size).toBe(0);
    expect(parseCpuList('a-b')).toBeUndefined();
    expect(parseCpuList('3-1')).toBeUndefined();
  });
  it('hugePageSizeName', () => {
    expect(hugePageSizeName(2048)).toBe('2MB');
    expect(hugePageSizeName(1048576)).toBe('1GB');
    expect(hugePageSizeName(64)).toBe('64KB');
    expect(hugePageSizeName(32768)).toBe('32MB');
  });
});
