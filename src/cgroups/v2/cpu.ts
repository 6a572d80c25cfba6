// cpu.* → cpu.weight / cpu.max / cpu.max.burst / cpu.idle (runc fs2 order).
import { CgroupError } from '../../errors';
import type { CgroupWrite } from '../fsio';
import { isPresent, isSet, type LinuxCPU } from '../resources';

/**
 * cpu.shares (v1, 2..262144, default 1024) → cpu.weight (v2, 1..10000, default 100).
 * runc ≥ 1.3.2's quadratic-in-log2 fit, which maps 2 → 1, 1024 → 100, 262144 → 10000
 * (the old linear formula sent 1024 to 39). 0 = unset.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(Math.pow(10, (l * l + 125 * l) / 612 - 7 / 34));
}

export const DEFAULT_CPU_PERIOD = 100000;

/** cpu.max content: "<quota|max> <period>"; undefined when neither is set. */
export function cpuMax(quota: number | undefined | null, period: number | undefined | null): string | undefined {
  const q = quota ?? 0;
  const p = period ?? 0;
  if (q === 0 && p === 0) return undefined;
  return `${q > 0 ? q : 'max'} ${p > 0 ? p : DEFAULT_CPU_PERIOD}`;
}

export function cpuV2Writes(cpu: LinuxCPU | undefined, base = 'linux.resources.cpu'): CgroupWrite[] {
  if (!cpu) return [];
  if (isSet(cpu.realtimeRuntime) || isSet(cpu.realtimePeriod)) {
    const f = isSet(cpu.realtimeRuntime) ? 'realtimeRuntime' : 'realtimePeriod';
    throw new CgroupError(`${base}.${f}: realtime scheduling limits are not supported on cgroup v2`);
  }
  const out: CgroupWrite[] = [];
  if (isPresent(cpu.idle)) out.push({ file: 'cpu.idle', value: String(cpu.idle), field: `${base}.idle` });
  if (isSet(cpu.shares)) out.push({ file: 'cpu.weight', value: String(cpuSharesToWeight(cpu.shares)), field: `${base}.shares` });
  const max = cpuMax(cpu.quota, cpu.period);
  const burst = isPresent(cpu.burst) ? String(cpu.burst) : undefined;
  // The kernel wants burst <= quota: write burst first (may fail against the old
  // quota), then cpu.max, then burst again.
  if (burst !== undefined) {
    out.push({ file: 'cpu.max.burst', value: burst, field: `${base}.burst`, tolerate: max ? ['EINVAL'] : undefined });
  }
  if (max) {
    out.push({ file: 'cpu.max', value: max, field: isSet(cpu.quota) ? `${base}.quota` : `${base}.period` });
    if (burst !== undefined) out.push({ file: 'cpu.max.burst', value: burst, field: `${base}.burst` });
  }
  return out;
}
