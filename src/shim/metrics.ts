// tsrun's cgroup statistics (runc's types.Stats shape) -> containerd's
// metrics types, the Any a Stats call answers: io.containerd.cgroups.v1.Metrics
// on v1 and hybrid hosts, io.containerd.cgroups.v2.Metrics on unified ones —
// the same choice containerd's runc shim makes.
import type { ContainerStats } from '../container/events';
import type { BlkioEntry, CgroupStats, MemoryEntry, U64 } from '../cgroups/stats';
import { encode, type Input } from './proto/codec';
import type { Any } from './proto/messages';
import { V1MemoryStat, V1Metrics, V2MemoryStat, V2Metrics } from './proto/metrics';

const big = (v: U64 | undefined): bigint => BigInt(v ?? 0);

function memoryEntry(e: MemoryEntry | undefined) {
  return e ? { limit: big(e.limit), usage: big(e.usage), max: big(e.max), failcnt: big(e.failcnt) } : undefined;
}

function blkioEntries(list: BlkioEntry[] | undefined) {
  return (list ?? []).map((e) => ({ op: e.op ?? '', major: big(e.major), minor: big(e.minor), value: big(e.value) }));
}

/** memory.stat values for the fields of `type` named like the keys */
function memoryStatFields(type: { fields: Readonly<Record<string, unknown>> }, raw: Record<string, U64> | undefined): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const key of Object.keys(type.fields)) if (raw?.[key] !== undefined) out[key] = big(raw[key]);
  return out;
}

export function v1Metrics(s: CgroupStats, oomKills: number): Input<typeof V1Metrics> {
  return {
    pids: { current: big(s.pids.current), limit: big(s.pids.limit) },
    cpu: {
      usage: {
        total: big(s.cpu.usage?.total),
        kernel: big(s.cpu.usage?.kernel),
        user: big(s.cpu.usage?.user),
        perCpu: (s.cpu.usage?.percpu ?? []).map(big),
      },
      throttling: {
        periods: big(s.cpu.throttling?.periods),
        throttledPeriods: big(s.cpu.throttling?.throttledPeriods),
        throttledTime: big(s.cpu.throttling?.throttledTime),
      },
    },
    memory: {
      ...memoryStatFields(V1MemoryStat, s.memory.raw),
      cache: big(s.memory.cache ?? s.memory.raw?.['cache']),
      usage: memoryEntry(s.memory.usage),
      swap: memoryEntry(s.memory.swap),
      kernel: memoryEntry(s.memory.kernel),
      kernelTcp: memoryEntry(s.memory.kernelTCP),
    },
    blkio: {
      ioServiceBytesRecursive: blkioEntries(s.blkio.ioServiceBytesRecursive),
      ioServicedRecursive: blkioEntries(s.blkio.ioServicedRecursive),
      ioQueuedRecursive: blkioEntries(s.blkio.ioQueueRecursive),
      ioServiceTimeRecursive: blkioEntries(s.blkio.ioServiceTimeRecursive),
      ioWaitTimeRecursive: blkioEntries(s.blkio.ioWaitTimeRecursive),
      ioMergedRecursive: blkioEntries(s.blkio.ioMergedRecursive),
      ioTimeRecursive: blkioEntries(s.blkio.ioTimeRecursive),
      sectorsRecursive: blkioEntries(s.blkio.sectorsRecursive),
    },
    hugetlb: Object.entries(s.hugetlb).map(([pagesize, h]) => ({ pagesize, usage: big(h.usage), max: big(h.max), failcnt: big(h.failcnt) })),
    memoryOomControl: { oomKill: BigInt(oomKills) },
  };
}

/** v2's io.stat per device, rebuilt from the Read/Write entries */
function ioEntries(s: CgroupStats) {
  const devices = new Map<string, { major: bigint; minor: bigint; rbytes: bigint; wbytes: bigint; rios: bigint; wios: bigint }>();
  const device = (e: BlkioEntry) => {
    const key = `${e.major ?? 0}:${e.minor ?? 0}`;
    let d = devices.get(key);
    if (!d) devices.set(key, (d = { major: big(e.major), minor: big(e.minor), rbytes: 0n, wbytes: 0n, rios: 0n, wios: 0n }));
    return d;
  };
  for (const e of s.blkio.ioServiceBytesRecursive ?? []) {
    if (e.op === 'Read') device(e).rbytes = big(e.value);
    else if (e.op === 'Write') device(e).wbytes = big(e.value);
  }
  for (const e of s.blkio.ioServicedRecursive ?? []) {
    if (e.op === 'Read') device(e).rios = big(e.value);
    else if (e.op === 'Write') device(e).wios = big(e.value);
  }
  return [...devices.values()];
}

export function v2Metrics(s: CgroupStats, oomKills: number): Input<typeof V2Metrics> {
  const usec = (ns: U64 | undefined) => big(ns) / 1000n;
  const usage = big(s.memory.usage?.usage);
  // runc's swap entry is memory+swap (v1's memsw); v2 reports swap alone
  const swapUsage = s.memory.swap ? big(s.memory.swap.usage) - usage : 0n;
  const swapLimit = s.memory.swap && s.memory.usage && big(s.memory.swap.limit) > big(s.memory.usage.limit) ? big(s.memory.swap.limit) - big(s.memory.usage.limit) : big(s.memory.swap?.limit);
  return {
    pids: { current: big(s.pids.current), limit: big(s.pids.limit) },
    cpu: {
      usage_usec: usec(s.cpu.usage?.total),
      user_usec: usec(s.cpu.usage?.user),
      system_usec: usec(s.cpu.usage?.kernel),
      nr_periods: big(s.cpu.throttling?.periods),
      nr_throttled: big(s.cpu.throttling?.throttledPeriods),
      throttled_usec: usec(s.cpu.throttling?.throttledTime),
    },
    memory: {
      ...memoryStatFields(V2MemoryStat, s.memory.raw),
      usage,
      usage_limit: big(s.memory.usage?.limit),
      swap_usage: swapUsage > 0n ? swapUsage : 0n,
      swap_limit: swapLimit,
    },
    io: { usage: ioEntries(s) },
    hugetlb: Object.entries(s.hugetlb).map(([pagesize, h]) => ({ pagesize, current: big(h.usage), max: big(h.max) })),
    memoryEvents: { oom_kill: BigInt(oomKills) },
  };
}

/** The Stats answer for this host's cgroup layout. */
export function metricsAny(c: ContainerStats): Input<typeof Any> {
  if (c.layout === 'v2') return { typeUrl: V2Metrics.name, value: encode(V2Metrics, v2Metrics(c.stats, c.oomKills)) };
  return { typeUrl: V1Metrics.name, value: encode(V1Metrics, v1Metrics(c.stats, c.oomKills)) };
}
