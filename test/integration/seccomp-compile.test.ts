// The real addon's compiler (libseccomp + kernel probes): what it accepts,
// what it reports, what it refuses and with which JSON path. No filter is
// loaded here; seccomp-filter.test.ts runs them against the kernel.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { native } from '../../src/native';
import { defaultSeccompProfile } from '../../src/seccomp/default-profile';
import { seccompFeatureAnnotations, seccompFeatures } from '../../src/seccomp/features';
import { SECCOMP_FILTER_FLAG as F } from '../../src/native/linux-constants';
import { buildSeccompPlan } from '../../src/seccomp/plan';
import type { Seccomp as LinuxSeccomp, SeccompAction, SeccompArg, SeccompFlag, SyscallRule } from '../../oci-spec/runtime';

/** Syscalls newer than Debian 12's libseccomp 2.5.4 that the default profile names. */
const NEWER_THAN_LIBSECCOMP_2_5_4 = [
  'getxattrat',
  'setxattrat',
  'listxattrat',
  'removexattrat',
  'statmount',
  'listmount',
  'mseal',
  'uretprobe',
  'lsm_get_self_attr',
  'lsm_set_self_attr',
  'lsm_list_modules',
];

const allowAll = (extra: Partial<LinuxSeccomp> = {}): LinuxSeccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', ...extra });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function insn(filter: Buffer, i: number) {
  return { code: filter.readUInt16LE(i * 8), jt: filter[i * 8 + 2], jf: filter[i * 8 + 3], k: filter.readUInt32LE(i * 8 + 4) };
}

describe('default profile on this host', () => {
  it('compiles without warnings; only syscalls newer than libseccomp 2.5.4 are skipped', () => {
    const r = buildSeccompPlan(defaultSeccompProfile());
    expect(r.warnings).toEqual([]);
    expect([...r.unknownSyscalls].sort()).toEqual([...NEWER_THAN_LIBSECCOMP_2_5_4].sort());
    expect(r.plan!.filter.length % 8).toBe(0);
    expect(r.plan!.filter.length / 8).toBeLessThanOrEqual(4096);
    expect(r.plan!.flags).toBe(F.SPEC_ALLOW); // flags absent: runc's default
    expect(r.plan!.listenerPath).toBeUndefined();
  });

  it('compiles for every architecture the profile knows, skipping what cannot run here', () => {
    for (const arch of ['x64', 'arm64', 'arm', 'ia32', 'ppc64', 'riscv64', 'mips64el']) {
      expect(buildSeccompPlan(defaultSeccompProfile(arch)).warnings).toEqual([]);
    }
    expect(buildSeccompPlan(defaultSeccompProfile('s390x')).warnings).toEqual([
      expect.objectContaining({ path: 'linux.seccomp.architectures[0]', message: expect.stringMatching(/byte order/) }),
      expect.objectContaining({ path: 'linux.seccomp.architectures[1]', message: expect.stringMatching(/byte order/) }),
    ]);
  });
});

describe('flags', () => {
  const notify: Partial<LinuxSeccomp> = { listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
  it.each<[SeccompFlag[] | undefined, number]>([
    [undefined, F.SPEC_ALLOW],
    [[], 0],
    [['SECCOMP_FILTER_FLAG_TSYNC'], 0],
    [['SECCOMP_FILTER_FLAG_LOG'], F.LOG],
    [['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'], F.LOG | F.SPEC_ALLOW],
  ])('flags %j give seccomp(2) flags %i', (flags, expected) => {
    expect(buildSeccompPlan(allowAll({ flags })).plan!.flags).toBe(expected);
  });

  it('NOTIFY adds NEW_LISTENER and carries the listener path and metadata', () => {
    const r = buildSeccompPlan(allowAll({ ...notify, listenerMetadata: 'meta', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }));
    expect(r.plan!.flags).toBe(F.NEW_LISTENER | F.WAIT_KILLABLE_RECV);
    expect(r.plan!.listenerPath).toBe('/run/agent.sock');
    expect(r.plan!.listenerMetadata).toBe('meta');
  });

  it('WAIT_KILLABLE_RECV without a NOTIFY rule is dropped with a warning', () => {
    const r = buildSeccompPlan(allowAll({ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }));
    expect(r.plan!.flags).toBe(0);
    expect(r.warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'linux.seccomp.flags[0]',
        message: 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no rule uses SCMP_ACT_NOTIFY',
      }),
    ]);
  });

  it('a listenerPath without NOTIFY is not passed on', () => {
    expect(buildSeccompPlan(allowAll({ listenerPath: '/run/agent.sock' })).plan!.listenerPath).toBeUndefined();
  });
});

describe('ENOSYS stub', () => {
  const AUDIT_ARCH_X86_64 = 0xc000003e;
  const rules: SyscallRule[] = [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }];

  it('is prepended when the default action refuses with something else than ENOSYS', () => {
    const f = buildSeccompPlan({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: rules }).plan!.filter;
    expect(insn(f, 0)).toEqual({ code: 0x20, jt: 0, jf: 0, k: 4 }); // ld [arch]
    expect(insn(f, 1)).toMatchObject({ code: 0x15, k: AUDIT_ARCH_X86_64 }); // jeq x86_64
    expect(insn(f, 2)).toEqual({ code: 0x20, jt: 0, jf: 0, k: 0 }); // ld [nr]
    expect(insn(f, 3)).toMatchObject({ code: 0x45, k: 0x40000000 }); // jset x32 bit: native mode only
    expect(insn(f, 4)).toMatchObject({ code: 0x25, k: 231 }); // jgt __NR_exit_group
    expect(insn(f, 5)).toEqual({ code: 0x06, jt: 0, jf: 0, k: 0x00050026 }); // ret ERRNO(ENOSYS)
  });

  it.each<[SeccompAction, number | undefined]>([
    ['SCMP_ACT_ALLOW', undefined],
    ['SCMP_ACT_LOG', undefined],
    ['SCMP_ACT_ERRNO', 38],
  ])('is left out for default %s (errnoRet %s)', (defaultAction, defaultErrnoRet) => {
    const denyOne: SyscallRule[] = [{ names: ['mkdir'], action: defaultAction === 'SCMP_ACT_ERRNO' ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_ERRNO' }];
    const f = buildSeccompPlan({ defaultAction, defaultErrnoRet, syscalls: denyOne }).plan!.filter;
    // the stub's x86_64 section tests the x32 bit with jset at [3]; libseccomp's own
    // program has ld [arch], jeq arch, ld [nr], jge 0x40000000 there
    expect(insn(f, 3)).toMatchObject({ code: 0x35, k: 0x40000000 });
  });
});

describe('rules', () => {
  it('skips unknown syscall names like runc and reports them', () => {
    const r = buildSeccompPlan(allowAll({ syscalls: [{ names: ['mkdir', 'no_such_call'], action: 'SCMP_ACT_ERRNO' }] }));
    expect(r.unknownSyscalls).toEqual(['no_such_call']);
    expect(r.warnings).toEqual([]);
  });

  it('drops a rule whose action is the default one', () => {
    const base = buildSeccompPlan(allowAll()).plan!.filter;
    const same = buildSeccompPlan(allowAll({ syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ALLOW' }] })).plan!.filter;
    expect(same.equals(base)).toBe(true);
  });

  it('refuses two rules with the same arguments and different actions', () => {
    const args: SeccompArg[] = [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }];
    const e = configError(() =>
      buildSeccompPlan(
        allowAll({
          syscalls: [
            { names: ['kill'], action: 'SCMP_ACT_ERRNO', args },
            { names: ['kill'], action: 'SCMP_ACT_KILL', args },
          ],
        }),
      ),
    );
    expect(e.jsonPath).toBe('linux.seccomp.syscalls[1].names[0]');
    expect(e.message).toMatch(/conflicts with an earlier rule/);
  });

  it('refuses a filter larger than the kernel takes', () => {
    // distinct high and low words: about 4 instructions per value
    const syscalls = Array.from({ length: 1500 }, (_, i): SyscallRule => ({
      names: ['kill'],
      action: 'SCMP_ACT_ERRNO',
      args: [{ index: 1, value: (BigInt(i + 1) << 32n) | BigInt(i), op: 'SCMP_CMP_EQ' }],
    }));
    const e = configError(() => buildSeccompPlan(allowAll({ architectures: [], syscalls })));
    expect(e.message).toMatch(/the compiled filter has \d+ instructions; the kernel accepts at most 4096/);
    expect(e.jsonPath).toBe('linux.seccomp');
  });

  it('names the JSON path of what it cannot represent (even in a profile that bypassed the schema)', () => {
    // Names outside oci-spec's lists and out-of-range numbers are refused by
    // the schema first; the addon still refuses what it cannot turn into C.
    // The semantic rules (NOTIFY as default action or on write, errnoRet with
    // another action, empty names) have one home, src/seccomp/checks.ts
    // (test/unit/seccomp-checks.test.ts).
    const bypass = <T>(v: string): T => v as unknown as T;
    const cases: Array<[LinuxSeccomp, string, RegExp]> = [
      [{ defaultAction: bypass('SCMP_ACT_NOPE') }, 'linux.seccomp.defaultAction', /unknown seccomp action "SCMP_ACT_NOPE"/],
      [allowAll({ architectures: [bypass('SCMP_ARCH_Z80')] }), 'linux.seccomp.architectures[0]', /unknown seccomp architecture/],
      [allowAll({ flags: [bypass('SECCOMP_FILTER_FLAG_FOO')] }), 'linux.seccomp.flags[0]', /unknown seccomp flag/],
      [
        allowAll({ syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }] }),
        'linux.seccomp.syscalls[0].errnoRet',
        /does not fit in 16 bits/,
      ],
      [
        allowAll({ syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }),
        'linux.seccomp.syscalls[0].args[0].index',
        /0\.\.5/,
      ],
      [
        allowAll({ syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0, op: bypass('SCMP_CMP_XX') }] }] }),
        'linux.seccomp.syscalls[0].args[0].op',
        /unknown seccomp operator "SCMP_CMP_XX"/,
      ],
      [
        allowAll({ syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }] }),
        'linux.seccomp.syscalls[0].args[0].value',
        /above 2\^53/,
      ],
    ];
    for (const [profile, jsonPath, message] of cases) {
      const e = configError(() => buildSeccompPlan(profile));
      expect({ jsonPath: e.jsonPath, message: e.message }).toEqual({ jsonPath, message: expect.stringMatching(message) });
      expect(e.message.startsWith(`${jsonPath}: `)).toBe(true);
    }
  });
});

describe('features', () => {
  it('lists what this build and kernel support', () => {
    const f = seccompFeatures();
    expect(f.enabled).toBe(true);
    expect(f.actions).toEqual([...f.actions!].sort());
    expect(f.actions).toHaveLength(9);
    expect(f.operators).toHaveLength(7);
    expect(f.archs).toEqual(expect.arrayContaining(['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64']));
    expect(f.archs).not.toContain('SCMP_ARCH_LOONGARCH64'); // not in libseccomp 2.5.4
    expect(f.knownFlags).toHaveLength(4);
    // kernel 6.x has all four
    expect(f.supportedFlags).toEqual(f.knownFlags);
    expect(seccompFeatureAnnotations()).toEqual({
      'io.github.seccomp.libseccomp.version': native().seccompInfo().libseccompVersion,
    });
    expect(native().seccompInfo().libseccompVersion).toMatch(/^2\.\d+\.\d+$/);
  });
});
