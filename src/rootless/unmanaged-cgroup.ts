// Rootless without a cgroup to manage: an unprivileged user without
// --systemd-cgroup can create a cgroup only where one was delegated to it. When
// the container's cgroup cannot be made there, the container stays in the
// cgroup tsrun was started in, as runc's rootless mode does; a warning says so,
// and everything that needs a cgroup of its own (resources, update, pause,
// kill --all) is refused with a clear error instead of failing at a write.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from '../errors';
import type { CgroupDescriptor } from '../cgroups/base';
import { detectCgroupHost, type CgroupLayout } from '../cgroups/detect';
import type { CgroupManager } from '../cgroups/manager';
import { cgroupMountPlan, type CgroupMountPlan, type CgroupMountRequest } from '../cgroups/mount-plan';
import type { HierarchyDir } from '../cgroups/paths';
import { isSet, type LinuxResources } from '../cgroups/resources';
import { emptyStats, type CgroupStats } from '../cgroups/stats';

const HINT = 'run tsrun with --systemd-cgroup (the user manager delegates cgroups), or delegate a cgroup to this user';

/** The first directory of `dir`'s ancestry that exists, and whether this user may create below it. */
export function canCreateBelow(dir: string): { existing: string; writable: boolean } {
  let existing = dir;
  while (!fs.existsSync(existing) && existing !== path.dirname(existing)) existing = path.dirname(existing);
  try {
    fs.accessSync(existing, fs.constants.W_OK);
    return { existing, writable: true };
  } catch {
    return { existing, writable: false };
  }
}

/** The resource fields a config sets (none may be applied without a cgroup). */
export function setResourceFields(res: LinuxResources, base = 'linux.resources'): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(res)) {
    if (k === 'devices') continue; // the default device rules: no cgroup, no filter to load (the user namespace guards devices)
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      if (v.length > 0) out.push(`${base}.${k}`);
    } else if (typeof v === 'object') {
      out.push(...setResourceFields(v as LinuxResources, `${base}.${k}`));
    } else if (typeof v === 'number' ? isSet(v) : v !== '' && v !== false) {
      out.push(`${base}.${k}`);
    }
  }
  return out;
}

/** The cgroup2 directory this process is in ("0::/user.slice/..." of /proc/self/cgroup). */
function ownUnifiedDir(): HierarchyDir[] {
  const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  const mountpoint = detectCgroupHost().unified?.mountpoint;
  if (!line || !mountpoint) return [];
  return [{ key: '', controllers: [], mountpoint, dir: path.posix.join(mountpoint, line.slice(3)) }];
}

export class UnmanagedCgroup implements CgroupManager {
  constructor(private readonly desc: CgroupDescriptor) {}

  get layout(): CgroupLayout {
    return this.desc.layout;
  }

  get containerId(): string {
    return this.desc.containerId;
  }

  private refuse(what: string): never {
    throw new CgroupError(`${what}: this rootless container has no cgroup of its own (${this.desc.unmanaged}); ${HINT}`, { containerId: this.containerId });
  }

  dirs(): readonly HierarchyDir[] {
    return [];
  }

  create(): void {}

  apply(): void {}

  setResources(res: LinuxResources): void {
    const fields = setResourceFields(res);
    if (fields.length > 0) this.refuse(`${fields.join(', ')} cannot be applied`);
  }

  update(): LinuxResources {
    this.refuse('update');
  }

  resources(): LinuxResources {
    return {};
  }

  freeze(): void {
    this.refuse('pause');
  }

  thaw(): void {
    this.refuse('resume');
  }

  isFrozen(): boolean {
    return false;
  }

  /** no cgroup lists them: the init alone is known (from the state) */
  pids(): number[] {
    return [];
  }

  killAll(): void {
    this.refuse('kill --all');
  }

  destroy(): void {}

  exists(): boolean {
    return false;
  }

  stats(): CgroupStats {
    return emptyStats();
  }

  oomKillCount(): number {
    return 0;
  }

  descriptor(): CgroupDescriptor {
    return { ...this.desc, hierarchies: [], created: [], resources: {} };
  }

  /** nothing to make: create() makes no directory */
  plannedDescriptor(): CgroupDescriptor {
    return this.descriptor();
  }

  /** v2: tsrun's own cgroup, where the container is, bound read-only; v1: an empty tmpfs */
  mountPlan(req: CgroupMountRequest): CgroupMountPlan {
    return cgroupMountPlan(this.desc.layout, this.desc.layout === 'v2' ? ownUnifiedDir() : [], req);
  }
}
