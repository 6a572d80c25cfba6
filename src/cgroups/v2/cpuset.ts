// cpu.cpus / cpu.mems → cpuset.cpus / cpuset.mems (same names on v1 and v2).
import type { CgroupWrite } from '../fsio';
import type { LinuxCPU } from '../resources';

export function cpusetWrites(cpu: LinuxCPU | undefined, base = 'linux.resources.cpu'): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  if (cpu?.cpus) out.push({ file: 'cpuset.cpus', value: cpu.cpus, field: `${base}.cpus` });
  if (cpu?.mems) out.push({ file: 'cpuset.mems', value: cpu.mems, field: `${base}.mems` });
  return out;
}
