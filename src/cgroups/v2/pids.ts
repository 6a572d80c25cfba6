// pids.limit → pids.max (v2; the v1 file has the same name and format).
import type { CgroupWrite } from '../fsio';
import { isPresent, type LinuxPids } from '../resources';

/**
 * OCI pids.limit → pids.max value. Negative → "max". 0 → "1" like runc ≥ 1.4
 * (runtime-spec 1.3 makes 0 a real limit; the container's init already counts
 * as one task, so 0 and 1 both forbid any fork, and systemd refuses 0). The
 * limits are written once the init has forked (create.ts), as runc does.
 */
export function pidsMax(limit: number): string {
  if (limit < 0) return 'max';
  if (limit === 0) return '1';
  return String(limit);
}

export function pidsWrites(pids: LinuxPids | undefined, base = 'linux.resources.pids'): CgroupWrite[] {
  if (!pids || !isPresent(pids.limit)) return [];
  return [{ file: 'pids.max', value: pidsMax(pids.limit), field: `${base}.limit` }];
}
