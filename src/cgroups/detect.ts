// Which cgroup layout this host has, where each hierarchy is mounted, and where
// the calling process sits in each. statfs + two small /proc reads, cached.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from '../errors';

export type CgroupLayout = 'v1' | 'v2' | 'hybrid';

export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const TMPFS_MAGIC = 0x01021994;

/** The default mount point of the cgroup tree. */
const CGROUP_ROOT = '/sys/fs/cgroup';

interface V1Hierarchy {
  /** controllers of this hierarchy as /proc/<pid>/cgroup names them: ["cpu","cpuacct"], ["name=systemd"] */
  controllers: string[];
  /** the /proc/<pid>/cgroup key: "cpu,cpuacct", "memory", "name=systemd" */
  key: string;
  mountpoint: string;
  /** the hierarchy path that is mounted there (mountinfo field 4), usually "/" */
  mountRoot: string;
}

interface UnifiedMount {
  mountpoint: string;
  mountRoot: string;
}

export interface CgroupHost {
  layout: CgroupLayout;
  /** v1 hierarchies (empty on v2) */
  v1: V1Hierarchy[];
  /** the cgroup2 mount: /sys/fs/cgroup on v2, /sys/fs/cgroup/unified on hybrid */
  unified?: UnifiedMount;
  /** the caller's own cgroup per hierarchy key ("" = cgroup2), as a path inside the mount */
  own: Record<string, string>;
}

/** Controllers the kernel can attach to a v1 hierarchy (mount options that are not controllers are ignored). */
const V1_CONTROLLERS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

export interface CgroupMountEntry {
  fstype: 'cgroup' | 'cgroup2';
  mountpoint: string;
  mountRoot: string;
  /** v1 only: controllers from the super options, in kernel order */
  controllers: string[];
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** cgroup and cgroup2 mounts from /proc/<pid>/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMountEntry[] {
  const out: CgroupMountEntry[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const fstype = right[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const superOpts = (right[2] ?? '').split(',');
    out.push({
      fstype,
      mountRoot: unescapeMountPath(left[3] ?? '/'),
      mountpoint: unescapeMountPath(left[4] ?? ''),
      controllers: fstype === 'cgroup' ? superOpts.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name=')) : [],
    });
  }
  return out;
}

/** /proc/<pid>/cgroup text → { "cpu,cpuacct": "/a", "": "/b" } */
export function parseProcCgroup(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    out[line.slice(first + 1, second)] = line.slice(second + 1);
  }
  return out;
}

/** Path of `cgroupPath` (as /proc/self/cgroup shows it) inside a mount of `mountRoot`. */
export function pathInsideMount(cgroupPath: string, mountRoot: string): string {
  if (mountRoot === '/' || mountRoot === '') return cgroupPath || '/';
  const rel = path.posix.relative(mountRoot, cgroupPath);
  // Outside the mounted subtree (another cgroup namespace): keep it as it is.
  if (rel.startsWith('..')) return cgroupPath;
  return '/' + rel;
}

/**
 * Build the host description from its parts (pure; detectCgroupHost feeds it
 * the real /proc files). Prefers mounts below `root` when a hierarchy is mounted twice.
 */
export function describeCgroupHost(
  layout: CgroupLayout,
  mounts: CgroupMountEntry[],
  procCgroup: Record<string, string>,
  root: string = CGROUP_ROOT,
): CgroupHost {
  const below = (m: CgroupMountEntry) => m.mountpoint === root || m.mountpoint.startsWith(root + '/');
  const ordered = [...mounts.filter(below), ...mounts.filter((m) => !below(m))];
  const v1: V1Hierarchy[] = [];
  const own: Record<string, string> = {};
  let unified: UnifiedMount | undefined;
  if (layout !== 'v2') {
    const seen = new Set<string>();
    for (const m of ordered) {
      if (m.fstype !== 'cgroup' || m.controllers.length === 0) continue;
      const key = m.controllers.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      v1.push({ controllers: m.controllers, key, mountpoint: m.mountpoint, mountRoot: m.mountRoot });
      own[key] = pathInsideMount(procCgroup[key] ?? '/', m.mountRoot);
    }
  }
  if (layout !== 'v1') {
    const want = layout === 'v2' ? root : path.join(root, 'unified');
    const m = ordered.find((x) => x.fstype === 'cgroup2' && x.mountpoint === want) ?? ordered.find((x) => x.fstype === 'cgroup2');
    if (m) {
      unified = { mountpoint: m.mountpoint, mountRoot: m.mountRoot };
      own[''] = pathInsideMount(procCgroup[''] ?? '/', m.mountRoot);
    }
  }
  return { layout, v1, unified, own };
}

/** statfs f_type of /sys/fs/cgroup (and of its unified/ child) → layout. */
export function layoutFromStatfs(rootType: number, unifiedType: number | undefined): CgroupLayout {
  if (rootType === CGROUP2_SUPER_MAGIC) return 'v2';
  if (unifiedType === CGROUP2_SUPER_MAGIC) return 'hybrid';
  return 'v1';
}

function statfsType(p: string): number | undefined {
  try {
    return Number(fs.statfsSync(p).type);
  } catch {
    return undefined;
  }
}

let cached: CgroupHost | undefined;

/** The running host's layout, hierarchies and own cgroups (computed once per process). */
export function detectCgroupHost(): CgroupHost {
  if (cached) return cached;
  const rootType = statfsType(CGROUP_ROOT);
  if (rootType === undefined) throw new CgroupError(`cannot statfs ${CGROUP_ROOT}: is the cgroup tree mounted?`, { path: CGROUP_ROOT });
  const layout = layoutFromStatfs(rootType, rootType === CGROUP2_SUPER_MAGIC ? undefined : statfsType(path.join(CGROUP_ROOT, 'unified')));
  const mounts = parseCgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  const own = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8'));
  cached = describeCgroupHost(layout, mounts, own);
  return cached;
}
