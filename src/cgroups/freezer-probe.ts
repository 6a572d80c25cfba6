// Is a container's cgroup frozen? Read straight from the stored descriptor so
// `tsrun state` and `list` need not load a cgroup manager. Same answer as the
// managers' isFrozen(): the v1 freezer when the host has one (frozen by its
// own freezer.state, not only by a frozen parent), else the cgroup2 dir's
// own cgroup.freeze (v2, and hybrid hosts without a v1 freezer).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CgroupDescriptor } from './base';

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function isFrozen(desc: CgroupDescriptor | undefined): boolean {
  if (!desc || !Array.isArray(desc.hierarchies)) return false;
  if (desc.layout !== 'v2') {
    const freezer = desc.hierarchies.find((h) => h.key !== '' && h.controllers.includes('freezer'));
    if (freezer) {
      if (read(path.join(freezer.dir, 'freezer.state')) !== 'FROZEN') return false;
      return read(path.join(freezer.dir, 'freezer.self_freezing')) !== '0';
    }
  }
  const unified = desc.hierarchies.find((h) => h.key === '');
  return unified ? read(path.join(unified.dir, 'cgroup.freeze')) === '1' : false;
}
