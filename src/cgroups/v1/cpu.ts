// cpu.* → cpu.shares, cpu.cfs_{period,quota,burst}_us, cpu.idle, cpu.rt_{period,runtime}_us.
import type { CgroupWrite } from '../fsio';
import { isPresent, isSet, type LinuxCPU } from '../resources';

/**
 * runc's fs order. A period or burst change can be refused against the old
 * quota (EINVAL), so they are tried first and written again after the quota.
 * quota -1 = unlimited passes through; a quota without period keeps the
 * kernel's period (100000 by default).
 */
export function cpuV1Writes(cpu: LinuxCPU | undefined, base = 'linux.resources.cpu'): CgroupWrite[] {
  if (!cpu) return [];
  const out: CgroupWrite[] = [];
  if (isSet(cpu.shares)) out.push({ file: 'cpu.shares', value: String(cpu.shares), field: `${base}.shares` });
  const quotaSet = isSet(cpu.quota);
  const period: CgroupWrite | undefined = isSet(cpu.period) ? { file: 'cpu.cfs_period_us', value: String(cpu.period), field: `${base}.period` } : undefined;
  const burst: CgroupWrite | undefined = isPresent(cpu.burst) ? { file: 'cpu.cfs_burst_us', value: String(cpu.burst), field: `${base}.burst` } : undefined;
  if (period) out.push({ ...period, tolerate: quotaSet ? ['EINVAL'] : undefined });
  if (burst) out.push({ ...burst, tolerate: quotaSet ? ['EINVAL'] : undefined });
  if (quotaSet) {
    out.push({ file: 'cpu.cfs_quota_us', value: String(cpu.quota), field: `${base}.quota` });
    if (period) out.push(period);
    if (burst) out.push(burst);
  }
  if (isPresent(cpu.idle)) out.push({ file: 'cpu.idle', value: String(cpu.idle), field: `${base}.idle` });
  const runtimeSet = isSet(cpu.realtimeRuntime);
  const rtPeriod: CgroupWrite | undefined = isSet(cpu.realtimePeriod)
    ? { file: 'cpu.rt_period_us', value: String(cpu.realtimePeriod), field: `${base}.realtimePeriod` }
    : undefined;
  if (rtPeriod) out.push({ ...rtPeriod, tolerate: runtimeSet ? ['EINVAL'] : undefined });
  if (runtimeSet) {
    out.push({ file: 'cpu.rt_runtime_us', value: String(cpu.realtimeRuntime), field: `${base}.realtimeRuntime` });
    if (rtPeriod) out.push(rtPeriod);
  }
  return out;
}
