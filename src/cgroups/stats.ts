// The `data` of `events --stats` (runc's types.Stats), with Go's
// omitempty/omitzero behaviour: zero counters and empty lists are left out
// where runc leaves them out. Values above 2^53 ("unlimited" limits) are
// bigints; statsToJson prints them as exact integers.

export type U64 = number | bigint;

interface CpuUsage {
  total?: U64;
  percpu?: U64[];
  percpu_kernel?: U64[];
  percpu_user?: U64[];
  kernel: U64;
  user: U64;
}
interface Throttling {
  periods?: U64;
  throttledPeriods?: U64;
  throttledTime?: U64;
}
export interface MemoryEntry {
  limit: U64;
  usage?: U64;
  max?: U64;
  failcnt: U64;
}
export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: U64;
}
export interface HugetlbEntry {
  usage?: U64;
  max?: U64;
  failcnt: U64;
}
interface CpusetStats {
  cpus?: number[];
  cpu_exclusive: U64;
  mems?: number[];
  mem_hardwall: U64;
  mem_exclusive: U64;
  memory_migrate: U64;
  memory_spread_page: U64;
  memory_spread_slab: U64;
  memory_pressure: U64;
  sched_load_balance: U64;
  sched_relax_domain_level: number;
}

export interface CgroupStats {
  cpu: { usage?: CpuUsage; throttling?: Throttling };
  cpuset: CpusetStats;
  memory: {
    cache?: U64;
    usage?: MemoryEntry;
    swap?: MemoryEntry;
    kernel?: MemoryEntry;
    kernelTCP?: MemoryEntry;
    raw?: Record<string, U64>;
  };
  pids: { current?: U64; limit?: U64 };
  blkio: {
    ioServiceBytesRecursive?: BlkioEntry[];
    ioServicedRecursive?: BlkioEntry[];
    ioQueueRecursive?: BlkioEntry[];
    ioServiceTimeRecursive?: BlkioEntry[];
    ioWaitTimeRecursive?: BlkioEntry[];
    ioMergedRecursive?: BlkioEntry[];
    ioTimeRecursive?: BlkioEntry[];
    sectorsRecursive?: BlkioEntry[];
  };
  hugetlb: Record<string, HugetlbEntry>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

export const MAX_U64 = 18446744073709551615n;

function isZero(v: U64 | undefined): boolean {
  return v === undefined || v === 0 || v === 0n;
}

/** Drop keys whose value is zero, undefined or an empty list (Go omitempty). */
export function omitEmpty<T extends object>(obj: T, keep: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (keep.includes(k)) out[k] = v;
    else if (Array.isArray(v) ? v.length > 0 : !isZero(v as U64 | undefined)) out[k] = v;
  }
  return out as T;
}

/** A MemoryEntry, or undefined when all of it is zero (Go omitzero). */
export function memoryEntry(e: { limit?: U64; usage?: U64; max?: U64; failcnt?: U64 }): MemoryEntry | undefined {
  if ([e.limit, e.usage, e.max, e.failcnt].every(isZero)) return undefined;
  return omitEmpty({ limit: e.limit ?? 0, usage: e.usage, max: e.max, failcnt: e.failcnt ?? 0 }, ['limit', 'failcnt']);
}

function emptyCpuset(): CpusetStats {
  return {
    cpu_exclusive: 0,
    mem_hardwall: 0,
    mem_exclusive: 0,
    memory_migrate: 0,
    memory_spread_page: 0,
    memory_spread_slab: 0,
    memory_pressure: 0,
    sched_load_balance: 0,
    sched_relax_domain_level: 0,
  };
}

export function emptyStats(): CgroupStats {
  return { cpu: {}, cpuset: emptyCpuset(), memory: {}, pids: {}, blkio: {}, hugetlb: {}, intel_rdt: {}, network_interfaces: null };
}

export function add(a: U64, b: U64): U64 {
  const s = BigInt(a) + BigInt(b);
  return s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
}

export function mul(a: U64, b: number): U64 {
  const s = BigInt(a) * BigInt(b);
  return s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
}

/** JSON.stringify that prints bigints as plain integers (exact u64 values). */
export function statsToJson(value: unknown, indent?: number): string {
  const marks: string[] = [];
  const text = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v !== 'bigint') return v;
      marks.push(v.toString());
      return `\u0000big${marks.length - 1}\u0000`;
    },
    indent,
  );
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_, i: string) => marks[Number(i)]!);
}
