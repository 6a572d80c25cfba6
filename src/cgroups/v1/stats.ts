// Stats from the v1 hierarchies (runc fs's sources, runc's JSON names).
import * as path from 'node:path';
import { parseKeyValues, parseUint, readOptional } from '../fsio';
import { parseCpuList } from '../hostinfo';
import { emptyStats, memoryEntry, mul, omitEmpty, type BlkioEntry, type CgroupStats, type HugetlbEntry, type U64 } from '../stats';
import { hugetlbStatsV2 } from '../v2/stats';

const num = (v: string | undefined): U64 => parseUint(v);
/** USER_HZ: cpuacct.stat counts in clock ticks of 1/100 s */
const CLOCK_TICKS = 100;

/** "8:0 Read 123" lines of a blkio file ("Total" lines skipped). */
export function parseBlkioFile(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/[\s:]+/);
    if (f.length < 3 || f[0] === 'Total') continue;
    const [major, minor] = [Number(f[0]), Number(f[1])];
    const op = f.length === 4 ? f[2] : '';
    out.push(omitEmpty<BlkioEntry>({ major, minor, op, value: num(f[f.length - 1]) }));
  }
  return out;
}

const list = (text: string | undefined): U64[] => (text ?? '').trim().split(/\s+/).filter(Boolean).map(num);

/** `dirs`: controller → the container's dir in that controller's hierarchy. */
export function statsV1(dirs: (controller: string) => string | undefined, unifiedDir: string | undefined, hugePageSizes: readonly string[]): CgroupStats {
  const s = emptyStats();
  const reader = (ctrl: string) => {
    const dir = dirs(ctrl);
    return (file: string) => (dir ? readOptional(path.join(dir, file)) : undefined);
  };

  const pids = reader('pids');
  const max = pids('pids.max');
  s.pids = omitEmpty({ current: num(pids('pids.current')), limit: max === 'max' ? 0 : num(max) });

  const acct = reader('cpuacct');
  const cpu = reader('cpu');
  const ticks = parseKeyValues(acct('cpuacct.stat') ?? '');
  const toNs = (k: string) => mul(num(ticks.get(k)), 1e9 / CLOCK_TICKS);
  const throttle = parseKeyValues(cpu('cpu.stat') ?? '');
  s.cpu = {
    usage: omitEmpty(
      {
        total: num(acct('cpuacct.usage')),
        percpu: list(acct('cpuacct.usage_percpu')),
        percpu_kernel: list(acct('cpuacct.usage_percpu_sys')),
        percpu_user: list(acct('cpuacct.usage_percpu_user')),
        kernel: toNs('system'),
        user: toNs('user'),
      },
      ['kernel', 'user'],
    ),
    throttling: omitEmpty({
      periods: num(throttle.get('nr_periods')),
      throttledPeriods: num(throttle.get('nr_throttled')),
      throttledTime: num(throttle.get('throttled_time')),
    }),
  };
  if (Object.keys(s.cpu.throttling!).length === 0) delete s.cpu.throttling;

  const mem = reader('memory');
  const raw: Record<string, U64> = {};
  for (const [k, v] of parseKeyValues(mem('memory.stat') ?? '')) raw[k] = num(v);
  const entry = (prefix: string) =>
    memoryEntry({
      usage: num(mem(`${prefix}.usage_in_bytes`)),
      max: num(mem(`${prefix}.max_usage_in_bytes`)),
      failcnt: num(mem(`${prefix}.failcnt`)),
      limit: num(mem(`${prefix}.limit_in_bytes`)),
    });
  s.memory = omitEmpty({
    cache: raw['cache'] ?? 0,
    usage: entry('memory'),
    swap: entry('memory.memsw'),
    kernel: entry('memory.kmem'),
    kernelTCP: entry('memory.kmem.tcp'),
    raw: Object.keys(raw).length > 0 ? raw : undefined,
  });

  const blkio = reader('blkio');
  const bfq = blkio('blkio.bfq.io_service_bytes_recursive');
  s.blkio = omitEmpty(
    bfq !== undefined
      ? { ioServiceBytesRecursive: parseBlkioFile(bfq), ioServicedRecursive: parseBlkioFile(blkio('blkio.bfq.io_serviced_recursive') ?? '') }
      : {
          ioServiceBytesRecursive: parseBlkioFile(blkio('blkio.throttle.io_service_bytes_recursive') ?? ''),
          ioServicedRecursive: parseBlkioFile(blkio('blkio.throttle.io_serviced_recursive') ?? ''),
        },
  );

  if (dirs('hugetlb')) {
    const h = reader('hugetlb');
    for (const size of hugePageSizes) {
      const usage = h(`hugetlb.${size}.usage_in_bytes`);
      if (usage === undefined) continue;
      s.hugetlb[size] = omitEmpty<HugetlbEntry>(
        { usage: num(usage), max: num(h(`hugetlb.${size}.max_usage_in_bytes`)), failcnt: num(h(`hugetlb.${size}.failcnt`)) },
        ['failcnt'],
      );
    }
  } else if (unifiedDir) {
    s.hugetlb = hugetlbStatsV2(unifiedDir, hugePageSizes);
  }

  const cs = reader('cpuset');
  const n = (f: string) => num(cs(`cpuset.${f}`));
  s.cpuset = {
    cpus: [...(parseCpuList(cs('cpuset.cpus') ?? '') ?? [])],
    cpu_exclusive: n('cpu_exclusive'),
    mems: [...(parseCpuList(cs('cpuset.mems') ?? '') ?? [])],
    mem_hardwall: n('mem_hardwall'),
    mem_exclusive: n('mem_exclusive'),
    memory_migrate: n('memory_migrate'),
    memory_spread_page: n('memory_spread_page'),
    memory_spread_slab: n('memory_spread_slab'),
    memory_pressure: n('memory_pressure'),
    sched_load_balance: n('sched_load_balance'),
    sched_relax_domain_level: Number(cs('cpuset.sched_relax_domain_level') ?? 0),
  };
  if (s.cpuset.cpus!.length === 0) delete s.cpuset.cpus;
  if (s.cpuset.mems!.length === 0) delete s.cpuset.mems;
  return s;
}

/** memory.oom_control "oom_kill N" (kernel ≥ 4.13); 0 when missing. */
export function oomKillCountV1(memoryDir: string | undefined): number {
  if (!memoryDir) return 0;
  return Number(parseKeyValues(readOptional(path.join(memoryDir, 'memory.oom_control')) ?? '').get('oom_kill') ?? 0);
}
