// A fake cgroupfs: plain directories and files under a temp dir, laid out like
// /sys/fs/cgroup on a v2, v1 or hybrid host. Managers run against it with
// `host` pointing there; their `trace` records every write they perform.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CgroupHost, CgroupLayout } from '../../../src/cgroups/detect';

export const V2_CONTROLLERS = 'cpuset cpu io memory hugetlb pids rdma misc';

const V2_FILES = [
  'cgroup.procs', 'cgroup.freeze', 'cgroup.events', 'cgroup.kill', 'cgroup.subtree_control', 'cgroup.type',
  'cpu.weight', 'cpu.max', 'cpu.max.burst', 'cpu.idle', 'cpu.stat', 'cpuset.cpus', 'cpuset.mems',
  'io.weight', 'io.max', 'io.stat', 'memory.max', 'memory.low', 'memory.high', 'memory.swap.max', 'memory.oom.group',
  'memory.current', 'memory.events', 'memory.stat', 'pids.max', 'pids.current', 'rdma.max',
  'hugetlb.2MB.max', 'hugetlb.2MB.rsvd.max', 'hugetlb.1GB.max', 'hugetlb.1GB.rsvd.max',
];

const V1_FILES: Record<string, string[]> = {
  'cpu,cpuacct': ['cpu.shares', 'cpu.cfs_period_us', 'cpu.cfs_quota_us', 'cpu.cfs_burst_us', 'cpu.idle', 'cpu.rt_period_us', 'cpu.rt_runtime_us', 'cpu.stat', 'cpuacct.usage', 'cpuacct.stat'],
  cpuset: ['cpuset.cpus', 'cpuset.mems'],
  memory: ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.soft_limit_in_bytes', 'memory.kmem.tcp.limit_in_bytes', 'memory.swappiness', 'memory.oom_control', 'memory.usage_in_bytes'],
  devices: ['devices.allow', 'devices.deny', 'devices.list'],
  freezer: ['freezer.state', 'freezer.self_freezing'],
  blkio: ['blkio.weight', 'blkio.leaf_weight', 'blkio.weight_device', 'blkio.leaf_weight_device', 'blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device', 'blkio.throttle.read_iops_device', 'blkio.throttle.write_iops_device'],
  pids: ['pids.max', 'pids.current'],
  'net_cls,net_prio': ['net_cls.classid', 'net_prio.ifpriomap'],
  hugetlb: ['hugetlb.2MB.limit_in_bytes', 'hugetlb.2MB.rsvd.limit_in_bytes', 'hugetlb.1GB.limit_in_bytes'],
  rdma: ['rdma.max'],
  'name=systemd': [],
};

export interface FakeCgroupfs {
  root: string;
  host: CgroupHost;
  /** dirs of the cgroup `rel` (e.g. "/c1") created with every controller file (empty, or as given) */
  populate(rel: string, values?: Record<string, string>): void;
  /** absolute path of `file` in cgroup `rel` of hierarchy `mount` ("" = cgroup2 / v2 root) */
  file(mount: string, rel: string, file: string): string;
  cleanup(): void;
}

function touch(file: string, content = ''): void {
  fs.writeFileSync(file, content);
}

/** `hierarchies`: v1 hierarchy keys to mount (default: all of V1_FILES). */
export function fakeCgroupfs(layout: CgroupLayout, hierarchies: string[] = Object.keys(V1_FILES)): FakeCgroupfs {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fakecg-'));
  const mountName = (key: string) => key.replace(/^name=/, '');
  const v1 = layout === 'v2' ? [] : hierarchies.map((key) => ({ controllers: key.split(','), key, mountpoint: path.join(root, mountName(key)), mountRoot: '/' }));
  const unifiedMount = layout === 'v2' ? root : layout === 'hybrid' ? path.join(root, 'unified') : undefined;
  for (const h of v1) {
    fs.mkdirSync(h.mountpoint, { recursive: true });
    for (const f of V1_FILES[h.key] ?? []) touch(path.join(h.mountpoint, f));
    touch(path.join(h.mountpoint, 'cgroup.procs'));
    if (h.key === 'cpuset') {
      touch(path.join(h.mountpoint, 'cpuset.cpus'), '0-1\n');
      touch(path.join(h.mountpoint, 'cpuset.mems'), '0\n');
    }
  }
  if (unifiedMount) {
    fs.mkdirSync(unifiedMount, { recursive: true });
    touch(path.join(unifiedMount, 'cgroup.controllers'), (layout === 'v2' ? V2_CONTROLLERS : 'hugetlb') + '\n');
    touch(path.join(unifiedMount, 'cgroup.subtree_control'));
    touch(path.join(unifiedMount, 'cgroup.procs'));
  }
  const own: Record<string, string> = Object.fromEntries(v1.map((h) => [h.key, '/']));
  if (unifiedMount) own[''] = '/';
  const host: CgroupHost = { layout, v1, unified: unifiedMount ? { mountpoint: unifiedMount, mountRoot: '/' } : undefined, own };

  const file = (mount: string, rel: string, f: string) =>
    mount === '' ? path.join(unifiedMount!, rel, f) : path.join(root, mountName(mount), rel, f);

  return {
    root,
    host,
    file,
    populate(rel, values = {}) {
      const fill = (dir: string, files: string[]) => {
        fs.mkdirSync(dir, { recursive: true });
        for (const f of files) touch(path.join(dir, f), values[f] ?? '');
      };
      for (const h of v1) fill(path.join(h.mountpoint, rel), [...(V1_FILES[h.key] ?? []), 'cgroup.procs']);
      if (unifiedMount) {
        const files = layout === 'v2' ? [...V2_FILES, 'cgroup.controllers'] : ['cgroup.procs', 'cgroup.controllers', 'cgroup.subtree_control', 'cgroup.freeze', 'cgroup.kill', 'hugetlb.2MB.max', 'hugetlb.2MB.rsvd.max'];
        fill(path.join(unifiedMount, rel), files);
        if (values['cgroup.controllers'] === undefined) touch(path.join(unifiedMount, rel, 'cgroup.controllers'), layout === 'v2' ? V2_CONTROLLERS : 'hugetlb');
      }
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A write recorder for the `trace` option: entries are "<path relative to root> <- value". */
export function recorder(root: string): { trace: (p: string, v: string) => void; writes: string[]; clear(): void } {
  const writes: string[] = [];
  return {
    writes,
    trace: (p, v) => writes.push(`${path.relative(root, p)} <- ${v}`),
    clear: () => writes.splice(0),
  };
}
