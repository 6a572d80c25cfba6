// Building blocks shared by the spec schemas: sized integers that keep 64-bit
// precision, optional fields that read `null` as absent (as Go's encoding/json,
// and so runc, do), and patterned strings with readable messages.
//
// The runtime documents are not parsed by these at run time: scripts/gen-spec-checks.js
// compiles runtime.ts's schemas into runtime-checks.ts, and handles exactly the
// kinds of schema made here. Each zod schema object costs ~26 bound methods, so
// the common leaf schemas are built once and shared (schemas are immutable and
// parsing keeps no state in them), integers are one custom schema rather than
// custom+transform, and there are no preprocess/refine wrappers.
import { z } from 'zod';
import { checkInteger, type Int64, type IntegerKindName } from './integers';

export type { Int64 } from './integers';

type NarrowKind = 'int32' | 'uint16' | 'uint32' | 'int' | 'uint';
type WideKind = 'int64' | 'uint64';

interface SpecIntegerDef extends z.ZodTypeDef {
  kind: IntegerKindName;
}

/**
 * One schema object per integer field type: checks the kind's range and normalises number/bigint.
 * @public (scripts/gen-spec-checks.js compiles it, as SpecOptional and SpecReject)
 */
export class SpecInteger<Out extends Int64> extends z.ZodType<Out, SpecIntegerDef, unknown> {
  _parse(input: z.ParseInput): z.ParseReturnType<Out> {
    const result = checkInteger(this._def.kind, input.data);
    if (result.ok) return z.OK(result.value as Out);
    z.addIssueToContext(this._getOrReturnCtx(input), { code: z.ZodIssueCode.custom, message: result.message });
    return z.INVALID;
  }
}

/**
 * An optional field: absent, undefined and null all mean "not set" (Go reads null that way).
 * @public
 */
export class SpecOptional<T extends z.ZodTypeAny> extends z.ZodOptional<T> {
  override _parse(input: z.ParseInput): z.ParseReturnType<T['_output'] | undefined> {
    if (input.data === null) return z.OK(undefined);
    return super._parse(input);
  }
}

interface RejectDef extends z.ZodTypeDef {
  message: string;
}

/**
 * Fails with a fixed message: the catch-all for keys outside a closed set.
 * @public
 */
export class SpecReject extends z.ZodType<never, RejectDef, unknown> {
  _parse(input: z.ParseInput): z.ParseReturnType<never> {
    z.addIssueToContext(this._getOrReturnCtx(input), { code: z.ZodIssueCode.custom, message: this._def.message });
    return z.INVALID;
  }
}

/** Make a field optional (null reads as absent). */
export function opt<T extends z.ZodTypeAny>(schema: T): z.ZodOptional<T> {
  return new SpecOptional({ innerType: schema, typeName: z.ZodFirstPartyTypeKind.ZodOptional });
}

const integerCache = new Map<string, z.ZodTypeAny>();

/** A 32-bit-or-narrower spec integer; always a JS number. Shared per kind. */
export function int(kind: NarrowKind): z.ZodType<number, z.ZodTypeDef, unknown> {
  let s = integerCache.get(kind);
  if (!s) integerCache.set(kind, (s = new SpecInteger<number>({ kind })));
  return s as z.ZodType<number, z.ZodTypeDef, unknown>;
}

/** A spec int64/uint64: number when safe, bigint beyond 2^53 (exact when read with parseJsonText). */
export function int64(kind: WideKind): z.ZodType<Int64, z.ZodTypeDef, unknown> {
  let s = integerCache.get(kind);
  if (!s) integerCache.set(kind, (s = new SpecInteger<Int64>({ kind })));
  return s as z.ZodType<Int64, z.ZodTypeDef, unknown>;
}

const optIntegerCache = new Map<string, z.ZodTypeAny>();

/** Optional sized integer, shared per kind. */
export function optInt(kind: NarrowKind): z.ZodOptional<z.ZodType<number, z.ZodTypeDef, unknown>> {
  let s = optIntegerCache.get(kind);
  if (!s) optIntegerCache.set(kind, (s = opt(int(kind))));
  return s as z.ZodOptional<z.ZodType<number, z.ZodTypeDef, unknown>>;
}

export function optInt64(kind: WideKind): z.ZodOptional<z.ZodType<Int64, z.ZodTypeDef, unknown>> {
  let s = optIntegerCache.get(kind);
  if (!s) optIntegerCache.set(kind, (s = opt(int64(kind))));
  return s as z.ZodOptional<z.ZodType<Int64, z.ZodTypeDef, unknown>>;
}

/**
 * Defer building a schema until a document first reaches it: configs use a
 * fraction of the spec (seccomp, rdma, intelRdt... are rare), so most of the
 * tree is never built in a given `tsrun create`.
 */
export function lazy<T extends z.ZodTypeAny>(build: () => T): z.ZodLazy<T> {
  let built: T | undefined;
  return z.lazy(() => (built ??= build()));
}

/**
 * A spec object: known fields strictly typed, unknown fields accepted and dropped
 * (runc ignores them too).
 */
export function obj<T extends z.ZodRawShape>(shape: T): z.ZodObject<T> {
  return z.object(shape);
}

/**
 * An object whose keys are names from a fixed list (e.g. clock names): an
 * unknown key is an error naming it, not an ignored field.
 */
export function closedObj<T extends z.ZodRawShape>(shape: T, keyKind: string): z.ZodObject<T, 'strip', z.ZodTypeAny, z.objectOutputType<T, z.ZodTypeAny>> {
  const message = `unknown ${keyKind}, expected one of ${Object.keys(shape).join(', ')}`;
  return z.object(shape).catchall(new SpecReject({ message })) as unknown as z.ZodObject<T, 'strip', z.ZodTypeAny, z.objectOutputType<T, z.ZodTypeAny>>;
}

/** A string matching `pattern`; `expected` completes "expected ..." in the error. */
export function patterned(pattern: RegExp, expected: string): z.ZodString {
  return z.string().regex(pattern, { message: `expected ${expected}` });
}

// Shared leaves.
export const STRING = z.string();
export const OPT_STRING = opt(STRING);
export const OPT_BOOL = opt(z.boolean());
export const BOOL = z.boolean();
export const STRINGS = z.array(STRING);
export const OPT_STRINGS = opt(STRINGS);
const STRING_MAP = z.record(STRING, STRING);
export const OPT_STRING_MAP = opt(STRING_MAP);
