// The systemd driver's pure parts: cgroupsPath "slice:prefix:name" as runc
// reads it, slice expansion, and linux.resources as unit properties; the
// manager in create's order against a scripted systemd and a cgroup tree in a
// temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { newSystemdManager } from '../../src/systemd/manager';
import { blockDevicePath, cpuQuotaPerSecUSec, rangeToBits, resourceProperties, scopeProperties, UINT64_INFINITY, unifiedProperties } from '../../src/systemd/properties';
import { defaultSlice, expandSlice, parseSystemdCgroupsPath, sliceChain } from '../../src/systemd/unit-name';
import type { CgroupHost } from '../../src/cgroups/detect';
import type { UnitProperty } from '../../src/systemd/client';
import { fakeSystemd } from './helpers/fake-systemd';

describe('cgroupsPath for the systemd driver', () => {
  it('"slice:prefix:name" gives the scope <prefix>-<name>.scope in the slice', () => {
    expect(parseSystemdCgroupsPath('system.slice:tsrun:abc', 'abc', false)).toEqual({ slice: 'system.slice', prefix: 'tsrun', name: 'abc', unit: 'tsrun-abc.scope' });
    expect(parseSystemdCgroupsPath('kubepods-besteffort-pod1.slice:cri-containerd:f00', 'f00', false).unit).toBe('cri-containerd-f00.scope');
  });

  it('empty parts take the defaults: system.slice (user.slice rootless), the container id; no prefix, no dash', () => {
    expect(parseSystemdCgroupsPath(undefined, 'c1', false)).toEqual({ slice: 'system.slice', prefix: 'tsrun', name: 'c1', unit: 'tsrun-c1.scope' });
    expect(parseSystemdCgroupsPath('', 'c1', true).slice).toBe('user.slice');
    expect(parseSystemdCgroupsPath('::', 'c1', false)).toEqual({ slice: 'system.slice', prefix: '', name: 'c1', unit: 'c1.scope' });
    expect(defaultSlice(true)).toBe('user.slice');
  });

  it('refuses a cgroupfs path with runc\'s words and names the flag, and refuses bad slice and unit names', () => {
    const bad = (p: string) => () => parseSystemdCgroupsPath(p, 'c1', false);
    expect(bad('/k8s.io/abc')).toThrow(ConfigError);
    expect(bad('/k8s.io/abc')).toThrow('linux.cgroupsPath: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/k8s.io/abc" instead (--systemd-cgroup was given; without it cgroupsPath is a cgroupfs path)');
    expect(bad('system:tsrun:c1')).toThrow(/invalid slice name "system": a slice name ends with ".slice"/);
    expect(bad('a--b.slice:tsrun:c1')).toThrow(/invalid slice name "a--b.slice"/);
    expect(bad('a/b.slice:tsrun:c1')).toThrow(/cannot contain "\/"/);
    expect(bad('system.slice:tsrun:inner.slice')).toThrow(/names a slice \(inner.slice\)/);
    expect(bad('system.slice:tsrun:bad name')).toThrow(/"tsrun-bad name.scope" is not a valid systemd unit name/);
  });

  it('expands slices as systemd places them (runc\'s ExpandSlice)', () => {
    expect(expandSlice('system.slice')).toBe('/system.slice');
    expect(expandSlice('test-a-b.slice')).toBe('/test.slice/test-a.slice/test-a-b.slice');
    expect(expandSlice('-.slice')).toBe('/');
    expect(sliceChain('kubepods-besteffort-pod1.slice')).toEqual(['kubepods.slice', 'kubepods-besteffort.slice', 'kubepods-besteffort-pod1.slice']);
    expect(sliceChain('-.slice')).toEqual([]);
  });
});

describe('resources as unit properties', () => {
  const v = { systemdVersion: 252 };
  const props = (res: object, opts = v) => Object.fromEntries(resourceProperties(res, opts).map(([k, x]) => [k, x.value]));

  it('memory: MemoryMax, MemoryLow, MemorySwapMax as swap alone; -1 is infinity', () => {
    expect(props({ memory: { limit: 67108864, reservation: 33554432, swap: 134217728 } })).toEqual({ MemoryMax: 67108864n, MemoryLow: 33554432n, MemorySwapMax: 67108864n });
    expect(props({ memory: { limit: -1 } })).toEqual({ MemoryMax: UINT64_INFINITY, MemorySwapMax: UINT64_INFINITY });
    // swap == limit: no swap at all, as memory.swap.max = 0 says
    expect(props({ memory: { limit: 33554432, swap: 33554432 } })).toEqual({ MemoryMax: 33554432n, MemorySwapMax: 0n });
    expect(props({ memory: { limit: 33554432 } })).toEqual({ MemoryMax: 33554432n });
    expect(() => props({ memory: { limit: 100, swap: 50 } })).toThrow(/swap: 50 is below/);
  });

  it('cpu: CPUWeight from shares, the quota per second rounded up to 10 ms with its period, the cpuset as bitmasks', () => {
    expect(props({ cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-2,4', mems: '0' } })).toEqual({
      CPUWeight: 100n,
      CPUQuotaPeriodUSec: 100000n,
      CPUQuotaPerSecUSec: 500000n,
      AllowedCPUs: [0x17],
      AllowedMemoryNodes: [0x01],
    });
    expect(cpuQuotaPerSecUSec(12345, 100000)).toBe(130000n);
    expect(cpuQuotaPerSecUSec(-1, 100000)).toBe(UINT64_INFINITY);
    expect(cpuQuotaPerSecUSec(20000, 0)).toBe(200000n);
    // older systemd lacks the properties: the cgroup files alone carry them
    expect(props({ cpu: { quota: 50000, period: 200000, cpus: '1' } }, { systemdVersion: 241 })).toEqual({ CPUQuotaPerSecUSec: 250000n });
    expect(rangeToBits('9', 'f')).toEqual([0, 2]);
    expect(() => rangeToBits('3-1', 'linux.resources.cpu.cpus')).toThrow('linux.resources.cpu.cpus: range 3-1 runs backwards');
  });

  it('pids: TasksMax for a limit or -1 (infinity), nothing for 0 (the file write makes it 1)', () => {
    expect(props({ pids: { limit: 20 } })).toEqual({ TasksMax: 20n });
    expect(props({ pids: { limit: -1 } })).toEqual({ TasksMax: UINT64_INFINITY });
    expect(props({ pids: { limit: 0 } })).toEqual({});
  });

  it('block IO: IOWeight and per-device weights and limits on /dev/block/MAJ:MIN', () => {
    expect(
      props({
        blockIO: {
          weight: 500,
          weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
          throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
          throttleWriteIOPSDevice: [{ major: 253, minor: 1, rate: 100 }],
        },
      }),
    ).toEqual({
      IOWeight: 4950n,
      IODeviceWeight: [['/dev/block/8:0', 10000n]],
      IOReadBandwidthMax: [['/dev/block/8:0', 1048576n]],
      IOWriteIOPSMax: [['/dev/block/253:1', 100n]],
    });
    expect(blockDevicePath(8, 16)).toBe('/dev/block/8:16');
  });

  it('unified keys systemd models become properties; the rest are left to the files', () => {
    const u = (m: Record<string, string>) => Object.fromEntries(unifiedProperties(m, v).map(([k, x]) => [k, x.value]));
    expect(u({ 'memory.high': '1000000', 'pids.max': 'max', 'cpu.max': '25000 50000', 'cpu.weight': '300', 'io.max': '8:0 rbps=1', 'memory.oom.group': '1' })).toEqual({
      MemoryHigh: 1000000n,
      TasksMax: UINT64_INFINITY,
      CPUQuotaPeriodUSec: 50000n,
      CPUQuotaPerSecUSec: 500000n,
      CPUWeight: 300n,
    });
    expect(() => u({ 'memory.max': 'lots' })).toThrow(/linux.resources.unified\["memory.max"\]: "lots" is not a number or "max"/);
  });

  it('every scope: its slice and pid, Delegate=yes, accounting, no default dependencies', () => {
    expect(Object.fromEntries(scopeProperties({ containerId: 'c1', slice: 'system.slice', pid: 77 }).map(([k, x]) => [k, x]))).toEqual({
      Description: { signature: 's', value: 'tsrun container c1' },
      Slice: { signature: 's', value: 'system.slice' },
      PIDs: { signature: 'au', value: [77] },
      Delegate: { signature: 'b', value: true },
      MemoryAccounting: { signature: 'b', value: true },
      CPUAccounting: { signature: 'b', value: true },
      IOAccounting: { signature: 'b', value: true },
      TasksAccounting: { signature: 'b', value: true },
      DefaultDependencies: { signature: 'b', value: false },
    });
  });
});

describe('the systemd manager on a host it cannot serve', () => {
  it('refuses a hybrid host by naming --systemd-cgroup and the layout, before asking systemd anything', () => {
    const hybrid: CgroupHost = { layout: 'hybrid', v1: [], unified: { mountpoint: '/sys/fs/cgroup/unified', mountRoot: '/' }, own: {} };
    const make = () => newSystemdManager({ containerId: 'c1', userManager: false, host: hybrid, client: { transport: () => { throw new Error('must not connect'); } } });
    expect(make).toThrow(/^--systemd-cgroup: this host's cgroups are hybrid .*needs the unified cgroup v2 hierarchy/);
  });
});

describe('the systemd manager in create\'s order', () => {
  /** above any kernel's pid_max: the placement check finds no such process and leaves it to the init */
  const NO_SUCH_PID = 2 ** 30;

  it('limits given once the scope runs (create applies them after the init has forked) become unit properties, then files', () => {
    const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-systemd-'));
    try {
      const units = new Map<string, string>();
      const peer = fakeSystemd(units);
      const setCalls = () => peer.calls.filter((c) => c.member === 'SetUnitProperties');
      // each file write with the number of SetUnitProperties calls made before it
      const writes: Array<[string, string, number]> = [];
      const m = newSystemdManager({
        containerId: 'c1',
        cgroupsPath: 'kubepods-besteffort-pod1.slice:cri-containerd:c1',
        userManager: false,
        host: { layout: 'v2', v1: [], unified: { mountpoint: mount, mountRoot: '/' }, own: {} },
        env: { native: { loadDeviceFilter: () => undefined }, trace: (file, value) => writes.push([path.basename(file), value, setCalls().length]) },
        client: { env: {}, transport: () => peer },
      });
      m.create();
      // systemd makes the scope's cgroup when it starts the unit, the kernel its files
      const scope = path.join(mount, 'kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-c1.scope');
      fs.mkdirSync(scope, { recursive: true });
      for (const [file, value] of [['cpu.weight', '100'], ['cpu.max', 'max 100000']]) fs.writeFileSync(path.join(scope, file!), `${value}\n`);
      m.apply(NO_SUCH_PID);
      expect(units.get('cri-containerd-c1.scope')).toBe('active');
      const started = peer.calls.find((c) => c.member === 'StartTransientUnit')!;
      expect((started.body[2] as UnitProperty[]).map(([name]) => name)).not.toContain('CPUWeight');
      expect(writes).toEqual([]);

      const res = { cpu: { shares: 2, period: 100_000 } };
      m.setResources(res);
      expect(setCalls().map((c) => c.body)).toEqual([['cri-containerd-c1.scope', true, resourceProperties(res, { systemdVersion: 252 })]]);
      expect(writes).toEqual([
        ['cpu.weight', '1', 1],
        ['cpu.max', 'max 100000', 1],
      ]);
      expect(m.resources()).toEqual(res);
    } finally {
      fs.rmSync(mount, { recursive: true, force: true });
    }
  });
});
