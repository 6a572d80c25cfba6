// The seccomp profile `tsrun spec` writes into config.json.
//
// What it allows: the syscalls ordinary programs use (files, memory,
// processes and threads, signals, time, sockets, IPC, polling, async I/O,
// landlock), ptrace and process_vm_* (safe with seccomp since Linux 4.8),
// the native architecture's own extras, personality() only for the values
// libc and `linux32` use, clone() only without namespace flags, socket() for
// every family except AF_ALG (kernel crypto API, a frequent source of kernel
// bugs) and AF_VSOCK (reaches the hypervisor).
//
// What it denies, with EPERM: everything that needs a capability the default
// spec does not grant (only CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE,
// as runc's spec): mounting and pivot_root, namespaces (unshare, setns,
// clone with CLONE_NEW*), kernel modules and kexec, bpf and perf, the kernel
// keyring (add_key/keyctl/request_key: keys are not namespaced), reboot,
// swap, clock setting, quotas, syslog, raw I/O ports, NUMA policy, accounting,
// open_by_handle_at (the "shocker" escape), userfaultfd (exploit helper), and
// obsolete calls. The effect matches Docker's and podman's defaults resolved
// for those capabilities.
//
// Errors: unlisted syscalls get ENOSYS (defaultErrnoRet 38, as podman), so a
// newer syscall looks "not implemented" and libc falls back to an older one
// (clone3 -> clone is listed explicitly for that reason). Known-dangerous
// ones are listed and get EPERM, like Docker returns for them. Socket
// families that are blocked get EAFNOSUPPORT, what a kernel without them
// says.
//
// io_uring is left out (ENOSYS), as Docker and podman do: it bypasses
// seccomp for the operations it performs. Names newer than the host's
// libseccomp are skipped when compiling (compileSeccomp reports them in
// unknownSyscalls) and then hit the ENOSYS default.
import type { Seccomp, SeccompArch, SyscallRule } from '../../oci-spec/runtime';

const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

/** Everything a program may do without privileges. */
const ALLOWED: readonly string[] = [
  // files: open, read, write, metadata
  ...['open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'read', 'readv', 'pread64', 'preadv', 'preadv2'],
  ...['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'lseek', '_llseek', 'dup', 'dup2', 'dup3'],
  ...['fcntl', 'fcntl64', 'ioctl', 'flock', 'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range'],
  ...['fadvise64', 'fadvise64_64', 'fallocate', 'readahead', 'truncate', 'truncate64', 'ftruncate', 'ftruncate64'],
  ...['copy_file_range', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'cachestat', 'pipe', 'pipe2'],
  ...['stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx'],
  ...['statfs', 'statfs64', 'fstatfs', 'fstatfs64', 'access', 'faccessat', 'faccessat2'],
  ...['chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'chown32', 'fchown', 'fchown32', 'fchownat'],
  ...['lchown', 'lchown32', 'umask', 'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat'],
  ...['getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat', 'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat'],
  ...['listxattr', 'llistxattr', 'flistxattr', 'listxattrat'],
  ...['removexattr', 'lremovexattr', 'fremovexattr', 'removexattrat'],
  // directory tree
  ...['getcwd', 'chdir', 'fchdir', 'getdents', 'getdents64', 'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat'],
  ...['link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2'],
  ...['readlink', 'readlinkat', 'name_to_handle_at', 'statmount', 'listmount'],
  // file change notification (fanotify_init itself needs CAP_SYS_ADMIN)
  ...['inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark'],
  // memory
  ...['brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'remap_file_pages'],
  ...['mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'membarrier', 'memfd_create', 'memfd_secret'],
  ...['pkey_alloc', 'pkey_free', 'pkey_mprotect', 'mseal', 'map_shadow_stack'],
  // processes and threads (clone is allowed below, without namespace flags)
  ...['fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid'],
  ...['set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'get_thread_area', 'set_thread_area'],
  ...['futex', 'futex_time64', 'futex_waitv', 'futex_wait', 'futex_wake', 'futex_requeue'],
  ...['getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid', 'prctl'],
  ...['getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'getcpu', 'capget', 'capset'],
  ...['sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr'],
  ...['sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler'],
  ...['sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'sched_rr_get_interval_time64'],
  ...['getrlimit', 'ugetrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'times', 'sysinfo', 'uname'],
  ...['pidfd_open', 'pidfd_send_signal', 'process_mrelease', 'seccomp', 'restart_syscall', 'uretprobe'],
  ...['getrandom'],
  ...['landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self'],
  // debugging: ptrace can no longer bypass seccomp (Linux >= 4.8)
  ...['ptrace', 'process_vm_readv', 'process_vm_writev'],
  // credentials (the kernel checks CAP_SETUID/CAP_SETGID)
  ...['getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32'],
  ...['getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32'],
  ...['setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32'],
  ...['setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'setgroups', 'setgroups32'],
  ...['setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32'],
  // signals
  ...['kill', 'tkill', 'tgkill', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending'],
  ...['rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo'],
  ...['sigaltstack', 'sigprocmask', 'sigreturn', 'signalfd', 'signalfd4', 'pause'],
  // time and timers (setting the clock needs CAP_SYS_TIME: denied below)
  ...['time', 'gettimeofday', 'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64'],
  ...['clock_nanosleep', 'clock_nanosleep_time64', 'nanosleep', 'adjtimex', 'clock_adjtime', 'clock_adjtime64'],
  ...['alarm', 'getitimer', 'setitimer', 'timer_create', 'timer_delete', 'timer_getoverrun'],
  ...['timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64'],
  ...['timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64'],
  // waiting for events
  ...['poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6', 'pselect6_time64'],
  ...['epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old'],
  ...['epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2'],
  // sockets (socket() itself is filtered by family below; socketcall, the
  // 32-bit x86 multiplexer, cannot be filtered by argument and stays open)
  ...['socketpair', 'socketcall', 'bind', 'listen', 'accept', 'accept4', 'connect', 'shutdown'],
  ...['getsockname', 'getpeername', 'getsockopt', 'setsockopt', 'send', 'sendto', 'sendmsg', 'sendmmsg'],
  ...['recv', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvmmsg_time64'],
  // System V and POSIX IPC (namespaced)
  ...['ipc', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64'],
  ...['semctl', 'shmget', 'shmat', 'shmdt', 'shmctl', 'mq_open', 'mq_unlink', 'mq_notify', 'mq_getsetattr'],
  ...['mq_timedsend', 'mq_timedsend_time64', 'mq_timedreceive', 'mq_timedreceive_time64'],
  // Linux AIO (not io_uring, see above)
  ...['io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64'],
];

/** Known-dangerous or privileged: EPERM, as Docker answers for them. */
const DENIED: readonly string[] = [
  // filesystems and the mount table (CAP_SYS_ADMIN)
  ...['mount', 'umount', 'umount2', 'pivot_root', 'chroot', 'open_tree', 'move_mount', 'mount_setattr'],
  ...['fsopen', 'fsconfig', 'fsmount', 'fspick', 'quotactl', 'quotactl_fd', 'fanotify_init'],
  // namespaces
  ...['unshare', 'setns'],
  // the kernel itself: modules, kexec, eBPF, perf, reboot, swap, syslog
  ...['init_module', 'finit_module', 'delete_module', 'create_module', 'query_module', 'get_kernel_syms'],
  ...['kexec_load', 'kexec_file_load', 'bpf', 'perf_event_open', 'lookup_dcookie', 'reboot'],
  ...['swapon', 'swapoff', 'syslog', 'acct', 'sethostname', 'setdomainname', 'vhangup'],
  ...['lsm_get_self_attr', 'lsm_set_self_attr', 'lsm_list_modules'],
  // the kernel keyring is not namespaced
  ...['add_key', 'request_key', 'keyctl'],
  // clocks (CAP_SYS_TIME)
  ...['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  // other processes' memory and fds (CAP_SYS_PTRACE), NUMA policy (CAP_SYS_NICE)
  ...['kcmp', 'pidfd_getfd', 'process_madvise', 'move_pages', 'migrate_pages'],
  ...['mbind', 'get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node'],
  // raw hardware access (CAP_SYS_RAWIO), file handles (CAP_DAC_READ_SEARCH)
  ...['iopl', 'ioperm', 'open_by_handle_at'],
  // exploit helpers and obsolete calls
  ...['userfaultfd', 'uselib', 'ustat', 'sysfs', '_sysctl', 'nfsservctl', 'bdflush', 'vm86', 'vm86old'],
];

/** personality(2) values allowed: Linux, linux32, UNAME26 and the query 0xffffffff. */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET */
const CLONE_NAMESPACE_BITS = [0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000];
const CLONE_NAMESPACE_FLAGS = CLONE_NAMESPACE_BITS.reduce((a, b) => a | b, 0);

/** AF_ALG and AF_VSOCK: socket() families refused. */
const AF_ALG = 38;
const AF_VSOCK = 40;

interface ArchProfile {
  architectures: SeccompArch[];
  /** syscalls only this architecture family has */
  extras: string[];
  /** the clone() argument holding the flags (s390 swaps the first two) */
  cloneFlagsArg: number;
}

/** Per Node's process.arch: the native ABI first, then the compat ABIs it runs. */
const ARCH_PROFILES: Record<string, ArchProfile> = {
  x64: {
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    extras: ['arch_prctl', 'modify_ldt'],
    cloneFlagsArg: 0,
  },
  ia32: { architectures: ['SCMP_ARCH_X86'], extras: ['modify_ldt'], cloneFlagsArg: 0 },
  arm64: {
    architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    extras: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
    cloneFlagsArg: 0,
  },
  arm: {
    architectures: ['SCMP_ARCH_ARM'],
    extras: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
    cloneFlagsArg: 0,
  },
  ppc64: { architectures: ['SCMP_ARCH_PPC64LE'], extras: ['sync_file_range2', 'swapcontext'], cloneFlagsArg: 0 },
  s390x: {
    architectures: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
    extras: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'],
    cloneFlagsArg: 1,
  },
  riscv64: { architectures: ['SCMP_ARCH_RISCV64'], extras: ['riscv_flush_icache', 'riscv_hwprobe'], cloneFlagsArg: 0 },
  mips64el: {
    architectures: ['SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'],
    extras: [],
    cloneFlagsArg: 0,
  },
  loong64: { architectures: ['SCMP_ARCH_LOONGARCH64'], extras: [], cloneFlagsArg: 0 },
};

/** The architectures the default profile lists for a Node `process.arch`. */
export function defaultProfileArchitectures(arch: string = process.arch): string[] {
  return [...(ARCH_PROFILES[arch]?.architectures ?? [])];
}

/**
 * The default profile for the machine `tsrun spec` runs on (or for `arch`,
 * a Node process.arch value). A fresh object on every call.
 */
export function defaultSeccompProfile(arch: string = process.arch): Seccomp {
  const a = ARCH_PROFILES[arch] ?? { architectures: [], extras: [], cloneFlagsArg: 0 };
  const syscalls: SyscallRule[] = [
    { names: [...ALLOWED, ...a.extras], action: 'SCMP_ACT_ALLOW' },
    { names: [...DENIED], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
    ...PERSONALITIES.map(
      (p): SyscallRule => ({
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }],
      }),
    ),
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: a.cloneFlagsArg, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    },
    // ... and a clear EPERM, not ENOSYS, when a namespace flag is asked for
    ...CLONE_NAMESPACE_BITS.map(
      (bit): SyscallRule => ({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EPERM,
        args: [{ index: a.cloneFlagsArg, value: bit, valueTwo: bit, op: 'SCMP_CMP_MASKED_EQ' }],
      }),
    ),
    // clone3 passes its flags in memory, out of seccomp's reach: make libc
    // fall back to clone even if defaultErrnoRet is edited
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_ALG, op: 'SCMP_CMP_LT' }] },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_ALG + 1, op: 'SCMP_CMP_EQ' }] },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_GT' }] },
    ...[AF_ALG, AF_VSOCK].map(
      (family): SyscallRule => ({
        names: ['socket'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EAFNOSUPPORT,
        args: [{ index: 0, value: family, op: 'SCMP_CMP_EQ' }],
      }),
    ),
  ];
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: ENOSYS,
    architectures: [...a.architectures],
    syscalls,
  };
}
