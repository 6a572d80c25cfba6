import { describe, expect, it } from 'vitest';
import { mergeResources } from '../../src/cgroups/merge';
import type { LinuxResources } from '../../src/cgroups/resources';

const base: LinuxResources = {
  memory: { limit: 100, reservation: 50, swap: 200 },
  cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-1', idle: 0 },
  pids: { limit: 100 },
  blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 10 }] },
  hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
  unified: { 'memory.high': '90' },
  devices: [{ allow: false, access: 'rwm' }],
};

describe('update merge (zero = unchanged)', () => {
  it('keeps everything for docker\'s all-zero fields', () => {
    const docker = { memory: { limit: 0, reservation: 0, swap: 0, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } };
    expect(mergeResources(base, docker)).toEqual(base);
  });
  it('replaces non-zero fields and keeps the rest', () => {
    const m = mergeResources(base, { memory: { limit: 67108864, swap: 134217728 }, cpu: { quota: -1 }, pids: { limit: 0 } });
    expect(m.memory).toEqual({ limit: 67108864, reservation: 50, swap: 134217728 });
    expect(m.cpu).toEqual({ shares: 1024, quota: -1, period: 100000, cpus: '0-1', idle: 0 });
    expect(m.pids).toEqual({ limit: 100 });
  });
  it('takes present values where zero is meaningful (idle, burst, swappiness, hugepage limits)', () => {
    const m = mergeResources({ ...base, cpu: { ...base.cpu, idle: 1, burst: 500 } }, { cpu: { idle: 0, burst: 0 }, memory: { swappiness: 0 }, hugepageLimits: [{ pageSize: '2MB', limit: 4096 }] });
    expect(m.cpu!.idle).toBe(0);
    expect(m.cpu!.burst).toBe(0);
    expect(m.memory!.swappiness).toBe(0);
    expect(m.hugepageLimits).toEqual([{ pageSize: '2MB', limit: 4096 }]);
  });
  it('upserts per-device lists, interface priorities, rdma and unified keys', () => {
    const m = mergeResources(
      { ...base, network: { classID: 7, priorities: [{ name: 'eth0', priority: 1 }] }, rdma: { a: { hcaHandles: 1 } } },
      {
        blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 99 }, { major: 8, minor: 16, rate: 5 }] },
        network: { priorities: [{ name: 'lo', priority: 2 }] },
        rdma: { b: { hcaObjects: 2 } },
        unified: { 'pids.max': '5' },
      },
    );
    expect(m.blockIO!.throttleReadBpsDevice).toEqual([{ major: 8, minor: 0, rate: 99 }, { major: 8, minor: 16, rate: 5 }]);
    expect(m.blockIO!.weight).toBe(500);
    expect(m.network).toEqual({ classID: 7, priorities: [{ name: 'eth0', priority: 1 }, { name: 'lo', priority: 2 }] });
    expect(m.rdma).toEqual({ a: { hcaHandles: 1 }, b: { hcaObjects: 2 } });
    expect(m.unified).toEqual({ 'memory.high': '90', 'pids.max': '5' });
  });
  it('a non-empty device list replaces the old one; an empty one keeps it', () => {
    expect(mergeResources(base, { devices: [] }).devices).toEqual(base.devices);
    expect(mergeResources(base, { devices: [{ allow: true, access: 'rwm' }] }).devices).toEqual([{ allow: true, access: 'rwm' }]);
  });
  it('does not modify its inputs', () => {
    const copy = structuredClone(base);
    const upd = { memory: { limit: 1 } };
    mergeResources(base, upd);
    expect(base).toEqual(copy);
    expect(upd).toEqual({ memory: { limit: 1 } });
  });
});
