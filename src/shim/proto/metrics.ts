// containerd's cgroup metrics, the Any a Stats call returns (what `ctr task
// metrics` and CRI's stats read): io.containerd.cgroups.v1.Metrics on v1 and
// hybrid hosts, io.containerd.cgroups.v2.Metrics on unified ones. Numbered as
// github.com/containerd/cgroups v1.0.4 stats/v1/metrics.proto and
// v2/stats/metrics.proto.
import { message } from './codec';

const u64 = (no: number) => ({ no, kind: 'uint64' }) as const;

// --- v1 ---
const V1HugetlbStat = message('io.containerd.cgroups.v1.HugetlbStat', {
  usage: u64(1),
  max: u64(2),
  failcnt: u64(3),
  pagesize: { no: 4, kind: 'string' },
});

const V1PidsStat = message('io.containerd.cgroups.v1.PidsStat', { current: u64(1), limit: u64(2) });

const V1CPUUsage = message('io.containerd.cgroups.v1.CPUUsage', {
  total: u64(1),
  kernel: u64(2),
  user: u64(3),
  perCpu: { no: 4, kind: 'uint64', repeated: true },
});

const V1Throttle = message('io.containerd.cgroups.v1.Throttle', {
  periods: u64(1),
  throttledPeriods: u64(2),
  throttledTime: u64(3),
});

const V1CPUStat = message('io.containerd.cgroups.v1.CPUStat', {
  usage: { no: 1, kind: 'message', type: () => V1CPUUsage },
  throttling: { no: 2, kind: 'message', type: () => V1Throttle },
});

const V1MemoryEntry = message('io.containerd.cgroups.v1.MemoryEntry', {
  limit: u64(1),
  usage: u64(2),
  max: u64(3),
  failcnt: u64(4),
});

/** field names are the memory.stat keys (hierarchical_memsw_limit is the proto's hierarchical_swap_limit) */
export const V1MemoryStat = message('io.containerd.cgroups.v1.MemoryStat', {
  cache: u64(1),
  rss: u64(2),
  rss_huge: u64(3),
  mapped_file: u64(4),
  dirty: u64(5),
  writeback: u64(6),
  pgpgin: u64(7),
  pgpgout: u64(8),
  pgfault: u64(9),
  pgmajfault: u64(10),
  inactive_anon: u64(11),
  active_anon: u64(12),
  inactive_file: u64(13),
  active_file: u64(14),
  unevictable: u64(15),
  hierarchical_memory_limit: u64(16),
  hierarchical_memsw_limit: u64(17),
  total_cache: u64(18),
  total_rss: u64(19),
  total_rss_huge: u64(20),
  total_mapped_file: u64(21),
  total_dirty: u64(22),
  total_writeback: u64(23),
  total_pgpgin: u64(24),
  total_pgpgout: u64(25),
  total_pgfault: u64(26),
  total_pgmajfault: u64(27),
  total_inactive_anon: u64(28),
  total_active_anon: u64(29),
  total_inactive_file: u64(30),
  total_active_file: u64(31),
  total_unevictable: u64(32),
  usage: { no: 33, kind: 'message', type: () => V1MemoryEntry },
  swap: { no: 34, kind: 'message', type: () => V1MemoryEntry },
  kernel: { no: 35, kind: 'message', type: () => V1MemoryEntry },
  kernelTcp: { no: 36, kind: 'message', type: () => V1MemoryEntry },
});

const V1BlkIOEntry = message('io.containerd.cgroups.v1.BlkIOEntry', {
  op: { no: 1, kind: 'string' },
  device: { no: 2, kind: 'string' },
  major: u64(3),
  minor: u64(4),
  value: u64(5),
});

const blkioList = (no: number) => ({ no, kind: 'message', type: () => V1BlkIOEntry, repeated: true }) as const;

const V1BlkIOStat = message('io.containerd.cgroups.v1.BlkIOStat', {
  ioServiceBytesRecursive: blkioList(1),
  ioServicedRecursive: blkioList(2),
  ioQueuedRecursive: blkioList(3),
  ioServiceTimeRecursive: blkioList(4),
  ioWaitTimeRecursive: blkioList(5),
  ioMergedRecursive: blkioList(6),
  ioTimeRecursive: blkioList(7),
  sectorsRecursive: blkioList(8),
});

const V1MemoryOomControl = message('io.containerd.cgroups.v1.MemoryOomControl', {
  oomKillDisable: u64(1),
  underOom: u64(2),
  oomKill: u64(3),
});

export const V1Metrics = message('io.containerd.cgroups.v1.Metrics', {
  hugetlb: { no: 1, kind: 'message', type: () => V1HugetlbStat, repeated: true },
  pids: { no: 2, kind: 'message', type: () => V1PidsStat },
  cpu: { no: 3, kind: 'message', type: () => V1CPUStat },
  memory: { no: 4, kind: 'message', type: () => V1MemoryStat },
  blkio: { no: 5, kind: 'message', type: () => V1BlkIOStat },
  memoryOomControl: { no: 9, kind: 'message', type: () => V1MemoryOomControl },
});

// --- v2 ---
const V2PidsStat = message('io.containerd.cgroups.v2.PidsStat', { current: u64(1), limit: u64(2) });

const V2CPUStat = message('io.containerd.cgroups.v2.CPUStat', {
  usage_usec: u64(1),
  user_usec: u64(2),
  system_usec: u64(3),
  nr_periods: u64(4),
  nr_throttled: u64(5),
  throttled_usec: u64(6),
});

/** field names are the memory.stat keys, then the usage/limit fields */
export const V2MemoryStat = message('io.containerd.cgroups.v2.MemoryStat', {
  anon: u64(1),
  file: u64(2),
  kernel_stack: u64(3),
  slab: u64(4),
  sock: u64(5),
  shmem: u64(6),
  file_mapped: u64(7),
  file_dirty: u64(8),
  file_writeback: u64(9),
  anon_thp: u64(10),
  inactive_anon: u64(11),
  active_anon: u64(12),
  inactive_file: u64(13),
  active_file: u64(14),
  unevictable: u64(15),
  slab_reclaimable: u64(16),
  slab_unreclaimable: u64(17),
  pgfault: u64(18),
  pgmajfault: u64(19),
  workingset_refault: u64(20),
  workingset_activate: u64(21),
  workingset_nodereclaim: u64(22),
  pgrefill: u64(23),
  pgscan: u64(24),
  pgsteal: u64(25),
  pgactivate: u64(26),
  pgdeactivate: u64(27),
  pglazyfree: u64(28),
  pglazyfreed: u64(29),
  thp_fault_alloc: u64(30),
  thp_collapse_alloc: u64(31),
  usage: u64(32),
  usage_limit: u64(33),
  swap_usage: u64(34),
  swap_limit: u64(35),
});

const V2MemoryEvents = message('io.containerd.cgroups.v2.MemoryEvents', {
  low: u64(1),
  high: u64(2),
  max: u64(3),
  oom: u64(4),
  oom_kill: u64(5),
});

const V2IOEntry = message('io.containerd.cgroups.v2.IOEntry', {
  major: u64(1),
  minor: u64(2),
  rbytes: u64(3),
  wbytes: u64(4),
  rios: u64(5),
  wios: u64(6),
});

const V2IOStat = message('io.containerd.cgroups.v2.IOStat', {
  usage: { no: 1, kind: 'message', type: () => V2IOEntry, repeated: true },
});

const V2HugeTlbStat = message('io.containerd.cgroups.v2.HugeTlbStat', {
  current: u64(1),
  max: u64(2),
  pagesize: { no: 3, kind: 'string' },
});

export const V2Metrics = message('io.containerd.cgroups.v2.Metrics', {
  pids: { no: 1, kind: 'message', type: () => V2PidsStat },
  cpu: { no: 2, kind: 'message', type: () => V2CPUStat },
  memory: { no: 4, kind: 'message', type: () => V2MemoryStat },
  io: { no: 6, kind: 'message', type: () => V2IOStat },
  hugetlb: { no: 7, kind: 'message', type: () => V2HugeTlbStat, repeated: true },
  memoryEvents: { no: 8, kind: 'message', type: () => V2MemoryEvents },
});
