// Syscall argument values: exact uint64 or a reason why not (see types.ts).
import type { SeccompValue } from './types';

export const UINT64_MAX = (1n << 64n) - 1n;

export type Uint64Result = { ok: true; value: bigint } | { ok: false; reason: string };

/** The exact uint64 a config value stands for. */
export function toUint64(v: SeccompValue | undefined | null): Uint64Result {
  if (v === undefined || v === null) return { ok: true, value: 0n };
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) return { ok: false, reason: `${v} is not an unsigned integer` };
    if (!Number.isSafeInteger(v)) {
      return {
        ok: false,
        reason: `${v} is above 2^53 and was rounded when config.json was parsed; the exact value is lost`,
      };
    }
    return { ok: true, value: BigInt(v) };
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v > UINT64_MAX) return { ok: false, reason: `${v} is outside 0..2^64-1` };
    return { ok: true, value: v };
  }
  if (typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v)) {
    const b = BigInt(v);
    if (b > UINT64_MAX) return { ok: false, reason: `${v} is outside 0..2^64-1` };
    return { ok: true, value: b };
  }
  return { ok: false, reason: `${JSON.stringify(v)} is not an unsigned 64-bit integer` };
}
