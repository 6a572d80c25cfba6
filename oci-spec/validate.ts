// Entry points: turn untrusted JSON into typed spec documents, or throw a
// SpecValidationError whose message names the JSON path and what was expected:
//   config.json: linux.namespaces[2].type: expected one of pid, network, ..., got "foo"
//   config.json: process.user.uid: expected a number, got string
import type { z } from 'zod';
import { SpecValidationError, type SchemaIssue, type SpecIssue } from './errors';
import { describeType } from './integers';
import type { Config, Process, Resources } from './runtime';
import { checkConfig, checkProcess, checkResources, type SchemaCheck } from './runtime-checks';

export { parseJsonText } from './json';

// The three runtime documents are checked by the functions compiled from their
// zod schemas (runtime-checks.ts), which load no zod: create, exec and update
// pay neither for loading zod nor for building the schemas.

/** Validate a parsed config.json. Unknown fields are dropped; see runtime.ts for the rules. */
export function parseConfig(json: unknown, file = 'config.json'): Config {
  return checked(checkConfig(json), json, file);
}

/** Validate the process JSON given to `exec --process FILE`. */
export function parseProcess(json: unknown, file = 'process.json'): Process {
  return checked(checkProcess(json), json, file);
}

/** Validate the LinuxResources JSON given to `update --resources FILE|-`. */
export function parseResources(json: unknown, file = 'resources.json'): Resources {
  return checked(checkResources(json), json, file);
}

function checked<T>(result: SchemaCheck<T>, json: unknown, file: string): T {
  if (result.ok) return result.value;
  throw specError(file, result.issues, json);
}

/** Validate any document against one of the oci-spec schemas (zod's own parse). */
export function parseWithSchema<S extends z.ZodTypeAny>(schema: S, json: unknown, file: string): z.output<S> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  throw specError(file, result.error.issues.map(asSchemaIssue), json);
}

/** The issue codes the wording knows keep their fields; any other is worded by its message. */
function asSchemaIssue(issue: z.ZodIssue): SchemaIssue {
  switch (issue.code) {
    case 'invalid_type':
    case 'invalid_enum_value':
    case 'invalid_string':
    case 'invalid_literal':
    case 'unrecognized_keys':
    case 'custom':
      return issue as SchemaIssue;
    default:
      return { code: 'custom', message: issue.message, path: issue.path };
  }
}

function specError(file: string, issues: readonly SchemaIssue[], json: unknown): SpecValidationError {
  return new SpecValidationError(
    file,
    issues.map((issue) => describeIssue(issue, json)),
  );
}

// ---------------------------------------------------------------------------
// Issue wording

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  bigint: 'a number',
};

/** "linux.namespaces[2].type"; keys that are not identifiers in brackets: sysctl["net.ipv4.ip_forward"] */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function describeIssue(issue: SchemaIssue, input: unknown): SpecIssue {
  return { jsonPath: formatJsonPath(issue.path), expected: describeExpectation(issue, input) };
}

function describeExpectation(issue: SchemaIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      // z.enum reports a wrong type with expected = "'a' | 'b'"
      const expected = TYPE_WORDS[issue.expected] ?? `one of ${enumText(issue.expected)}`;
      if (issue.received === 'undefined') return `required field is missing (expected ${expected})`;
      return `expected ${expected}, got ${issue.received}`;
    }
    case 'invalid_enum_value':
      return `expected one of ${issue.options.join(', ')}, got ${JSON.stringify(issue.received)}`;
    case 'invalid_string':
      // our patterned() strings carry "expected ..." as their message
      return `${issue.message}, got ${showValue(valueAt(input, issue.path))}`;
    case 'invalid_literal':
      return `expected ${JSON.stringify(issue.expected)}, got ${showValue(valueAt(input, issue.path))}`;
    case 'unrecognized_keys':
      return `unexpected field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'custom':
      return issue.message;
  }
}

function enumText(zodExpected: string): string {
  return zodExpected
    .split(' | ')
    .map((v) => v.replace(/^'(.*)'$/, '$1'))
    .join(', ');
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let v = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return describeType(v);
}
