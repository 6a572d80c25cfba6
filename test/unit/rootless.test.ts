import { describe, expect, it } from 'vitest';
import { helperArgs, isOwnIdOnly } from '../../src/rootless/idmap';
import { setResourceFields } from '../../src/rootless/unmanaged-cgroup';

describe('rootless id maps', () => {
  it('writes the map itself only for one id, the caller’s own', () => {
    expect(isOwnIdOnly([{ containerID: 0, hostID: 1000, size: 1 }], 1000)).toBe(true);
    expect(isOwnIdOnly([{ containerID: 0, hostID: 1001, size: 1 }], 1000)).toBe(false);
    expect(isOwnIdOnly([{ containerID: 0, hostID: 1000, size: 2 }], 1000)).toBe(false);
    expect(isOwnIdOnly([{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }], 1000)).toBe(false);
    expect(isOwnIdOnly([], 1000)).toBe(false);
  });

  it('passes every mapping to newuidmap/newgidmap as inside, outside, count after the pid', () => {
    expect(helperArgs(42, [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }])).toEqual(['42', '0', '1000', '1', '1', '100000', '65536']);
  });
});

describe('rootless without a delegated cgroup', () => {
  it('names every resource a config sets (zero, empty and the device rules are unset)', () => {
    expect(setResourceFields({ devices: [{ allow: false, access: 'rwm' }], memory: { limit: 0, swap: 1 }, cpu: { cpus: '', shares: 2 }, pids: { limit: 5 }, hugepageLimits: [] })).toEqual([
      'linux.resources.memory.swap',
      'linux.resources.cpu.shares',
      'linux.resources.pids.limit',
    ]);
    expect(setResourceFields({ cpu: { cpus: '0-1' }, memory: { disableOOMKiller: true } })).toEqual(['linux.resources.cpu.cpus', 'linux.resources.memory.disableOOMKiller']);
    expect(setResourceFields({})).toEqual([]);
  });
});
