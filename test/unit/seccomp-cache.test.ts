import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Seccomp } from '../../oci-spec/runtime';
import type { CompiledSeccomp, NativeSeccompProfile, SeccompInfo } from '../../src/native';
import { buildSeccompPlan } from '../../src/seccomp/plan';

const info: SeccompInfo = {
  libseccompVersion: '2.5.4',
  compilerRevision: 1,
  apiLevel: 6,
  nativeArch: 'SCMP_ARCH_X86_64',
  archs: [],
  actions: {},
  flags: {},
};

function counting(infoOverride: Partial<SeccompInfo> = {}) {
  const n = {
    compiles: 0,
    seccompInfo: () => ({ ...info, ...infoOverride }),
    compileSeccomp(p: NativeSeccompProfile): CompiledSeccomp {
      n.compiles++;
      return {
        filter: Buffer.alloc(16, n.compiles),
        flags: 4,
        warnings: [{ path: 'linux.seccomp.architectures[0]', message: 'skipped' }],
        unknownSyscalls: p.syscalls.flatMap((r) => r.names).filter((x) => x.startsWith('new_')),
      };
    },
  };
  return n;
}

const profile: Seccomp = {
  defaultAction: 'SCMP_ACT_ERRNO',
  syscalls: [{ names: ['read', 'new_call'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2n ** 60n, op: 'SCMP_CMP_EQ' }] }],
};

let dir: string;
beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-seccomp-cache-')), 'cache');
});
afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

describe('compiled filter cache', () => {
  it('compiles once, then serves the same plan, warnings and unknown syscalls from disk', () => {
    const n = counting();
    const first = buildSeccompPlan(profile, { native: n, cacheDir: dir });
    const second = buildSeccompPlan(profile, { native: n, cacheDir: dir });
    expect(n.compiles).toBe(1);
    expect(second).toEqual({ ...first, fromCache: true });
    expect(first.fromCache).toBe(false);
    expect(second.unknownSyscalls).toEqual(['new_call']);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(fs.statSync(path.join(dir, files[0])).mode & 0o777).toBe(0o600);
  });

  it('keys on the profile, the libseccomp version, the compiler revision and the kernel support', () => {
    const n = counting();
    buildSeccompPlan(profile, { native: n, cacheDir: dir });
    buildSeccompPlan({ ...profile, defaultErrnoRet: 38 }, { native: n, cacheDir: dir });
    expect(n.compiles).toBe(2);
    for (const change of [{ libseccompVersion: '2.6.0' }, { compilerRevision: 2 }, { flags: { SECCOMP_FILTER_FLAG_LOG: true } }]) {
      const m = counting(change);
      buildSeccompPlan(profile, { native: m, cacheDir: dir });
      expect(m.compiles).toBe(1);
    }
  });

  it('recompiles over a damaged entry', () => {
    const n = counting();
    buildSeccompPlan(profile, { native: n, cacheDir: dir });
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    for (const bad of ['{', JSON.stringify({ filter: 'AAAA', flags: 0, warnings: [], unknownSyscalls: [] })]) {
      fs.writeFileSync(file, bad);
      const r = buildSeccompPlan(profile, { native: n, cacheDir: dir });
      expect(r.plan!.filter.length).toBe(16);
    }
    expect(n.compiles).toBe(3);
    expect(buildSeccompPlan(profile, { native: n, cacheDir: dir }).plan!.filter.length).toBe(16);
    expect(n.compiles).toBe(3);
  });

  it('uses an entry only when its stored key matches exactly (a name collision recompiles)', () => {
    const n = counting();
    buildSeccompPlan(profile, { native: n, cacheDir: dir });
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(typeof entry.key).toBe('string');
    fs.writeFileSync(file, JSON.stringify({ ...entry, key: `${entry.key} ` }), { mode: 0o600 });
    buildSeccompPlan(profile, { native: n, cacheDir: dir });
    expect(n.compiles).toBe(2);
    buildSeccompPlan(profile, { native: n, cacheDir: dir });
    expect(n.compiles).toBe(2);
  });

  it('ignores a directory others can write to', () => {
    const n = counting();
    buildSeccompPlan(profile, { native: n, cacheDir: dir });
    fs.chmodSync(dir, 0o777);
    buildSeccompPlan(profile, { native: n, cacheDir: dir });
    expect(n.compiles).toBe(2);
  });

  it('is off without cacheDir', () => {
    const n = counting();
    buildSeccompPlan(profile, { native: n });
    buildSeccompPlan(profile, { native: n });
    expect(n.compiles).toBe(2);
  });
});
