// The cgroup manager of an existing container, rebuilt from its stored
// descriptor once per Container. Apart from container.ts so that what needs no
// cgroup manager (start, state) does not load the managers at all.
import type { CgroupManager } from '../cgroups/manager';
import { log } from '../log';
import { loadContainerCgroup } from './cgroup-driver';
import type { Container } from './container';

const managers = new WeakMap<Container, CgroupManager>();

export function cgroupOf(c: Container): CgroupManager {
  let manager = managers.get(c);
  if (!manager) {
    manager = loadContainerCgroup(c.state.cgroup, { warn: (m) => log.warn(m) });
    managers.set(c, manager);
  }
  return manager;
}
