// Entry points: turn untrusted JSON into typed spec documents, or throw a
// SpecValidationError whose message names the JSON path and what was expected:
//   config.json: linux.namespaces[2].type: expected one of pid, network, ..., got "foo"
//   config.json: process.user.uid: expected a number, got string
import type { z } from 'zod';
import { SpecValidationError, type SpecIssue } from './errors';
import { ConfigSchema, ProcessSchema, ResourcesSchema, type Config, type Process, type Resources } from './runtime';
import { describeType } from './schema-kit';

export { parseJsonText } from './json';

/** Validate a parsed config.json. Unknown fields are dropped; see runtime.ts for the rules. */
export function parseConfig(json: unknown, file = 'config.json'): Config {
  return parseWithSchema(ConfigSchema, json, file);
}

/** Validate the process JSON given to `exec --process FILE`. */
export function parseProcess(json: unknown, file = 'process.json'): Process {
  return parseWithSchema(ProcessSchema, json, file);
}

/** Validate the LinuxResources JSON given to `update --resources FILE|-`. */
export function parseResources(json: unknown, file = 'resources.json'): Resources {
  return parseWithSchema(ResourcesSchema, json, file);
}

/** Validate any document against one of the oci-spec schemas. */
export function parseWithSchema<S extends z.ZodTypeAny>(schema: S, json: unknown, file: string): z.output<S> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  throw new SpecValidationError(
    file,
    result.error.issues.map((issue) => describeIssue(issue, json)),
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

function describeIssue(issue: z.ZodIssue, input: unknown): SpecIssue {
  return { jsonPath: formatJsonPath(issue.path), expected: describeExpectation(issue, input) };
}

function describeExpectation(issue: z.ZodIssue, input: unknown): string {
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
    default:
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
