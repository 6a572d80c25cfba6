// Is a container's cgroup frozen? Read straight from the stored descriptor so
// `tsrun state` and `list` need not load a cgroup manager.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CgroupDescriptor } from './base';

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function isFrozen(desc: CgroupDescriptor | undefined): boolean {
  if (!desc || !Array.isArray(desc.hierarchies)) return false;
  if (desc.layout !== 'v2') {
    const freezer = desc.hierarchies.find((h) => h.controllers.includes('freezer'));
    if (freezer) return read(path.join(freezer.dir, 'freezer.state')).trim() === 'FROZEN';
  }
  const unified = desc.hierarchies.find((h) => h.key === '');
  return unified ? /^frozen 1$/m.test(read(path.join(unified.dir, 'cgroup.events'))) : false;
}
