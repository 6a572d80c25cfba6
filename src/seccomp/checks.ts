// Pure checks on linux.seccomp (runtime-spec config-linux.md "Seccomp", with
// runc's behaviour where the spec leaves room). They run before anything is
// compiled or touched; compile-time facts (libseccomp's syscall and arch
// tables, kernel support) are reported by plan.ts.
import { error, warning, type Check, type Finding } from '../container/checks';
import {
  ACTIONS_WITH_ERRNO,
  MAX_ERRNO,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHS,
  SECCOMP_FLAGS,
  SECCOMP_OPERATORS,
} from './names';
import type { LinuxSeccomp, SeccompSpec, SeccompSyscall } from './types';
import { toUint64 } from './values';

const ROOT = 'linux.seccomp';
const MAX_ARG_INDEX = 5;

type SeccompCheck = Check<SeccompSpec, unknown>;

/** Run `fn` only when the config has a seccomp object that is not disabled. */
function onSeccomp(fn: (s: LinuxSeccomp) => Finding[]): SeccompCheck {
  return (spec) => {
    const s = spec.linux?.seccomp;
    if (!s || isDisabled(s)) return [];
    return fn(s);
  };
}

/** runc: no defaultAction and no syscalls means seccomp is off. */
export function isDisabled(s: LinuxSeccomp): boolean {
  return !s.defaultAction && (s.syscalls ?? []).length === 0;
}

function oneOf(list: readonly string[]): string {
  return `expected one of ${list.join(', ')}`;
}

function rules(s: LinuxSeccomp): SeccompSyscall[] {
  return s.syscalls ?? [];
}

function usesNotify(s: LinuxSeccomp): number {
  return rules(s).findIndex((r) => r.action === 'SCMP_ACT_NOTIFY');
}

function errnoRetFindings(path: string, action: string | undefined, value: number | undefined): Finding[] {
  if (value === undefined || value === null) return [];
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    return [error(path, `${value} is not an errno number 0..65535 (it must fit the filter's 16 data bits)`)];
  }
  if (action === undefined || !(SECCOMP_ACTIONS as readonly string[]).includes(action)) return [];
  if (!ACTIONS_WITH_ERRNO.includes(action)) {
    return [error(path, `only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`)];
  }
  if (action === 'SCMP_ACT_ERRNO' && value > MAX_ERRNO) {
    return [warning(path, `errno ${value} is above ${MAX_ERRNO}; the kernel returns ${MAX_ERRNO} instead`)];
  }
  return [];
}

export const checkDisabled: SeccompCheck = (spec) => {
  const s = spec.linux?.seccomp;
  if (s && isDisabled(s)) {
    return [warning(ROOT, 'has neither defaultAction nor syscalls, so no filter is installed (as in runc)')];
  }
  return [];
};

export const checkDefaultAction = onSeccomp((s) => {
  const path = `${ROOT}.defaultAction`;
  if (!s.defaultAction) return [error(path, 'missing; it is required when syscalls are listed')];
  if (!(SECCOMP_ACTIONS as readonly string[]).includes(s.defaultAction)) {
    return [error(path, `unknown action "${s.defaultAction}" (${oneOf(SECCOMP_ACTIONS)})`)];
  }
  if (s.defaultAction === 'SCMP_ACT_NOTIFY') return [error(path, 'SCMP_ACT_NOTIFY cannot be the default action')];
  return [];
});

export const checkDefaultErrnoRet = onSeccomp((s) =>
  errnoRetFindings(`${ROOT}.defaultErrnoRet`, s.defaultAction, s.defaultErrnoRet),
);

export const checkArchitectures = onSeccomp((s) =>
  (s.architectures ?? []).flatMap((a, i) =>
    (SECCOMP_ARCHS as readonly string[]).includes(a)
      ? []
      : [error(`${ROOT}.architectures[${i}]`, `unknown architecture "${a}" (${oneOf(SECCOMP_ARCHS)})`)],
  ),
);

export const checkFlags = onSeccomp((s) =>
  (s.flags ?? []).flatMap((f, i) => {
    const path = `${ROOT}.flags[${i}]`;
    if (!(SECCOMP_FLAGS as readonly string[]).includes(f)) {
      return [error(path, `unknown flag "${f}" (${oneOf(SECCOMP_FLAGS)})`)];
    }
    if (f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && usesNotify(s) < 0) {
      return [warning(path, 'ignored: no rule uses SCMP_ACT_NOTIFY')];
    }
    return [];
  }),
);

export const checkListener = onSeccomp((s) => {
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

export const checkSyscallRules = onSeccomp((s) =>
  rules(s).flatMap((r, i) => {
    const path = `${ROOT}.syscalls[${i}]`;
    const out: Finding[] = [];
    const names = r.names ?? [];
    if (names.length === 0) out.push(error(`${path}.names`, 'must list at least one syscall'));
    names.forEach((n, j) => {
      if (typeof n !== 'string' || n === '') out.push(error(`${path}.names[${j}]`, 'empty syscall name'));
      else {
        const first = names.indexOf(n);
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
    if (!r.action) out.push(error(`${path}.action`, 'missing'));
    else if (!(SECCOMP_ACTIONS as readonly string[]).includes(r.action)) {
      out.push(error(`${path}.action`, `unknown action "${r.action}" (${oneOf(SECCOMP_ACTIONS)})`));
    }
    out.push(...errnoRetFindings(`${path}.errnoRet`, r.action, r.errnoRet));
    return out;
  }),
);

export const checkSyscallArgs = onSeccomp((s) =>
  rules(s).flatMap((r, i) => {
    const out: Finding[] = [];
    const seenIndex = new Map<number, number>();
    (r.args ?? []).forEach((a, k) => {
      const path = `${ROOT}.syscalls[${i}].args[${k}]`;
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > MAX_ARG_INDEX) {
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
      const opKnown = (SECCOMP_OPERATORS as readonly string[]).includes(a.op);
      if (!opKnown) out.push(error(`${path}.op`, `unknown operator "${a.op}" (${oneOf(SECCOMP_OPERATORS)})`));
      const value = toUint64(a.value);
      const valueTwo = toUint64(a.valueTwo);
      if (a.value === undefined || a.value === null) out.push(error(`${path}.value`, 'missing'));
      else if (!value.ok) out.push(error(`${path}.value`, value.reason));
      if (!valueTwo.ok) out.push(error(`${path}.valueTwo`, valueTwo.reason));
      if (!opKnown || !value.ok || !valueTwo.ok) return;
      if (a.op === 'SCMP_CMP_MASKED_EQ') {
        if ((valueTwo.value & ~value.value) !== 0n) {
          out.push(
            warning(
              `${path}.valueTwo`,
              `never matches: (arg & ${value.value}) can never equal ${valueTwo.value}, which has bits outside the mask`,
            ),
          );
        }
      } else if (valueTwo.value !== 0n) {
        out.push(warning(`${path}.valueTwo`, `ignored by ${a.op}; only SCMP_CMP_MASKED_EQ uses valueTwo`));
      }
    });
    return out;
  }),
);

/** The action a rule really applies, errno included ("SCMP_ACT_ERRNO(1)"). */
function effectiveAction(action: string | undefined, errnoRet: number | undefined): string {
  if (action === 'SCMP_ACT_KILL') action = 'SCMP_ACT_KILL_THREAD';
  if (action && ACTIONS_WITH_ERRNO.includes(action)) return `${action}(${errnoRet ?? 1})`;
  return action ?? '';
}

/**
 * libseccomp keeps the first unconditional rule for a syscall and silently
 * drops everything else for it (later unconditional rules and all rules with
 * conditions), whatever the order they come in. Say so instead of silently
 * compiling something else than what the profile reads like.
 */
export const checkRuleOverlaps = onSeccomp((s) => {
  const out: Finding[] = [];
  const def = effectiveAction(s.defaultAction, s.defaultErrnoRet);
  const unconditional = new Map<string, { at: number; action: string }>();
  const conditional = new Map<string, number>();
  rules(s).forEach((r, i) => {
    const action = effectiveAction(r.action, r.errnoRet);
    if (action === def) return; // dropped at compile time: no effect either way
    const hasArgs = (r.args ?? []).length > 0;
    (r.names ?? []).forEach((n, j) => {
      if (!n || (r.names ?? []).indexOf(n) < j) return;
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
  checkDisabled,
  checkDefaultAction,
  checkDefaultErrnoRet,
  checkArchitectures,
  checkFlags,
  checkListener,
  checkSyscallRules,
  checkSyscallArgs,
  checkRuleOverlaps,
];
