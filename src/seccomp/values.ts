// Syscall argument values: the exact uint64 a config value stands for, or why
// there is none. oci-spec reads integers past 2^53 as bigint (exact when the
// text went through parseJsonText); a JS number past 2^53 was rounded by
// whoever parsed the JSON, so its exact value is lost. A parser that keeps
// exact digits as text may hand over a decimal string instead.
import type { Int64 } from '../../oci-spec/schema-kit';

const UINT64_MAX = (1n << 64n) - 1n;

export type Uint64Result = { ok: true; value: bigint } | { ok: false; reason: string };

/** The exact uint64 of an argument value (absent: 0). */
export function toUint64(v: Int64 | string | undefined): Uint64Result {
  if (v === undefined) return { ok: true, value: 0n };
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) return { ok: false, reason: `${v} is not an unsigned integer` };
    if (!Number.isSafeInteger(v)) {
      return { ok: false, reason: `${v} is above 2^53 and was rounded when config.json was parsed; the exact value is lost` };
    }
    return { ok: true, value: BigInt(v) };
  }
  if (typeof v === 'bigint' || /^(0|[1-9][0-9]*)$/.test(v)) {
    const b = BigInt(v);
    if (b < 0n || b > UINT64_MAX) return { ok: false, reason: `${v} is outside 0..2^64-1` };
    return { ok: true, value: b };
  }
  return { ok: false, reason: `${JSON.stringify(v)} is not an unsigned 64-bit integer` };
}
