// Syscall argument values: the exact uint64 a config value stands for, or why
// there is none. oci-spec reads integers past 2^53 as bigint (exact when the
// text went through parseJsonText); a JS number past 2^53 was rounded by
// whoever parsed the JSON, so its exact value is lost.
import type { Int64 } from '../../oci-spec/schema-kit';

export type Uint64Result = { ok: true; value: bigint } | { ok: false; reason: string };

/** The exact uint64 of an argument value (absent: 0). */
export function toUint64(v: Int64 | undefined): Uint64Result {
  if (v === undefined) return { ok: true, value: 0n };
  if (typeof v === 'bigint') return { ok: true, value: v };
  if (!Number.isSafeInteger(v)) {
    return { ok: false, reason: `${v} is above 2^53 and was rounded when config.json was parsed; the exact value is lost` };
  }
  return { ok: true, value: BigInt(v) };
}
