// linux.resources -> systemd unit properties (systemd.resource-control(5)),
// each through a named conversion, as runc's systemd driver sets them. What
// systemd does not model (hugetlb, rdma, the device filter, memory.swap
// without a limit, unified keys it has no property for, ...) is written to
// the scope's cgroup files afterwards by the cgroupfs code, which writes the
// modelled values too, so both agree.
import { CgroupError } from '../errors';
import { cpuSharesToWeight, DEFAULT_CPU_PERIOD } from '../cgroups/v2/cpu';
import { blkioWeightToIoWeight } from '../cgroups/v2/io';
import { swapV2 } from '../cgroups/v2/memory';
import { isSet, type LinuxResources, type LinuxThrottleDevice } from '../cgroups/resources';
import type { UnitProperty } from './client';
import type { Variant } from './dbus/wire';

/** systemd's "infinity" for byte, task and time properties (UINT64_MAX) */
export const UINT64_INFINITY = 2n ** 64n - 1n;

const u64 = (v: number | bigint): Variant => ({ signature: 't', value: BigInt(v) });
const bool = (v: boolean): Variant => ({ signature: 'b', value: v });
const str = (v: string): Variant => ({ signature: 's', value: v });

/** A byte limit: -1 (unlimited) -> infinity. */
function bytesOrInfinity(v: number): bigint {
  return v === -1 ? UINT64_INFINITY : BigInt(v);
}

/**
 * cpu.quota/period -> CPUQuotaPerSecUSec: microseconds of CPU time per second,
 * which systemd keeps as a percentage, so it is rounded up to the next 10 ms
 * (runc: the container's own cpu.max, written afterwards, stays exact).
 * quota <= 0 with a period: unlimited.
 */
export function cpuQuotaPerSecUSec(quota: number, period: number): bigint {
  if (quota <= 0) return UINT64_INFINITY;
  const p = period > 0 ? period : DEFAULT_CPU_PERIOD;
  let perSec = Math.floor((quota * 1_000_000) / p);
  if (perSec % 10_000 !== 0) perSec = (Math.floor(perSec / 10_000) + 1) * 10_000;
  return BigInt(perSec);
}

/** "0-2,4" -> the bitmask systemd takes for AllowedCPUs/AllowedMemoryNodes: byte i holds ids 8i..8i+7, lowest bit first. */
export function rangeToBits(list: string, field: string): number[] {
  const bytes: number[] = [];
  for (const part of list.split(',').map((s) => s.trim())) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CgroupError(`${field}: ${JSON.stringify(list)} is not a list of ids and ranges ("0-2,4")`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new CgroupError(`${field}: range ${part} runs backwards`);
    if (to >= 8192) throw new CgroupError(`${field}: id ${to} is beyond what systemd accepts`);
    for (let id = from; id <= to; id++) {
      const byte = id >> 3;
      while (bytes.length <= byte) bytes.push(0);
      bytes[byte]! |= 1 << (id & 7);
    }
  }
  return bytes;
}

/** A block device as systemd's IO properties name it: a path it stats for major:minor. */
export function blockDevicePath(major: number, minor: number): string {
  return `/dev/block/${major}:${minor}`;
}

function ioLimits(devices: readonly LinuxThrottleDevice[] | undefined | null): Array<[string, bigint]> {
  return (devices ?? []).map((d) => [blockDevicePath(d.major, d.minor), BigInt(d.rate)]);
}

export interface PropertyOptions {
  /** systemd's version: AllowedCPUs/AllowedMemoryNodes need 244, CPUQuotaPeriodUSec 242 */
  systemdVersion: number;
}

/** The unit properties of `res`, in systemd's names and types. */
export function resourceProperties(res: LinuxResources, opts: PropertyOptions): UnitProperty[] {
  const out: UnitProperty[] = [];
  const mem = res.memory;
  if (mem) {
    const limit = mem.limit ?? 0;
    if (limit !== 0) out.push(['MemoryMax', u64(bytesOrInfinity(limit))]);
    if (isSet(mem.reservation)) out.push(['MemoryLow', u64(bytesOrInfinity(mem.reservation))]);
    const swap = limit !== 0 || isSet(mem.swap) ? swapV2(limit, mem.swap ?? 0) : 0;
    // swap == limit means no swap: MemorySwapMax=0, as memory.swap.max gets
    // (left out, systemd would put back "max" on its next reload)
    if (swap !== 0 || (mem.swap ?? 0) > 0) out.push(['MemorySwapMax', u64(bytesOrInfinity(swap))]);
  }
  const cpu = res.cpu;
  if (cpu) {
    if (isSet(cpu.shares)) out.push(['CPUWeight', u64(cpuSharesToWeight(cpu.shares))]);
    const quota = cpu.quota ?? 0;
    const period = cpu.period ?? 0;
    if (period !== 0 && opts.systemdVersion >= 242) out.push(['CPUQuotaPeriodUSec', u64(period)]);
    if (quota !== 0 || period !== 0) out.push(['CPUQuotaPerSecUSec', u64(cpuQuotaPerSecUSec(quota, period))]);
    if (opts.systemdVersion >= 244) {
      if (cpu.cpus) out.push(['AllowedCPUs', { signature: 'ay', value: rangeToBits(cpu.cpus, 'linux.resources.cpu.cpus') }]);
      if (cpu.mems) out.push(['AllowedMemoryNodes', { signature: 'ay', value: rangeToBits(cpu.mems, 'linux.resources.cpu.mems') }]);
    }
  }
  const limit = res.pids?.limit;
  if (typeof limit === 'number' && (limit > 0 || limit === -1)) out.push(['TasksMax', u64(limit === -1 ? UINT64_INFINITY : limit)]);
  const bio = res.blockIO;
  if (bio) {
    if (isSet(bio.weight)) out.push(['IOWeight', u64(blkioWeightToIoWeight(bio.weight))]);
    const weights = (bio.weightDevice ?? []).filter((d) => isSet(d.weight)).map((d): [string, bigint] => [blockDevicePath(d.major, d.minor), BigInt(blkioWeightToIoWeight(d.weight!))]);
    if (weights.length) out.push(['IODeviceWeight', { signature: 'a(st)', value: weights }]);
    const limits = [
      ['IOReadBandwidthMax', bio.throttleReadBpsDevice],
      ['IOWriteBandwidthMax', bio.throttleWriteBpsDevice],
      ['IOReadIOPSMax', bio.throttleReadIOPSDevice],
      ['IOWriteIOPSMax', bio.throttleWriteIOPSDevice],
    ] as const;
    for (const [name, devices] of limits) {
      const v = ioLimits(devices);
      if (v.length) out.push([name, { signature: 'a(st)', value: v }]);
    }
  }
  out.push(...unifiedProperties(res.unified ?? {}, opts));
  return out;
}

/** linux.resources.unified keys systemd has a property for (runc's list); the rest go to files only. */
export function unifiedProperties(unified: Record<string, string>, opts: PropertyOptions): UnitProperty[] {
  const out: UnitProperty[] = [];
  const field = (k: string) => `linux.resources.unified[${JSON.stringify(k)}]`;
  const uint = (k: string, v: string): bigint => {
    if (v === 'max') return UINT64_INFINITY;
    if (!/^\d+$/.test(v)) throw new CgroupError(`${field(k)}: ${JSON.stringify(v)} is not a number or "max"`);
    return BigInt(v);
  };
  const byFile: Record<string, string> = { 'memory.high': 'MemoryHigh', 'memory.low': 'MemoryLow', 'memory.min': 'MemoryMin', 'memory.max': 'MemoryMax', 'memory.swap.max': 'MemorySwapMax', 'pids.max': 'TasksMax' };
  for (const [k, raw] of Object.entries(unified)) {
    const v = raw.trim();
    if (byFile[k]) out.push([byFile[k], u64(uint(k, v))]);
    else if (k === 'cpu.weight') out.push(['CPUWeight', u64(uint(k, v))]);
    else if (k === 'cpu.max') {
      const [q, p] = v.split(/\s+/);
      const period = p === undefined ? DEFAULT_CPU_PERIOD : Number(p);
      const quota = q === 'max' ? 0 : Number(q);
      if (!Number.isInteger(period) || !Number.isInteger(quota)) throw new CgroupError(`${field(k)}: ${JSON.stringify(v)} is not "<quota|max> [period]"`);
      if (opts.systemdVersion >= 242) out.push(['CPUQuotaPeriodUSec', u64(period)]);
      out.push(['CPUQuotaPerSecUSec', u64(cpuQuotaPerSecUSec(quota, period))]);
    } else if ((k === 'cpuset.cpus' || k === 'cpuset.mems') && opts.systemdVersion >= 244) {
      out.push([k === 'cpuset.cpus' ? 'AllowedCPUs' : 'AllowedMemoryNodes', { signature: 'ay', value: rangeToBits(v, field(k)) }]);
    }
  }
  return out;
}

export interface ScopeOptions {
  containerId: string;
  slice: string;
  /** the process that goes into the scope (tsrun's stage 1 of the init) */
  pid: number;
}

/** What every container scope gets (runc's set): its slice, the pid, delegation, accounting, no default dependencies. */
export function scopeProperties(o: ScopeOptions): UnitProperty[] {
  return [
    ['Description', str(`tsrun container ${o.containerId}`)],
    ['Slice', str(o.slice)],
    ['PIDs', { signature: 'au', value: [o.pid] }],
    // the container manages its own cgroup subtree (nested runtimes, systemd inside)
    ['Delegate', bool(true)],
    ['MemoryAccounting', bool(true)],
    ['CPUAccounting', bool(true)],
    ['IOAccounting', bool(true)],
    ['TasksAccounting', bool(true)],
    // no ordering against shutdown.target etc.: the engine stops containers
    ['DefaultDependencies', bool(false)],
  ];
}
