// The names runtime-spec v1.3.0 defines for linux.seccomp, in spec order.

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;

export const SECCOMP_OPERATORS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;

export const SECCOMP_ARCHS = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
] as const;

/** TSYNC is not in the spec's list but runc accepts (and ignores) it. */
export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;

/** seccomp(2) filter flag bits (linux/seccomp.h). */
export const SECCOMP_FILTER_FLAG = {
  TSYNC: 1 << 0,
  LOG: 1 << 1,
  SPEC_ALLOW: 1 << 2,
  NEW_LISTENER: 1 << 3,
  TSYNC_ESRCH: 1 << 4,
  WAIT_KILLABLE_RECV: 1 << 5,
} as const;

/** Actions whose 16 data bits carry errnoRet. */
export const ACTIONS_WITH_ERRNO: readonly string[] = ['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'];

/** Highest errno the kernel returns for SCMP_ACT_ERRNO (larger data is capped). */
export const MAX_ERRNO = 4095;
