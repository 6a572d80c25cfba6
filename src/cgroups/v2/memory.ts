// memory.* → memory.max / memory.low / memory.swap.max (runc fs2 order: swap, max, low).
import { CgroupError } from '../../errors';
import type { CgroupWrite } from '../fsio';
import { isPresent, isSet, type LinuxMemory } from '../resources';

/** A byte limit as cgroup v2 takes it: -1 → "max". Other negatives are invalid. */
export function memoryLimitV2(v: number, field: string): string {
  if (v === -1) return 'max';
  if (v < 0 || !Number.isInteger(v)) throw new CgroupError(`${field}: ${v} is not a byte count (use -1 for unlimited)`);
  return String(v);
}

/**
 * OCI memory.swap is memory+swap; v2's memory.swap.max is swap alone.
 * Returns the swap-only value (-1 = max, 0 = unset), or throws like runc when
 * it cannot be computed: swap without a limit, or swap below the limit.
 */
export function swapV2(limit: number, swap: number, base = 'linux.resources.memory'): number {
  if (limit === -1 && swap === 0) return -1; // "memory unlimited" implies swap unlimited (v1 compatibility)
  if (swap === -1 || swap === 0) return swap;
  if (limit === -1) return swap;
  if (limit === 0) throw new CgroupError(`${base}.swap: a swap limit needs ${base}.limit (memory+swap cannot be split without it)`);
  if (limit < 0) throw new CgroupError(`${base}.limit: ${limit} is not a byte count (use -1 for unlimited)`);
  if (swap < limit) throw new CgroupError(`${base}.swap: ${swap} is below ${base}.limit ${limit} (swap is memory+swap, so it must be >= limit)`);
  return swap - limit;
}

export interface MemoryV2Options {
  warn?: (msg: string) => void;
}

export function memoryV2Writes(mem: LinuxMemory | undefined, opts: MemoryV2Options = {}, base = 'linux.resources.memory'): CgroupWrite[] {
  if (!mem) return [];
  const warn = opts.warn ?? (() => {});
  if (isSet(mem.kernel)) warn(`${base}.kernel: kernel memory limits are obsolete and ignored`);
  if (isSet(mem.kernelTCP)) warn(`${base}.kernelTCP: not supported on cgroup v2, ignored`);
  if (isPresent(mem.swappiness)) warn(`${base}.swappiness: not supported on cgroup v2, ignored`);
  if (mem.disableOOMKiller === true) warn(`${base}.disableOOMKiller: not supported on cgroup v2, ignored`);
  const limit = mem.limit ?? 0;
  const swapIn = mem.swap ?? 0;
  const out: CgroupWrite[] = [];
  if (limit !== 0 || swapIn !== 0) {
    const swap = swapV2(limit, swapIn, base);
    if (swap !== 0 || swapIn > 0) {
      const value = swap === -1 ? 'max' : String(swap);
      // Without swap accounting the file is missing: fine when asking for "max" or "0".
      out.push({ file: 'memory.swap.max', value, field: `${base}.swap`, tolerate: value === 'max' || value === '0' ? ['ENOENT'] : undefined });
    }
  }
  if (limit !== 0) out.push({ file: 'memory.max', value: memoryLimitV2(limit, `${base}.limit`), field: `${base}.limit` });
  if (isSet(mem.reservation)) out.push({ file: 'memory.low', value: memoryLimitV2(mem.reservation, `${base}.reservation`), field: `${base}.reservation` });
  return out;
}
