// Checks on linux.seccomp that the schema cannot express (runtime-spec
// config-linux.md "Seccomp", with runc's behaviour where the spec leaves
// room). The names of actions, operators, architectures and flags, the
// required fields and the value ranges are oci-spec's (its zod schema runs
// first); these run before anything is compiled or touched. Compile-time
// facts (libseccomp's syscall and arch tables, kernel support) are reported
// by plan.ts.
import type { Config, Seccomp, SeccompAction } from '../../oci-spec/runtime';
import { SECCOMP_ERRNO_ACTIONS } from '../../oci-spec/runtime-enums';
import { error, warning, type Check, type Finding } from '../validate/checks';

const ROOT = 'linux.seccomp';
const MAX_ARG_INDEX = 5;
/** Highest errno the kernel returns for SCMP_ACT_ERRNO (larger data is capped). */
const MAX_ERRNO = 4095;

/** The part of config.json the seccomp checks look at. */
type SeccompSpec = Pick<Config, 'linux'>;
type SeccompCheck = Check<SeccompSpec, unknown>;

/** Run `fn` only when the config has a seccomp object. */
function onSeccomp(fn: (s: Seccomp) => Finding[]): SeccompCheck {
  return (spec) => {
    const s = spec.linux?.seccomp;
    return s ? fn(s) : [];
  };
}

function usesNotify(s: Seccomp): number {
  return (s.syscalls ?? []).findIndex((r) => r.action === 'SCMP_ACT_NOTIFY');
}

function errnoRetFindings(path: string, action: SeccompAction, value: number | undefined): Finding[] {
  if (value === undefined) return [];
  if (value > 0xffff) {
    return [error(path, `${value} is not an errno number 0..65535 (it must fit the filter's 16 data bits)`)];
  }
  if (!SECCOMP_ERRNO_ACTIONS.includes(action)) {
    return [error(path, `only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`)];
  }
  if (action === 'SCMP_ACT_ERRNO' && value > MAX_ERRNO) {
    return [warning(path, `errno ${value} is above ${MAX_ERRNO}; the kernel returns ${MAX_ERRNO} instead`)];
  }
  return [];
}

const checkDefaultAction = onSeccomp((s) =>
  s.defaultAction === 'SCMP_ACT_NOTIFY'
    ? [error(`${ROOT}.defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action')]
    : [],
);

const checkDefaultErrnoRet = onSeccomp((s) =>
  errnoRetFindings(`${ROOT}.defaultErrnoRet`, s.defaultAction, s.defaultErrnoRet),
);

const checkFlags = onSeccomp((s) =>
  (s.flags ?? []).flatMap((f, i) =>
    f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && usesNotify(s) < 0
      ? [warning(`${ROOT}.flags[${i}]`, 'ignored: no rule uses SCMP_ACT_NOTIFY')]
      : [],
  ),
);

const checkListener = onSeccomp((s) => {
  const out: Finding[] = [];
  const notifyAt = usesNotify(s);
  const lp = s.listenerPath;
  if (notifyAt >= 0 && !lp) {
    out.push(error(`${ROOT}.listenerPath`, `required because syscalls[${notifyAt}] uses SCMP_ACT_NOTIFY`));
  }
  if (lp !== undefined && lp !== '') {
    if (!lp.startsWith('/')) out.push(error(`${ROOT}.listenerPath`, `"${lp}" is not an absolute path`));
    else if (notifyAt < 0) out.push(warning(`${ROOT}.listenerPath`, 'ignored: no rule uses SCMP_ACT_NOTIFY'));
  }
  if (s.listenerMetadata !== undefined && s.listenerMetadata !== '' && !lp) {
    out.push(error(`${ROOT}.listenerMetadata`, 'must not be set without listenerPath'));
  }
  return out;
});

const checkSyscallRules = onSeccomp((s) =>
  (s.syscalls ?? []).flatMap((r, i) => {
    const path = `${ROOT}.syscalls[${i}]`;
    const out: Finding[] = [];
    if (r.names.length === 0) out.push(error(`${path}.names`, 'must list at least one syscall'));
    r.names.forEach((n, j) => {
      if (n === '') out.push(error(`${path}.names[${j}]`, 'empty syscall name'));
      else {
        const first = r.names.indexOf(n);
        if (first < j) out.push(warning(`${path}.names[${j}]`, `"${n}" repeats names[${first}]`));
      }
      if (n === 'write' && r.action === 'SCMP_ACT_NOTIFY') {
        out.push(
          error(
            `${path}.names[${j}]`,
            'SCMP_ACT_NOTIFY cannot be used for write: the runtime needs write to report errors (as in runc)',
          ),
        );
      }
    });
    out.push(...errnoRetFindings(`${path}.errnoRet`, r.action, r.errnoRet));
    return out;
  }),
);

const checkSyscallArgs = onSeccomp((s) =>
  (s.syscalls ?? []).flatMap((r, i) => {
    const out: Finding[] = [];
    const seenIndex = new Map<number, number>();
    (r.args ?? []).forEach((a, k) => {
      const path = `${ROOT}.syscalls[${i}].args[${k}]`;
      if (a.index > MAX_ARG_INDEX) {
        out.push(error(`${path}.index`, `${a.index} is out of range 0..${MAX_ARG_INDEX} (syscalls take at most 6 arguments)`));
      } else if (seenIndex.has(a.index)) {
        out.push(
          warning(
            `${path}.index`,
            `args[${seenIndex.get(a.index)}] also tests argument ${a.index}: as in runc each condition on the same ` +
              'argument becomes a rule of its own, so they match if ANY holds, not all',
          ),
        );
      } else {
        seenIndex.set(a.index, k);
      }
      const value = BigInt(a.value);
      const valueTwo = BigInt(a.valueTwo ?? 0);
      if (a.op === 'SCMP_CMP_MASKED_EQ') {
        if ((valueTwo & ~value) !== 0n) {
          out.push(
            warning(
              `${path}.valueTwo`,
              `never matches: (arg & ${value}) can never equal ${valueTwo}, which has bits outside the mask`,
            ),
          );
        }
      } else if (valueTwo !== 0n) {
        out.push(warning(`${path}.valueTwo`, `ignored by ${a.op}; only SCMP_CMP_MASKED_EQ uses valueTwo`));
      }
    });
    return out;
  }),
);

/** The action a rule really applies, errno included ("SCMP_ACT_ERRNO(1)"). */
function effectiveAction(action: SeccompAction, errnoRet: number | undefined): string {
  if (action === 'SCMP_ACT_KILL') return 'SCMP_ACT_KILL_THREAD';
  if (SECCOMP_ERRNO_ACTIONS.includes(action)) return `${action}(${errnoRet ?? 1})`;
  return action;
}

/**
 * libseccomp keeps the first unconditional rule for a syscall and silently
 * drops everything else for it (later unconditional rules and all rules with
 * conditions), whatever the order they come in. Say so instead of silently
 * compiling something else than what the profile reads like.
 */
const checkRuleOverlaps = onSeccomp((s) => {
  const out: Finding[] = [];
  const def = effectiveAction(s.defaultAction, s.defaultErrnoRet);
  const unconditional = new Map<string, { at: number; action: string }>();
  const conditional = new Map<string, number>();
  (s.syscalls ?? []).forEach((r, i) => {
    const action = effectiveAction(r.action, r.errnoRet);
    if (action === def) return; // dropped at compile time: no effect either way
    const hasArgs = (r.args ?? []).length > 0;
    r.names.forEach((n, j) => {
      if (!n || r.names.indexOf(n) < j) return;
      const path = `${ROOT}.syscalls[${i}].names[${j}]`;
      const first = unconditional.get(n);
      if (first) {
        if (!hasArgs && first.action === action) {
          out.push(warning(path, `"${n}" is already in syscalls[${first.at}] with the same action`));
        } else {
          out.push(
            warning(
              path,
              `no effect on "${n}": syscalls[${first.at}] already applies ${first.action} to every call of it`,
            ),
          );
        }
        return;
      }
      if (hasArgs) {
        if (!conditional.has(n)) conditional.set(n, i);
        return;
      }
      unconditional.set(n, { at: i, action });
      const cond = conditional.get(n);
      if (cond !== undefined) {
        out.push(
          warning(path, `applies ${action} to every call of "${n}", overriding the argument rules of syscalls[${cond}]`),
        );
      }
    });
  });
  return out;
});

/** All seccomp checks, in order. */
export const seccompChecks: readonly SeccompCheck[] = [
  checkDefaultAction,
  checkDefaultErrnoRet,
  checkFlags,
  checkListener,
  checkSyscallRules,
  checkSyscallArgs,
  checkRuleOverlaps,
];
