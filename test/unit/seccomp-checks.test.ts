import { describe, expect, it } from 'vitest';
import { parseConfig, type Seccomp, type SpecIssue, type SyscallRule } from '../../oci-spec';
import { SpecValidationError } from '../../oci-spec/errors';
import { seccompChecks } from '../../src/seccomp/checks';
import { defaultSeccompProfile } from '../../src/seccomp/default-profile';
import { toUint64 } from '../../src/seccomp/values';
import { runChecks, type Finding } from '../../src/validate/checks';

function check(seccomp: Seccomp | undefined) {
  return runChecks(seccompChecks, { linux: { seccomp } }, {});
}

/**
 * What the schema (oci-spec, which runs before the checks) says about a
 * linux.seccomp: names, required fields and ranges are its to check.
 */
function schemaIssues(seccomp: unknown): SpecIssue[] {
  try {
    parseConfig({ ociVersion: '1.3.0', linux: { seccomp } });
    return [];
  } catch (e) {
    if (e instanceof SpecValidationError) return [...e.issues];
    throw e;
  }
}
const issue = (jsonPath: string, expected: string): SpecIssue => ({ jsonPath, expected });

const e = (path: string, message: string): Finding => ({ severity: 'error', path, message });
const w = (path: string, message: string): Finding => ({ severity: 'warning', path, message });

const ACTIONS =
  'SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, ' +
  'SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY';

describe('seccompChecks', () => {
  it('accepts no seccomp object and the default profile', () => {
    expect(check(undefined)).toEqual({ errors: [], warnings: [] });
    expect(check(null as unknown as undefined)).toEqual({ errors: [], warnings: [] }); // null reads as absent
    expect(runChecks(seccompChecks, {}, {})).toEqual({ errors: [], warnings: [] });
    for (const arch of ['x64', 'arm64', 's390x']) expect(check(defaultSeccompProfile(arch))).toEqual({ errors: [], warnings: [] });
  });

  it('leaves a missing default action to the schema (an empty seccomp object included)', () => {
    const missing = issue('linux.seccomp.defaultAction', `required field is missing (expected one of ${ACTIONS})`);
    expect(schemaIssues({})).toEqual([missing]);
    expect(schemaIssues({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] })).toEqual([missing]);
  });

  it('checks the default action and its errno', () => {
    expect(schemaIssues({ defaultAction: 'SCMP_ACT_DENY' })).toEqual([
      issue('linux.seccomp.defaultAction', `expected one of ${ACTIONS}, got "SCMP_ACT_DENY"`),
    ]);
    expect(check({ defaultAction: 'SCMP_ACT_NOTIFY' }).errors).toEqual([
      e('linux.seccomp.defaultAction', 'SCMP_ACT_NOTIFY cannot be the default action'),
    ]);
    expect(check({ defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 1 }).errors).toEqual([
      e('linux.seccomp.defaultErrnoRet', 'only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL'),
    ]);
    expect(check({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 65536 }).errors).toEqual([
      e('linux.seccomp.defaultErrnoRet', "65536 is not an errno number 0..65535 (it must fit the filter's 16 data bits)"),
    ]);
    expect(check({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5000 })).toEqual({
      errors: [],
      warnings: [w('linux.seccomp.defaultErrnoRet', 'errno 5000 is above 4095; the kernel returns 4095 instead')],
    });
    expect(check({ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 5000 })).toEqual({ errors: [], warnings: [] });
  });

  it('checks architectures and flags', () => {
    expect(
      schemaIssues({
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'x86_64'],
        flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_NEW_LISTENER', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      }),
    ).toEqual([
      issue('linux.seccomp.architectures[1]', expect.stringMatching(/^expected one of SCMP_ARCH_X86, .*, got "x86_64"$/)),
      issue(
        'linux.seccomp.flags[1]',
        'expected one of SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, ' +
          'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, got "SECCOMP_FILTER_FLAG_NEW_LISTENER"',
      ),
    ]);
    const r = check({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([w('linux.seccomp.flags[1]', 'ignored: no rule uses SCMP_ACT_NOTIFY')]);
  });

  describe('listener', () => {
    const notify: SyscallRule = { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' };
    it('requires an absolute listenerPath when a rule notifies', () => {
      expect(check({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_LOG' }, notify] }).errors).toEqual([
        e('linux.seccomp.listenerPath', 'required because syscalls[1] uses SCMP_ACT_NOTIFY'),
      ]);
      expect(check({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [notify], listenerPath: 'run/agent.sock' }).errors).toEqual([
        e('linux.seccomp.listenerPath', '"run/agent.sock" is not an absolute path'),
      ]);
      expect(check({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [notify], listenerPath: '/run/agent.sock', listenerMetadata: 'm' })).toEqual({
        errors: [],
        warnings: [],
      });
    });

    it('ignores a listenerPath without NOTIFY (spec) and refuses metadata without a path', () => {
      expect(check({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/a.sock' })).toEqual({
        errors: [],
        warnings: [w('linux.seccomp.listenerPath', 'ignored: no rule uses SCMP_ACT_NOTIFY')],
      });
      expect(check({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }).errors).toEqual([
        e('linux.seccomp.listenerMetadata', 'must not be set without listenerPath'),
      ]);
    });

    it('refuses NOTIFY on write, like runc', () => {
      expect(
        check({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/a', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }] })
          .errors,
      ).toEqual([
        e(
          'linux.seccomp.syscalls[0].names[1]',
          'SCMP_ACT_NOTIFY cannot be used for write: the runtime needs write to report errors (as in runc)',
        ),
      ]);
    });
  });

  it('checks each rule: names, action, errnoRet', () => {
    const r = check({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: [], action: 'SCMP_ACT_ALLOW' },
        { names: ['read', '', 'read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['close'], action: 'SCMP_ACT_LOG', errnoRet: 1 },
        { names: ['dup'], action: 'SCMP_ACT_ERRNO', errnoRet: 65536 },
      ],
    });
    expect(r.errors).toEqual([
      e('linux.seccomp.syscalls[0].names', 'must list at least one syscall'),
      e('linux.seccomp.syscalls[1].names[1]', 'empty syscall name'),
      e('linux.seccomp.syscalls[2].errnoRet', 'only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_LOG'),
      e('linux.seccomp.syscalls[3].errnoRet', "65536 is not an errno number 0..65535 (it must fit the filter's 16 data bits)"),
    ]);
    expect(r.warnings).toEqual([w('linux.seccomp.syscalls[1].names[2]', '"read" repeats names[0]')]);
    expect(
      schemaIssues({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          { names: ['open'], action: 'SCMP_ACT_PERMIT' },
          { names: ['dup'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 },
        ],
      }),
    ).toEqual([
      issue('linux.seccomp.syscalls[0].action', `expected one of ${ACTIONS}, got "SCMP_ACT_PERMIT"`),
      issue('linux.seccomp.syscalls[1].errnoRet', 'expected an integer from 0 to 4294967295 (uint32), got -1'),
    ]);
  });

  it('checks arguments: index, operator, 64-bit values, valueTwo', () => {
    const rule = (args: unknown[]) => ({
      defaultAction: 'SCMP_ACT_ALLOW' as const,
      syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO' as const, args: args as never }],
    });
    const p = 'linux.seccomp.syscalls[0].args';
    expect(check(rule([{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }])).errors).toEqual([
      e(`${p}[0].index`, '6 is out of range 0..5 (syscalls take at most 6 arguments)'),
    ]);
    expect(schemaIssues(rule([{ index: 0, value: 1, op: 'SCMP_CMP_EQUAL' }]))).toEqual([
      issue(
        `${p}[0].op`,
        'expected one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, ' +
          'SCMP_CMP_MASKED_EQ, got "SCMP_CMP_EQUAL"',
      ),
    ]);
    // a number past 2^53 was rounded before tsrun saw it (config.json itself is read exactly, as bigint)
    expect(toUint64(2 ** 63)).toEqual({
      ok: false,
      reason: '9223372036854776000 is above 2^53 and was rounded when config.json was parsed; the exact value is lost',
    });
    expect(schemaIssues(rule([{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }]))).toEqual([
      issue(`${p}[0].value`, 'expected an integer from 0 to 18446744073709551615 (uint64), got -1'),
    ]);
    expect(schemaIssues(rule([{ index: 0, value: 1n << 64n, op: 'SCMP_CMP_EQ' }]))).toEqual([
      issue(`${p}[0].value`, 'expected an integer from 0 to 18446744073709551615 (uint64), got 18446744073709551616'),
    ]);
    expect(schemaIssues(rule([{ index: 0, value: '0x10', op: 'SCMP_CMP_EQ' }]))).toEqual([
      issue(`${p}[0].value`, 'expected a number, got string'),
    ]);
    expect(schemaIssues(rule([{ index: 0, op: 'SCMP_CMP_EQ' }]))).toEqual([
      issue(`${p}[0].value`, 'required field is missing (expected a number)'),
    ]);
    // exact forms are fine
    const exact = rule([{ index: 0, value: (1n << 64n) - 1n, op: 'SCMP_CMP_EQ' }, { index: 1, value: 18446744073709551615n, op: 'SCMP_CMP_LE' }]);
    expect(schemaIssues(exact)).toEqual([]);
    expect(check(exact)).toEqual({ errors: [], warnings: [] });
  });

  it('warns where the compiled filter would not do what the profile reads like', () => {
    const r = check({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['kill'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 1, value: 10, op: 'SCMP_CMP_GE' },
            { index: 1, value: 20, op: 'SCMP_CMP_LE', valueTwo: 3 },
            { index: 0, value: 0xf0, valueTwo: 0x0f, op: 'SCMP_CMP_MASKED_EQ' },
          ],
        },
      ],
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      w(
        'linux.seccomp.syscalls[0].args[1].index',
        'args[0] also tests argument 1: as in runc each condition on the same argument becomes a rule of its own, ' +
          'so they match if ANY holds, not all',
      ),
      w('linux.seccomp.syscalls[0].args[1].valueTwo', 'ignored by SCMP_CMP_LE; only SCMP_CMP_MASKED_EQ uses valueTwo'),
      w(
        'linux.seccomp.syscalls[0].args[2].valueTwo',
        'never matches: (arg & 240) can never equal 15, which has bits outside the mask',
      ),
    ]);
  });

  it('reports rules libseccomp would silently drop or override', () => {
    const r = check({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
        { names: ['read', 'kill'], action: 'SCMP_ACT_ALLOW' },
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 },
        { names: ['read'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        // same action as the default: dropped, so it conflicts with nothing
        { names: ['read'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      w('linux.seccomp.syscalls[1].names[1]', 'applies SCMP_ACT_ALLOW to every call of "kill", overriding the argument rules of syscalls[0]'),
      w('linux.seccomp.syscalls[2].names[0]', '"read" is already in syscalls[1] with the same action'),
      w('linux.seccomp.syscalls[3].names[0]', 'no effect on "read": syscalls[1] already applies SCMP_ACT_ALLOW to every call of it'),
      w('linux.seccomp.syscalls[4].names[0]', 'no effect on "read": syscalls[1] already applies SCMP_ACT_ALLOW to every call of it'),
    ]);
  });
});
