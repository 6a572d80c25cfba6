// memory.* → memory.limit_in_bytes, memsw, soft limit, kmem.tcp, swappiness, oom_control.
import { CgroupError } from '../../errors';
import type { CgroupWrite } from '../fsio';
import { isPresent, isSet, type LinuxMemory } from '../resources';

/** A v1 byte limit: -1 (unlimited) passes through; other negatives are invalid. */
export function memoryLimitV1(v: number, field: string): string {
  if (v < -1 || !Number.isInteger(v)) throw new CgroupError(`${field}: ${v} is not a byte count (use -1 for unlimited)`);
  return String(v);
}

export interface MemoryV1State {
  /** memory.limit_in_bytes right now (decides whether memsw or the limit goes first) */
  currentLimit: bigint;
  /** memory.memsw.limit_in_bytes exists (swap accounting on) */
  swapAccounting: boolean;
  warn?: (msg: string) => void;
}

/**
 * Writes in runc's order. memsw must stay >= the limit at every step, so when
 * both change: raise memsw first when it grows past the current limit (or
 * becomes unlimited), else lower the limit first.
 */
export function memoryV1Writes(mem: LinuxMemory | undefined, state: MemoryV1State, base = 'linux.resources.memory'): CgroupWrite[] {
  if (!mem) return [];
  const warn = state.warn ?? (() => {});
  if (isSet(mem.kernel)) warn(`${base}.kernel: kernel memory limits are obsolete and ignored`);
  const limit = mem.limit ?? 0;
  let swap = mem.swap ?? 0;
  if (swap !== 0 && limit === 0) throw new CgroupError(`${base}.swap: a swap limit needs ${base}.limit`);
  if (limit > 0 && swap > 0 && swap < limit) {
    throw new CgroupError(`${base}.swap: ${swap} is below ${base}.limit ${limit} (swap is memory+swap, so it must be >= limit)`);
  }
  // "memory unlimited" with swap unset means both unlimited (runc)
  if (limit === -1 && swap === 0 && state.swapAccounting) swap = -1;
  const limitW: CgroupWrite | undefined =
    limit !== 0 ? { file: 'memory.limit_in_bytes', value: memoryLimitV1(limit, `${base}.limit`), field: `${base}.limit` } : undefined;
  const swapW: CgroupWrite | undefined =
    swap !== 0 ? { file: 'memory.memsw.limit_in_bytes', value: memoryLimitV1(swap, `${base}.swap`), field: `${base}.swap` } : undefined;
  const out: CgroupWrite[] = [];
  if (limitW && swapW && (swap === -1 || state.currentLimit < BigInt(swap))) out.push(swapW, limitW);
  else out.push(...[limitW, swapW].filter((w): w is CgroupWrite => w !== undefined));
  if (isSet(mem.reservation)) {
    out.push({ file: 'memory.soft_limit_in_bytes', value: memoryLimitV1(mem.reservation, `${base}.reservation`), field: `${base}.reservation` });
  }
  if (isSet(mem.kernelTCP)) {
    out.push({ file: 'memory.kmem.tcp.limit_in_bytes', value: memoryLimitV1(mem.kernelTCP, `${base}.kernelTCP`), field: `${base}.kernelTCP` });
  }
  if (mem.disableOOMKiller === true) out.push({ file: 'memory.oom_control', value: '1', field: `${base}.disableOOMKiller` });
  if (isPresent(mem.swappiness)) {
    if (mem.swappiness < 0 || mem.swappiness > 100) throw new CgroupError(`${base}.swappiness: ${mem.swappiness} is outside 0-100`);
    out.push({ file: 'memory.swappiness', value: String(mem.swappiness), field: `${base}.swappiness` });
  }
  return out;
}
