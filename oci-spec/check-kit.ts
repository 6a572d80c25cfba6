// What zod's parse does for each kind of schema oci-spec/runtime.ts uses, as
// plain functions: the building blocks of the checks that
// scripts/gen-spec-checks.js compiles from those schemas (runtime-checks.ts).
// A check takes a value, the path to it and the issues found so far, records
// zod's issues (same codes, fields, paths and order) and returns what zod's
// parse returns. No zod here: create, exec and update load this instead.
import type { SchemaIssue } from './errors';
import { checkInteger, type IntegerKindName } from './integers';

type Path = (string | number)[];
type Obj = Record<string, unknown>;
export type Check = (v: unknown, p: Path, issues: SchemaIssue[]) => unknown;

/** zod's getParsedType: the `received` of its invalid_type issues. */
function parsedType(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return Number.isNaN(v) ? 'nan' : 'number';
    case 'object': {
      if (Array.isArray(v)) return 'array';
      if (v === null) return 'null';
      const o = v as { then?: unknown; catch?: unknown };
      if (typeof o.then === 'function' && typeof o.catch === 'function') return 'promise';
      if (v instanceof Map) return 'map';
      if (v instanceof Set) return 'set';
      if (v instanceof Date) return 'date';
      return 'object';
    }
    case 'undefined':
    case 'string':
    case 'boolean':
    case 'function':
    case 'bigint':
    case 'symbol':
      return typeof v;
    default:
      return 'unknown';
  }
}

function invalidType(issues: SchemaIssue[], p: Path, expected: string, v: unknown): undefined {
  issues.push({ code: 'invalid_type', expected, received: parsedType(v), path: [...p] });
  return undefined;
}

/** A field of an object or record: set when the value is defined or the key is there (zod's alwaysSet); never __proto__. */
function field(r: Obj, o: Obj, key: string, check: Check, p: Path, issues: SchemaIssue[]): void {
  p.push(key);
  const x = check(o[key], p, issues);
  p.pop();
  if (key !== '__proto__' && (x !== undefined || key in o)) r[key] = x;
}

/** z.object(shape): unknown keys dropped; with a catch-all (closedObj), checked by it after the shape's keys. */
export function object(shape: Record<string, Check>, catchall?: Check): Check {
  const keys = Object.keys(shape);
  return (v, p, issues) => {
    if (parsedType(v) !== 'object') return invalidType(issues, p, 'object', v);
    const o = v as Obj;
    const r: Obj = {};
    for (const key of keys) field(r, o, key, shape[key] as Check, p, issues);
    if (catchall) for (const key in o) if (!keys.includes(key)) field(r, o, key, catchall, p, issues);
    return r;
  };
}

/** z.array(element) */
export function array(element: Check): Check {
  return (v, p, issues) => {
    if (!Array.isArray(v)) return invalidType(issues, p, 'array', v);
    const r: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      p.push(i);
      r.push(element(v[i], p, issues));
      p.pop();
    }
    return r;
  };
}

/** z.record(z.string(), value) */
export function record(value: Check): Check {
  return (v, p, issues) => {
    if (parsedType(v) !== 'object') return invalidType(issues, p, 'object', v);
    const o = v as Obj;
    const r: Obj = {};
    for (const key in o) field(r, o, key, value, p, issues);
    return r;
  };
}

/** schema-kit's opt(): absent, undefined and null mean "not set" */
export function optional(check: Check): Check {
  return (v, p, issues) => (v === undefined || v === null ? undefined : check(v, p, issues));
}

export function string(v: unknown, p: Path, issues: SchemaIssue[]): unknown {
  return typeof v === 'string' ? v : invalidType(issues, p, 'string', v);
}

export function boolean(v: unknown, p: Path, issues: SchemaIssue[]): unknown {
  return typeof v === 'boolean' ? v : invalidType(issues, p, 'boolean', v);
}

/** z.string().regex(re, { message }) */
export function patterned(re: RegExp, message: string): Check {
  return (v, p, issues) => {
    if (typeof v !== 'string') return invalidType(issues, p, 'string', v);
    re.lastIndex = 0;
    if (!re.test(v)) issues.push({ code: 'invalid_string', validation: 'regex', message, path: [...p] });
    return v;
  };
}

/** z.enum(values) */
export function oneOf(values: readonly string[]): Check {
  const set = new Set(values);
  const expected = values.map((x) => `'${x}'`).join(' | ');
  return (v, p, issues) => {
    if (typeof v !== 'string') return invalidType(issues, p, expected, v);
    if (!set.has(v)) issues.push({ code: 'invalid_enum_value', options: [...values], received: v, path: [...p] });
    return v;
  };
}

/** schema-kit's int()/int64() */
export function integer(kind: IntegerKindName): Check {
  return (v, p, issues) => {
    const r = checkInteger(kind, v);
    if (r.ok) return r.value;
    issues.push({ code: 'custom', message: r.message, path: [...p] });
    return undefined;
  };
}

/** schema-kit's SpecReject: fails with its message */
export function reject(message: string): Check {
  return (_v, p, issues) => {
    issues.push({ code: 'custom', message, path: [...p] });
    return undefined;
  };
}
