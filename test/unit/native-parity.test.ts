// Facts that TypeScript and the C addon both need, defined once on each side
// of the N-API boundary: these tests read the C sources and compare.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES, SECCOMP_ACTIONS, SECCOMP_ARCHS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from '../../oci-spec/runtime';
import { SECCOMP_FILTER_FLAG } from '../../src/native/linux-constants';
import { SYNC, SYNC_TEXT_MAX } from '../../src/native/sync';

const NATIVE_SRC = path.join(__dirname, '..', '..', 'native', 'src');
const source = (file: string) => fs.readFileSync(path.join(NATIVE_SRC, file), 'utf8');

/** The text of a C initializer: from `name[...] = {` to the matching `};`. */
function initializer(text: string, name: string): string {
  const start = text.search(new RegExp(`\\b${name}\\[[^\\]]*\\]\\s*=\\s*\\{`));
  if (start < 0) throw new Error(`no initializer for ${name}`);
  const end = text.indexOf('};', start);
  return text.slice(start, end);
}

/** Every string literal matching `pattern` in an initializer, in order. */
function names(file: string, table: string, pattern: RegExp): string[] {
  return [...initializer(source(file), table).matchAll(new RegExp(`"(${pattern.source})"`, 'g'))].map((m) => m[1]!);
}

function define(file: string, name: string): number {
  const m = new RegExp(`#define ${name} (\\d+)`).exec(source(file));
  if (!m) throw new Error(`no #define ${name} in ${file}`);
  return Number(m[1]);
}

const sorted = (list: readonly string[]) => [...list].sort();

describe('seccomp names (oci-spec is the source; native/src/seccomp_names.c must hold exactly its names)', () => {
  it('actions', () => {
    const c = names('seccomp_names.c', 'tsrun_seccomp_actions', /SCMP_ACT_\w+/);
    expect(sorted(c)).toEqual(sorted(SECCOMP_ACTIONS));
    expect(define('seccomp_names.h', 'TSRUN_SECCOMP_N_ACTIONS')).toBe(SECCOMP_ACTIONS.length);
  });
  it('operators', () => {
    const c = names('seccomp_names.c', 'tsrun_seccomp_operators', /SCMP_CMP_\w+/);
    expect(sorted(c)).toEqual(sorted(SECCOMP_OPERATORS));
    expect(define('seccomp_names.h', 'TSRUN_SECCOMP_N_OPERATORS')).toBe(SECCOMP_OPERATORS.length);
  });
  it('architectures', () => {
    const c = names('seccomp_names.c', 'tsrun_seccomp_archs', /SCMP_ARCH_\w+/);
    expect(sorted(c)).toEqual(sorted(SECCOMP_ARCHS));
    expect(define('seccomp_names.h', 'TSRUN_SECCOMP_N_ARCHS')).toBe(SECCOMP_ARCHS.length);
  });
  it('flags', () => {
    const c = names('seccomp_names.c', 'tsrun_seccomp_flags', /SECCOMP_FILTER_FLAG_\w+/);
    expect(sorted(c)).toEqual(sorted(SECCOMP_FLAGS));
    expect(define('seccomp_names.h', 'TSRUN_SECCOMP_N_FLAGS')).toBe(SECCOMP_FLAGS.length);
  });
  it('filter flag bits match the kernel header the addon is built with', () => {
    const header = fs.readFileSync('/usr/include/linux/seccomp.h', 'utf8');
    for (const [name, bit] of Object.entries(SECCOMP_FILTER_FLAG)) {
      const m = new RegExp(`#define SECCOMP_FILTER_FLAG_${name}\\s+\\(1UL << (\\d+)\\)`).exec(header);
      expect([name, m ? 1 << Number(m[1]) : undefined]).toEqual([name, bit]);
    }
  });
});

describe('namespaces', () => {
  it('native/src/plan.c names the kinds of oci-spec NAMESPACE_TYPES', () => {
    const c = names('plan.c', 'tsrun_ns_names', /[a-z]+/);
    expect(sorted(c)).toEqual(sorted(NAMESPACE_TYPES));
    const kinds = /enum tsrun_ns_kind \{([^}]*)\}/.exec(source('plan.h'))![1]!.split(',').map((k) => k.trim());
    expect(kinds.indexOf('NS_COUNT')).toBe(NAMESPACE_TYPES.length);
  });
});

describe('sync channel', () => {
  it('src/native/sync.ts and native/src/sync.h number the messages alike', () => {
    const body = /enum tsrun_sync_type \{([^}]*)\}/.exec(source('sync.h'))![1]!;
    const c = Object.fromEntries([...body.matchAll(/SYNC_(\w+)\s*=\s*(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(c).toEqual(SYNC);
  });

  it('src/native/sync.ts knows the text limit of native/src/sync.h', () => {
    const m = /#define TSRUN_SYNC_MAX \((\d+) \* (\d+)\)/.exec(source('sync.h'))!;
    expect(source('sync.h')).toContain('#define TSRUN_SYNC_TEXT_MAX (TSRUN_SYNC_MAX - 1)');
    expect(SYNC_TEXT_MAX).toBe(Number(m[1]) * Number(m[2]) - 1);
  });
});
