// Seccomp profiles of several generations, as engines and people wrote them
// over the years, for the generator: what matters for a runtime is which
// newer syscalls a profile does not know (faccessat2, clone3, openat2,
// close_range, ...), what the default action is, and argument filters.
// The syscall lists start from tsrun's own default profile (the names a
// program uses today) and drop the syscalls newer than the generation.
import { defaultSeccompProfile } from '../../../src/seccomp/default-profile';
import type { Json } from './case';

/** Syscalls by the year profiles started to list them (roughly their kernel release). */
const NEWER_THAN_2017 = [
  'statx', 'rseq', 'io_pgetevents', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'pidfd_open',
  'pidfd_send_signal', 'pidfd_getfd', 'clone3', 'openat2', 'faccessat2', 'close_range', 'epoll_pwait2',
  'process_madvise', 'mount_setattr', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  'memfd_secret', 'process_mrelease', 'futex_waitv', 'set_mempolicy_home_node', 'cachestat', 'fchmodat2',
  'map_shadow_stack', 'futex_wake', 'futex_wait', 'futex_requeue', 'statmount', 'listmount', 'mseal',
  'getxattrat', 'setxattrat', 'listxattrat', 'removexattrat', 'uretprobe', 'copy_file_range', 'preadv2',
  'pwritev2', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
];
const NEWER_THAN_2020 = NEWER_THAN_2017.slice(NEWER_THAN_2017.indexOf('faccessat2'));

export type Generation = 'docker-2017' | 'docker-2020' | 'podman-2022' | 'allow-default';
export const GENERATIONS: readonly Generation[] = ['docker-2017', 'docker-2020', 'podman-2022', 'allow-default'];

/** Actions a rule may take on one of the probe's last syscalls (it reports each result as it goes). */
export const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_ERRNO'] as const;

interface Rule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
}

function modernAllowList(): string[] {
  const p = defaultSeccompProfile('x64') as unknown as { syscalls: Rule[] };
  return p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names);
}

export interface ProfileKnobs {
  generation: Generation;
  /** a few syscalls the probe calls, left out of the allow list (they get the default action) */
  drop: string[];
  /** SCMP_ACT_ERRNO rules for these (allow-default profiles deny them) */
  deny: string[];
  /** an argument-filtered personality (as Docker's) and clone (namespace flags refused) */
  argFilters: boolean;
  /** errno of the default action (undefined: EPERM, runc's default) */
  defaultErrnoRet?: number;
  flags: string[];
  architectures: boolean;
  /** a name no libseccomp knows */
  unknownName: boolean;
  /** clone3 answered with ENOSYS explicitly, as Docker 20.10 does */
  clone3Enosys: boolean;
  /** one more rule: this action for one of the probe's last syscalls */
  action?: { name: 'ptrace' | 'bpf' | 'io_uring_setup'; action: (typeof ACTIONS)[number]; errnoRet?: number };
}

export function seccompProfile(k: ProfileKnobs): Json {
  const all = modernAllowList();
  let allow: string[];
  switch (k.generation) {
    case 'docker-2017':
      allow = all.filter((n) => !NEWER_THAN_2017.includes(n));
      break;
    case 'docker-2020':
      allow = all.filter((n) => !NEWER_THAN_2020.includes(n));
      break;
    default:
      allow = all;
  }
  allow = allow.filter((n) => !k.drop.includes(n) && n !== 'personality' && n !== 'clone');
  const rules: Rule[] = [];
  const errnoDefault = k.generation !== 'allow-default';
  if (k.generation === 'allow-default') {
    rules.push({ names: k.deny.length ? k.deny : ['keyctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  } else {
    rules.push({ names: [...allow, ...(k.unknownName ? ['tsrun_diff_no_such_syscall'] : [])], action: 'SCMP_ACT_ALLOW' });
    if (k.argFilters) {
      for (const v of [0, 8, 0x20000, 0x20008, 0xffffffff]) {
        rules.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] });
      }
      rules.push({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    } else {
      rules.push({ names: ['personality', 'clone'], action: 'SCMP_ACT_ALLOW' });
    }
    if (k.clone3Enosys) rules.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    if (k.deny.length) rules.push({ names: k.deny, action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  }
  if (k.action) {
    const r: Rule = { names: [k.action.name], action: k.action.action };
    if (k.action.errnoRet !== undefined && (k.action.action === 'SCMP_ACT_ERRNO' || k.action.action === 'SCMP_ACT_TRACE')) r.errnoRet = k.action.errnoRet;
    rules.push(r);
  }
  const profile: Record<string, Json> = {
    defaultAction: k.generation === 'allow-default' ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_ERRNO',
  };
  if (errnoDefault && k.defaultErrnoRet !== undefined) profile.defaultErrnoRet = k.defaultErrnoRet;
  if (k.architectures) profile.architectures = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
  if (k.flags.length) profile.flags = k.flags;
  profile.syscalls = rules as unknown as Json;
  return profile;
}

/** Syscalls the probe makes that a profile may leave out (none of them is needed to start). */
export const PROBE_OPTIONAL_SYSCALLS = [
  'faccessat2', 'openat2', 'clone3', 'close_range', 'keyctl', 'socket', 'unshare', 'setns', 'getppid',
  'pidfd_open', 'io_uring_setup', 'bpf', 'ptrace', 'mount', 'sched_getscheduler', 'getpriority',
];
