// A sound state.json for tests that store containers by hand (no real init
// or cgroup behind it): every field StoredState requires, with a cgroup
// descriptor pointing at a directory that does not exist.
import type { StoredState } from '../../src/state/types';
import { STATE_FORMAT_VERSION } from '../../src/state/types';

export function storedState(id: string, extra: Partial<StoredState> = {}): StoredState {
  const mountpoint = '/sys/fs/cgroup/pids';
  return {
    formatVersion: STATE_FORMAT_VERSION,
    id,
    initPid: 1,
    initStartTime: 1,
    bundle: `/bundles/${id}`,
    rootfs: `/bundles/${id}/rootfs`,
    created: '2026-11-22T09:12:31.781515712Z',
    owner: '',
    annotations: {},
    config: {} as StoredState['config'],
    cgroup: {
      version: 1,
      layout: 'v1',
      containerId: id,
      cgroupsPath: '',
      hierarchies: [{ key: 'pids', controllers: ['pids'], mountpoint, dir: `${mountpoint}/${id}-not-made` }],
      created: [],
      resources: {},
      configDevicePaths: [],
    },
    ...extra,
  };
}
