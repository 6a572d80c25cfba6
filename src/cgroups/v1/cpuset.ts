// cpu.cpus / cpu.mems → cpuset.cpus / cpuset.mems, and the parent copy a new v1 cpuset needs.
import type { CgroupWrite } from '../fsio';

export { cpusetWrites as cpusetV1Writes } from '../v2/cpuset';

/**
 * A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks until
 * they are set: copy the parent's values into the ones still empty.
 */
export function cpusetCopyDownWrites(current: { cpus: string; mems: string }, parent: { cpus: string; mems: string }): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  const field = 'linux.cgroupsPath (cpuset inherited from the parent cgroup)';
  if (current.cpus.trim() === '') out.push({ file: 'cpuset.cpus', value: parent.cpus, field });
  if (current.mems.trim() === '') out.push({ file: 'cpuset.mems', value: parent.mems, field });
  return out;
}
