// The OCI `linux.seccomp` object as tsrun's seccomp code reads it. Structural
// on purpose: the zod-parsed config (oci-spec/) is assignable to it.
//
// 64-bit argument values: JSON.parse turns numbers above 2^53 into rounded
// doubles, so a `value` of type number is only trusted when it is a safe
// integer (checks.ts rejects the rest). A parser that keeps exact digits may
// hand over a bigint or a decimal string instead; both are accepted.
export type SeccompValue = number | bigint | string;

export interface SeccompArg {
  index: number;
  value: SeccompValue;
  valueTwo?: SeccompValue;
  op: string;
}

export interface SeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
}

export interface LinuxSeccomp {
  defaultAction?: string;
  defaultErrnoRet?: number;
  architectures?: string[] | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompSyscall[] | null;
}

/** The part of config.json the seccomp checks look at. */
export interface SeccompSpec {
  linux?: { seccomp?: LinuxSeccomp | null } | null;
}
