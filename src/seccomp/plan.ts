// linux.seccomp -> SeccompPlan: compile the filter in the parent, before the
// fork, so the init only has to call seccomp(2) (native/src/seccomp_load.h).
//
// Flags: runc's rules. `flags` absent = SPEC_ALLOW when the kernel has it;
// given (even []) = exactly those. TSYNC is accepted and not passed on: the
// init is single-threaded and the kernel refuses TSYNC with NEW_LISTENER.
// NEW_LISTENER is added when a rule uses SCMP_ACT_NOTIFY. A flag or action
// the kernel lacks is an error (runc fails the same way); WAIT_KILLABLE_RECV
// without any NOTIFY rule is dropped with a warning.
import type { Seccomp } from '../../oci-spec/runtime';
import type { Int64 } from '../../oci-spec/schema-kit';
import { ConfigError } from '../errors';
import { native, type CompiledSeccomp, type Native, type NativeSeccompProfile } from '../native';
import { SECCOMP_FILTER_FLAG } from '../native/linux-constants';
import type { SeccompPlan } from '../native/plan';
import { warning, type Finding } from '../validate/checks';
import { cacheKey, readCached, writeCached } from './cache';
import { toUint64 } from './values';

export interface SeccompPlanOptions {
  /** injectable for unit tests (seccompInfo is only needed with cacheDir) */
  native?: Pick<Native, 'compileSeccomp'> & Partial<Pick<Native, 'seccompInfo'>>;
  containerId?: string;
  /**
   * Keep compiled filters here (e.g. "<state root>/:seccomp-cache"): created
   * 0700, ignored unless owned by us and closed to others. Omit to always compile.
   */
  cacheDir?: string;
}

export interface SeccompPlanResult {
  /** undefined when the config has no seccomp */
  plan?: SeccompPlan;
  warnings: Finding[];
  /** syscall names libseccomp does not know; skipped like runc does */
  unknownSyscalls: string[];
  /** the filter came from the on-disk cache: it was compiled (and warned about) before */
  fromCache: boolean;
}

/**
 * Compile a validated linux.seccomp (seccompChecks passed) into the plan the
 * init loads. Throws ConfigError (with jsonPath) when libseccomp or the
 * kernel cannot do what the profile asks.
 */
export function buildSeccompPlan(seccomp: Seccomp | undefined, opts: SeccompPlanOptions = {}): SeccompPlanResult {
  if (!seccomp) return { warnings: [], unknownSyscalls: [], fromCache: false };
  const n = opts.native ?? native();
  const profile = toNativeProfile(seccomp);
  let compiled: CompiledSeccomp | undefined;
  const key = opts.cacheDir && n.seccompInfo ? cacheKey(profile, n.seccompInfo()) : undefined;
  if (key) compiled = readCached(opts.cacheDir!, key);
  const fromCache = compiled !== undefined;
  if (!compiled) {
    compiled = compile(n, profile, opts);
    if (key) writeCached(opts.cacheDir!, key, compiled);
  }
  const plan: SeccompPlan = { filter: compiled.filter, flags: compiled.flags };
  if (compiled.flags & SECCOMP_FILTER_FLAG.NEW_LISTENER) {
    plan.listenerPath = seccomp.listenerPath;
    if (seccomp.listenerMetadata) plan.listenerMetadata = seccomp.listenerMetadata;
  }
  return {
    plan,
    warnings: compiled.warnings.map((w) => warning(w.path, w.message)),
    unknownSyscalls: compiled.unknownSyscalls,
    fromCache,
  };
}

/**
 * The warning for profile names libseccomp cannot resolve here (too new for
 * it, or another architecture's): they are left out of the filter, so those
 * syscalls get the default action. runc skips them the same way (and only
 * logs them at debug level). tsrun warns when it compiles a profile, and
 * logs at debug level when the filter comes from the cache, so a profile
 * used for every container does not repeat the same warning each time.
 */
export function unknownSyscallsWarning(names: readonly string[]): string {
  return `linux.seccomp: syscalls unknown to libseccomp on this host, skipped (they get the default action): ${names.join(', ')}`;
}

function compile(
  n: Pick<Native, 'compileSeccomp'>,
  profile: NativeSeccompProfile,
  opts: SeccompPlanOptions,
): CompiledSeccomp {
  try {
    return n.compileSeccomp(profile);
  } catch (e) {
    const err = e as Error & { jsonPath?: string };
    if (typeof err?.jsonPath === 'string') {
      throw new ConfigError(`${err.jsonPath}: ${err.message}`, {
        jsonPath: err.jsonPath,
        containerId: opts.containerId,
        cause: e,
      });
    }
    throw new ConfigError(`linux.seccomp: cannot compile the filter: ${err?.message ?? String(e)}`, {
      jsonPath: 'linux.seccomp',
      containerId: opts.containerId,
      cause: e,
    });
  }
}

/** The addon's input: same arrays and order (JSON paths stay valid), exact bigint values. */
export function toNativeProfile(s: Seccomp): NativeSeccompProfile {
  const profile: NativeSeccompProfile = {
    defaultAction: s.defaultAction,
    architectures: s.architectures ?? [],
    syscalls: (s.syscalls ?? []).map((r, i) => ({
      names: r.names,
      action: r.action,
      ...(r.errnoRet === undefined ? {} : { errnoRet: r.errnoRet }),
      args: (r.args ?? []).map((a, k) => ({
        index: a.index,
        op: a.op,
        value: exact(a.value, `linux.seccomp.syscalls[${i}].args[${k}].value`),
        valueTwo: exact(a.valueTwo, `linux.seccomp.syscalls[${i}].args[${k}].valueTwo`),
      })),
    })),
  };
  if (s.defaultErrnoRet !== undefined) profile.defaultErrnoRet = s.defaultErrnoRet;
  if (s.flags !== undefined) profile.flags = s.flags;
  return profile;
}

function exact(v: Int64 | undefined, path: string): bigint {
  const r = toUint64(v);
  if (!r.ok) throw new ConfigError(`${path}: ${r.reason}`, { jsonPath: path });
  return r.value;
}
