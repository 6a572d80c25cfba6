// The spec's sized integers: which values each kind holds, and how a JSON value
// is checked against one. Shared by the zod schemas (schema-kit.ts) and the
// checks compiled from them (runtime-checks.ts); no zod here, so create's path
// can use it without loading zod.

/**
 * A spec int64/uint64 value: a JS number when it is a safe integer (|v| < 2^53),
 * a bigint otherwise. String(v) and BigInt(v) work for both.
 */
export type Int64 = number | bigint;

interface IntegerKind {
  min: bigint;
  max: bigint;
}

const INTEGER_KINDS = {
  int32: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  uint16: { min: 0n, max: 2n ** 16n - 1n },
  uint32: { min: 0n, max: 2n ** 32n - 1n },
  /** JSON "integer" with no declared size (Go int): any integer a JS number holds exactly */
  int: { min: -(2n ** 53n - 1n), max: 2n ** 53n - 1n },
  /** a non-negative count (byte sizes) a JS number holds exactly */
  uint: { min: 0n, max: 2n ** 53n - 1n },
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint64: { min: 0n, max: 2n ** 64n - 1n },
} satisfies Record<string, IntegerKind>;

export type IntegerKindName = keyof typeof INTEGER_KINDS;

/** The word for a value's JSON type in messages: "string", "array", "null", ... */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return typeof v;
}

/** Range-checks a value against a kind; returns the normalised value or an error message. */
export function checkInteger(name: IntegerKindName, v: unknown): { ok: true; value: Int64 } | { ok: false; message: string } {
  const kind: IntegerKind = INTEGER_KINDS[name];
  const range = `expected an integer from ${kind.min} to ${kind.max} (${name})`;
  let big: bigint;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { ok: false, message: `expected an integer, got ${v}` };
    if (Number.isSafeInteger(v)) {
      return v < kind.min || v > kind.max ? { ok: false, message: `${range}, got ${v}` } : { ok: true, value: v };
    }
    // A number past 2^53 has already been rounded by whoever parsed the JSON.
    big = BigInt(v);
    if (big < kind.min || big > kind.max) {
      return { ok: false, message: `${range}, got ${v} (integers past 2^53 lose precision in JSON.parse; read the file with parseJsonText)` };
    }
  } else if (typeof v === 'bigint') {
    big = v;
    if (big < kind.min || big > kind.max) return { ok: false, message: `${range}, got ${v}` };
  } else if (v === undefined) {
    return { ok: false, message: 'required field is missing (expected a number)' };
  } else {
    return { ok: false, message: `expected a number, got ${describeType(v)}` };
  }
  const asNumber = Number(big);
  return { ok: true, value: Number.isSafeInteger(asNumber) ? asNumber : big };
}
