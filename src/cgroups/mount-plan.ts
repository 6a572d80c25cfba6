// What a `cgroup`-type mount (e.g. podman's and docker's ro /sys/fs/cgroup)
// becomes for this container:
//   v1 / hybrid: a tmpfs, one bind per v1 hierarchy of the container's own
//     cgroup dir (flags from the config mount, so "ro" makes them read-only),
//     or, in a cgroup namespace of its own, one cgroup mount per hierarchy,
//     symlinks for co-mounted controllers (cpu -> cpu,cpuacct). The tmpfs
//     itself stays writable with "ro", as runc leaves it (it is the
//     container's own, and holds nothing). Like runc, the hybrid host's
//     unified tree is not exposed.
//   v2: a cgroup2 mount when the container has its own cgroup namespace (it
//     then shows the container's cgroup as its root), else a bind of the
//     container's cgroup dir, private unless the config says otherwise.
import * as path from 'node:path';
import type { MountPlan, SymlinkPlan } from '../native/plan';
import { MS } from '../native/linux-constants';
import type { CgroupLayout } from './detect';
import type { HierarchyDir } from './paths';

const { RDONLY: MS_RDONLY, NOSUID: MS_NOSUID, NODEV: MS_NODEV, NOEXEC: MS_NOEXEC } = MS;
const { NOATIME: MS_NOATIME, NODIRATIME: MS_NODIRATIME, BIND: MS_BIND, REC: MS_REC } = MS;
const { RELATIME: MS_RELATIME, STRICTATIME: MS_STRICTATIME, PRIVATE: MS_PRIVATE } = MS;

/** flags that a bind's MS_REMOUNT pass can change */
const REMOUNTABLE = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
const TMPFS_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC;

export interface CgroupMountRequest {
  /** container path of the mount, usually /sys/fs/cgroup */
  destination: string;
  /** MS_* flags from the config mount's options (MS_RDONLY, MS_NOSUID, ...) */
  flags: number;
  /** propagation calls from the options (MS_PRIVATE|MS_REC, ...) */
  propagation: number[];
  /** the container gets a new cgroup namespace */
  cgroupNamespace: boolean;
  /**
   * no new cgroup2 mount: rootless, /sys is the host's (a bind), so the
   * destination is the host's cgroup2 mount and the kernel refuses the same
   * superblock on it (EBUSY); the container's own cgroup is bound instead
   */
  bindOnly?: boolean;
}

export interface CgroupMountPlan {
  mounts: MountPlan[];
  /** create after `mounts` (inside the tmpfs, v1 only) */
  symlinks: SymlinkPlan[];
}

function plan(p: Partial<MountPlan> & Pick<MountPlan, 'source' | 'destination'>): MountPlan {
  return {
    fstype: '',
    flags: 0,
    data: '',
    remountFlags: 0,
    propagation: [],
    recursiveAttrSet: 0,
    recursiveAttrClr: 0,
    destinationIsFile: false,
    ...p,
  };
}

export function cgroupMountPlan(layout: CgroupLayout, dirs: readonly HierarchyDir[], req: CgroupMountRequest): CgroupMountPlan {
  const dest = req.destination;
  const remountFlags = req.flags & REMOUNTABLE;
  if (layout === 'v2') {
    const dir = dirs.find((d) => d.key === '');
    if ((req.cgroupNamespace && !req.bindOnly) || !dir) {
      // the kernel may refuse it in a user namespace: then, as runc, a bind of
      // the container's cgroup (what the namespace would have shown)
      const m = plan({ source: 'cgroup', destination: dest, fstype: 'cgroup2', flags: req.flags & REMOUNTABLE, propagation: req.propagation });
      if (dir) m.fallbackSource = dir.dir;
      return { mounts: [m], symlinks: [] };
    }
    // A bind would carry the host mount's propagation into the container (a
    // peer or slave of a systemd host's shared /sys/fs/cgroup, so host mount
    // events there reach it); runc's own cgroup2 mount is private, so is this.
    const propagation = req.propagation.length ? req.propagation : [MS_PRIVATE | MS_REC];
    return {
      mounts: [plan({ source: dir.dir, destination: dest, flags: MS_BIND | MS_REC, remountFlags, propagation })],
      symlinks: [],
    };
  }
  const mounts: MountPlan[] = [
    plan({ source: 'tmpfs', destination: dest, fstype: 'tmpfs', flags: TMPFS_FLAGS, data: 'mode=755', propagation: req.propagation }),
  ];
  const symlinks: SymlinkPlan[] = [];
  for (const h of dirs) {
    if (h.key === '') continue;
    const name = path.posix.basename(h.mountpoint);
    const destination = path.posix.join(dest, name);
    if (req.cgroupNamespace) {
      // in its own cgroup namespace the container mounts each hierarchy itself
      // (its root is the container's cgroup), as runc does
      const named = name === 'systemd';
      mounts.push(
        plan({
          source: named ? 'systemd' : 'cgroup',
          destination,
          fstype: 'cgroup',
          flags: TMPFS_FLAGS | (req.flags & MS_RDONLY),
          data: named ? 'name=systemd' : name,
          propagation: req.propagation,
        }),
      );
    } else {
      mounts.push(plan({ source: h.dir, destination, flags: MS_BIND | MS_REC, remountFlags, propagation: req.propagation }));
    }
    if (name.includes(',')) {
      for (const ctrl of name.split(',')) symlinks.push({ target: name, linkPath: path.posix.join(dest, ctrl) });
    }
  }
  return { mounts, symlinks };
}
