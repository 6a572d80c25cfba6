// oci-spec/runtime-checks.ts is generated from the zod schemas of
// oci-spec/runtime.ts (scripts/gen-spec-checks.js) and replaces their
// safeParse on create, exec and update. Here: the file is what the generator
// makes of today's schemas, and each check returns exactly what zod's
// safeParse returns (the value, key for key, or the same issues in the same
// order) on real configs and on many broken variants of them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as kit from '../../oci-spec/schema-kit';
import * as runtime from '../../oci-spec/runtime';
import { checkConfig, checkProcess, checkResources, type SchemaCheck } from '../../oci-spec/runtime-checks';
import { parseJsonText } from '../../oci-spec/json';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generateSpecChecks } = require('../../scripts/gen-spec-checks.js') as { generateSpecChecks: (r: unknown, k: unknown) => string };

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'oci');
const fixtures = fs.readdirSync(FIXTURES).map((name) => ({ name, doc: parseJsonText(fs.readFileSync(path.join(FIXTURES, name), 'utf8'), name) }));

describe('oci-spec/runtime-checks.ts', () => {
  it('is what scripts/gen-spec-checks.js makes of the schemas in oci-spec/runtime.ts (else: npm run build:ts && npm run gen:spec-checks)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'oci-spec', 'runtime-checks.ts'), 'utf8')).toBe(generateSpecChecks(runtime, kit));
  });

  it('stops at a schema kind it cannot compile', () => {
    const withRefine = { ConfigSchema: kit.obj({ a: kit.STRING.min(2) }), ProcessSchema: kit.STRING, ResourcesSchema: kit.STRING };
    expect(() => generateSpecChecks(withRefine, kit)).toThrow(/string checks other than one regex/);
  });
});

type Checked = { ok: true; value: unknown } | { ok: false; issues: unknown[] };

/** What zod reports, reduced to the fields an issue of its code carries (the compiled checks leave out zod's default messages). */
function zodResult(schema: z.ZodTypeAny, doc: unknown): Checked {
  const r = schema.safeParse(doc);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.map(({ message, fatal: _fatal, ...rest }) => (rest.code === 'custom' || rest.code === 'invalid_string' ? { ...rest, message } : rest)) };
}

function compiledResult(result: SchemaCheck<unknown>): Checked {
  return result.ok ? { ok: true, value: result.value } : { ok: false, issues: result.issues };
}

const CASES = [
  { what: 'config.json', schema: runtime.ConfigSchema, check: checkConfig },
  { what: 'a --process document', schema: runtime.ProcessSchema, check: checkProcess },
  { what: 'a --resources document', schema: runtime.ResourcesSchema, check: checkResources },
];

/** `doc` with the part of it each document kind checks: the whole config, its process, its resources. */
function partFor(what: string, doc: Record<string, unknown>): unknown {
  if (what === 'config.json') return doc;
  if (what === 'a --process document') return doc.process;
  return (doc.linux as Record<string, unknown> | undefined)?.resources;
}

// Values a mutation puts somewhere: every JSON type, the edge integers, names of the spec's enums, patterns' near misses
const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 4294967295, 4294967296, 2 ** 53, 2 ** 64, 18446744073709551615n, 18446744073709551616n, -(2n ** 63n) - 1n,
  '', 'x', '0-3,7', 'a b', 'rwm', 'rwx', '2MB', '0MB', 'MB:0=10', 'MB:\n', 'CAP_SYS_ADMIN', 'SCMP_ACT_ERRNO', 'SCMP_ACT_NOPE',
  'pid', 'cgroup', 'c', 'z', 'rshared', 'RLIMIT_NOFILE', 'SCHED_FIFO', 'IOPRIO_CLASS_BE', 'MPOL_BIND', 'LINUX32', 'boottime',
  [], ['x'], [1], [null], {}, { path: 'x' }, { uid: 1, gid: 2 }, { type: 'pid' }, { 'not-a-field': 1 }, JSON.parse('{"__proto__": {"x": 1}}'),
];

type Mutation = { at: number; kind: 'set' | 'delete' | 'extra'; value: number; key: string };

/** Every object and array inside `doc` (the places a mutation can hit), parents first. */
function containers(doc: unknown, out: unknown[] = []): unknown[] {
  if (typeof doc === 'object' && doc !== null) {
    out.push(doc);
    for (const v of Object.values(doc)) containers(v, out);
  }
  return out;
}

/** An own property, also for "__proto__" (which assignment would take as the prototype), as JSON.parse makes it. */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function mutate(doc: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone(doc);
  for (const m of mutations) {
    const places = containers(copy);
    if (places.length === 0) break;
    const target = places[m.at % places.length] as object;
    const keys = Object.keys(target);
    const value = structuredClone(ODD_VALUES[m.value % ODD_VALUES.length]);
    if (m.kind === 'extra' || keys.length === 0) {
      setOwn(target, m.key, value);
      continue;
    }
    const key = keys[m.value % keys.length] as string;
    if (m.kind === 'delete') delete (target as Record<string, unknown>)[key];
    else setOwn(target, key, value);
  }
  return copy;
}

const mutationArb = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('set' as const, 'delete' as const, 'extra' as const),
  value: fc.nat(),
  key: fc.constantFrom('extra', 'boottime', 'monotonic', 'realtime', '__proto__', 'constructor', 'toString', 'type', 'path', 'net.ipv4.ip_forward', '0'),
});

describe.each(CASES)('the compiled check of $what', ({ what, schema, check }) => {
  it.each(fixtures)('returns what zod returns for the fixture $name', ({ doc }) => {
    const part = partFor(what, doc as Record<string, unknown>);
    const compiled = compiledResult(check(part));
    expect(compiled).toStrictEqual(zodResult(schema, part));
    if (part !== undefined) expect(compiled.ok).toBe(true);
  });

  it('returns what zod returns for any document of JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (doc) => {
        expect(compiledResult(check(doc))).toStrictEqual(zodResult(schema, doc));
      }),
      { numRuns: 300 },
    );
  });

  it('returns what zod returns for the fixtures broken in one to four places (value, issues and their order)', { timeout: 300_000 }, () => {
    const outcomes = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), ({ doc }, mutations) => {
        const part = mutate(partFor(what, doc as Record<string, unknown>), mutations);
        const compiled = compiledResult(check(part));
        expect(compiled).toStrictEqual(zodResult(schema, part));
        outcomes[compiled.ok ? 'valid' : 'invalid']++;
      }),
      { numRuns: 800 },
    );
    // both kinds of result were compared, many times
    expect(outcomes.valid).toBeGreaterThan(40);
    expect(outcomes.invalid).toBeGreaterThan(200);
  });
});
