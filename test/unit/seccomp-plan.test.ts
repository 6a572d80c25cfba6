import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Int64, Seccomp } from '../../oci-spec/runtime';
import { ConfigError } from '../../src/errors';
import type { CompiledSeccomp, NativeSeccompProfile, SeccompInfo } from '../../src/native';
import { SECCOMP_FILTER_FLAG as F } from '../../src/native/linux-constants';
import { buildSeccompPlan, toNativeProfile, unknownSyscallsWarning } from '../../src/seccomp/plan';

/** A stand-in for the addon that records what it was given. */
function fakeNative(result: Partial<CompiledSeccomp> | Error = {}) {
  const calls: NativeSeccompProfile[] = [];
  return {
    calls,
    native: {
      compileSeccomp(p: NativeSeccompProfile): CompiledSeccomp {
        calls.push(p);
        if (result instanceof Error) throw result;
        return { filter: Buffer.alloc(8), flags: 0, warnings: [], unknownSyscalls: [], ...result };
      },
    },
  };
}

describe('toNativeProfile', () => {
  it('keeps arrays and order, turns values into exact bigints, omits what is unset', () => {
    expect(
      toNativeProfile({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          {
            names: ['kill'],
            action: 'SCMP_ACT_ERRNO',
            errnoRet: 3,
            args: [
              { index: 1, value: 9, op: 'SCMP_CMP_EQ' },
              // a decimal string, as parsers that keep exact digits as text hand over
              { index: 0, value: '18446744073709551615' as unknown as Int64, valueTwo: 5n, op: 'SCMP_CMP_MASKED_EQ' },
            ],
          },
          { names: ['read'], action: 'SCMP_ACT_ALLOW', args: null as unknown as undefined }, // null reads as absent
        ],
      }),
    ).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: [],
      syscalls: [
        {
          names: ['kill'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 3,
          args: [
            { index: 1, value: 9n, valueTwo: 0n, op: 'SCMP_CMP_EQ' },
            { index: 0, value: (1n << 64n) - 1n, valueTwo: 5n, op: 'SCMP_CMP_MASKED_EQ' },
          ],
        },
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [] },
      ],
    });
  });

  it('passes flags through only when given (absent means runc default)', () => {
    expect(toNativeProfile({ defaultAction: 'SCMP_ACT_ALLOW' })).not.toHaveProperty('flags');
    expect(toNativeProfile({ defaultAction: 'SCMP_ACT_ALLOW', flags: [] }).flags).toEqual([]);
    expect(toNativeProfile({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }).defaultErrnoRet).toBe(38);
  });

  it('refuses a value that lost precision, naming it', () => {
    expect(() =>
      toNativeProfile({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }],
      }),
    ).toThrow(
      expect.objectContaining({ name: 'ConfigError', jsonPath: 'linux.seccomp.syscalls[0].args[0].value' }),
    );
  });
});

describe('buildSeccompPlan', () => {
  it('returns no plan when there is nothing to install', () => {
    const f = fakeNative();
    // (runc's "empty" seccomp object, {}, never gets here: the schema requires defaultAction)
    expect(buildSeccompPlan(undefined, f)).toEqual({ warnings: [], unknownSyscalls: [], fromCache: false });
    expect(f.calls).toHaveLength(0);
  });

  it('builds the plan from the compiled filter; the listener only goes with NEW_LISTENER', () => {
    const filter = Buffer.alloc(16, 1);
    const seccomp: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/a.sock', listenerMetadata: 'm' };
    const withListener = buildSeccompPlan(seccomp, fakeNative({ filter, flags: F.NEW_LISTENER | F.SPEC_ALLOW }));
    expect(withListener.plan).toEqual({
      filter,
      flags: F.NEW_LISTENER | F.SPEC_ALLOW,
      listenerPath: '/run/a.sock',
      listenerMetadata: 'm',
    });
    expect(buildSeccompPlan(seccomp, fakeNative({ filter, flags: F.SPEC_ALLOW })).plan).toEqual({ filter, flags: F.SPEC_ALLOW });
  });

  it('turns compiler warnings into findings and passes unknown syscalls on', () => {
    const r = buildSeccompPlan(
      { defaultAction: 'SCMP_ACT_ALLOW' },
      fakeNative({ warnings: [{ path: 'linux.seccomp.architectures[0]', message: 'skipped' }], unknownSyscalls: ['foo'] }),
    );
    expect(r.warnings).toEqual([{ severity: 'warning', path: 'linux.seccomp.architectures[0]', message: 'skipped' }]);
    expect(r.unknownSyscalls).toEqual(['foo']);
  });

  it('wraps compiler errors in a ConfigError with the JSON path and container id', () => {
    const err = Object.assign(new Error('seccomp action SCMP_ACT_NOTIFY is not supported by this kernel'), {
      jsonPath: 'linux.seccomp.syscalls[2].action',
    });
    try {
      buildSeccompPlan({ defaultAction: 'SCMP_ACT_ALLOW' }, { ...fakeNative(err), containerId: 'c1' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).toMatchObject({
        jsonPath: 'linux.seccomp.syscalls[2].action',
        containerId: 'c1',
        message: 'linux.seccomp.syscalls[2].action: seccomp action SCMP_ACT_NOTIFY is not supported by this kernel',
        cause: err,
      });
    }
  });

  it('wraps other addon failures at linux.seccomp', () => {
    expect(() => buildSeccompPlan({ defaultAction: 'SCMP_ACT_ALLOW' }, fakeNative(new TypeError('boom')))).toThrow(
      expect.objectContaining({ jsonPath: 'linux.seccomp', message: 'linux.seccomp: cannot compile the filter: boom' }),
    );
  });
});

describe('unknown syscall names and the cache', () => {
  const info = (): SeccompInfo => ({
    libseccompVersion: '2.5.4',
    compilerRevision: 1,
    apiLevel: 6,
    nativeArch: 'SCMP_ARCH_X86_64',
    archs: ['SCMP_ARCH_X86_64'],
    actions: {},
    flags: {},
  });

  it('reports them, and says whether the filter came from the cache (warn once, then debug)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-seccomp-plan-'));
    try {
      const f = fakeNative({ unknownSyscalls: ['mseal', 'statmount'] });
      const n = { ...f.native, seccompInfo: info };
      const opts = { native: n, cacheDir: path.join(dir, 'cache') };
      const first = buildSeccompPlan({ defaultAction: 'SCMP_ACT_ALLOW' }, opts);
      expect(first).toMatchObject({ unknownSyscalls: ['mseal', 'statmount'], fromCache: false });
      const second = buildSeccompPlan({ defaultAction: 'SCMP_ACT_ALLOW' }, opts);
      expect(second).toMatchObject({ unknownSyscalls: ['mseal', 'statmount'], fromCache: true });
      expect(f.calls).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names them in the warning text', () => {
    expect(unknownSyscallsWarning(['mseal', 'statmount'])).toBe(
      'linux.seccomp: syscalls unknown to libseccomp on this host, skipped (they get the default action): mseal, statmount',
    );
  });
});
