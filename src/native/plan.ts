// The plan: everything the C child needs to build a container process, computed
// and validated in TypeScript before the fork. The C side (native/src/plan.c)
// copies it into C structures in the parent; after fork it only reads them.
// Field names here are the contract with plan.c: change both together.
import type { NamespaceType } from '../../oci-spec/runtime';

/** Namespace to create (no path) or join (path to /proc/<pid>/ns/<type> or a bind mount). */
export interface NamespacePlan {
  type: NamespaceType;
  path?: string;
}

export interface MountPlan {
  /** host path (bind), or the fs source string (e.g. "proc", "tmpfs") */
  source: string;
  /** absolute path inside the container; resolved in the rootfs by the C side */
  destination: string;
  /** fs type for mount(2); "" for a bind mount */
  fstype: string;
  /** MS_* flags for the first mount(2) call (MS_BIND/MS_REC for binds) */
  flags: number;
  /** fs-specific data string ("mode=755,size=65536k") */
  data: string;
  /** bind mounts with MS_RDONLY/MS_NOSUID/...: flags for the MS_REMOUNT|MS_BIND pass; 0 = none */
  remountFlags: number;
  /** propagation calls applied after the mount, each MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (| MS_REC) */
  propagation: number[];
  /** mount_setattr(AT_RECURSIVE) for rro/rnosuid/...: attributes to set and clear; 0/0 = none */
  recursiveAttrSet: number;
  recursiveAttrClr: number;
  /** create the destination as an empty file rather than a directory (bind of a file) */
  destinationIsFile: boolean;
  /**
   * when the kernel refuses the mount (EPERM, EBUSY: cgroup2 in some user
   * namespaces), bind this host path there instead, with `flags` applied
   * to the bind (runc's fallback for a cgroup2 mount)
   */
  fallbackSource?: string;
}

export interface DevicePlan {
  /** absolute path inside the container, under /dev */
  path: string;
  /** S_IFCHR, S_IFBLK or S_IFIFO */
  fileType: number;
  major: number;
  minor: number;
  /** permission bits */
  mode: number;
  uid: number;
  gid: number;
}

export interface SymlinkPlan {
  target: string;
  /** absolute path inside the container */
  linkPath: string;
}

export interface RlimitPlan {
  /** RLIMIT_* number */
  resource: number;
  /** for messages: "RLIMIT_NOFILE" */
  name: string;
  soft: bigint;
  hard: bigint;
}

export interface CapabilityPlan {
  /** bit masks over capability numbers */
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

interface UserPlan {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** -1: leave the umask alone (runc default 0022 is filled in by the planner) */
  umask: number;
}

export interface HookPlan {
  path: string;
  args: string[];
  env: string[];
  /** the config gives no env: the hook gets the container process's (as runc) */
  inheritEnv: boolean;
  /** seconds; 0 = no timeout */
  timeout: number;
}

export interface SeccompPlan {
  /** struct sock_filter[] as produced by the compiler */
  filter: Buffer;
  /** SECCOMP_FILTER_FLAG_* bits */
  flags: number;
  /** seccomp user notification: unix socket to send the listener fd to */
  listenerPath?: string;
  listenerMetadata?: string;
}

export interface ProcessPlan {
  args: string[];
  env: string[];
  cwd: string;
  user: UserPlan;
  capabilities: CapabilityPlan;
  rlimits: RlimitPlan[];
  noNewPrivileges: boolean;
  /** -1001: not set (oomScoreAdj present even at 0 is applied) */
  oomScoreAdj: number;
  terminal: boolean;
  consoleHeight: number;
  consoleWidth: number;
  seccomp?: SeccompPlan;
  /** socket connected to seccomp.listenerPath by the parent; the init hands the notify fd over it */
  seccompListenerFd?: number;
  /** AppArmor profile name, or "" */
  apparmorProfile: string;
  /** SELinux label for the process, or "" */
  selinuxLabel: string;
  /** fds the process gets as 0, 1, 2 (-1: the caller's own); absent: the caller's 0-2 (the CLI's pass-through) */
  stdio?: [number, number, number];
}

/** overlayfs for the rootfs; the init chdirs to base so lower dirs are short names */
export interface OverlayPlan {
  base: string;
  /** relative to base, the top layer first */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  /** mount(2) with a data string even where fsconfig lowerdir+ works (tests the older kernels' path) */
  forceClassicMount: boolean;
}

export interface InitPlan {
  containerId: string;
  namespaces: NamespacePlan[];
  /** rootfs as an absolute host path */
  rootfs: string;
  /** mount an overlayfs on rootfs (null: rootfs is a plain directory, bound on itself) */
  overlay: OverlayPlan | null;
  readonlyRootfs: boolean;
  /** MS_PRIVATE|MS_REC etc. for the container's "/" (default MS_SLAVE|MS_REC) */
  rootfsPropagation: number;
  noPivot: boolean;
  mounts: MountPlan[];
  /** create device nodes (mknod) or, in a user namespace, bind the host's */
  devices: DevicePlan[];
  bindDevices: boolean;
  /** /dev/fd, /dev/stdin, ..., /dev/ptmx and cgroup v1 co-mount links */
  symlinks: SymlinkPlan[];
  /** set up /dev/ptmx -> pts/ptmx and /dev/console (only when /dev is a fresh tmpfs) */
  setupDev: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  hostname: string | null;
  domainname: string | null;
  /** [path under /proc/sys, value] */
  sysctl: Array<[string, string]>;
  /** /proc/self/timens_offsets lines, e.g. "monotonic 10 0" */
  timeOffsets: string[];
  /** linux.personality domain (PER_LINUX32 etc.), -1 none */
  personality: number;
  process: ProcessPlan;
  /** host paths of the start FIFOs the init makes: it blocks reading the
   *  first until `start` writes to it, and answers on the second */
  startFifoPath: string;
  startReplyPath: string;
  /** the session keyring to join ("_ses.<id>", as runc), or absent with --no-new-keyring */
  sessionKeyring?: string;
  /** permission bits added to that keyring (searchable by the possessor's uid, or by others in a user namespace) */
  sessionKeyringPerm?: number;
  /** run by the init inside the container's namespaces, before pivot_root */
  createContainerHooks: HookPlan[];
  /** run by the init inside the container, right before execve */
  startContainerHooks: HookPlan[];
  /** fds 3 .. 2+preserveFds stay open in the container */
  preserveFds: number;
  /** connected console socket in the parent (-1: none) */
  consoleSocketFd: number;
}

/** `exec`: a new process in a running container (native/src/exec.c). */
export interface ExecPlan {
  containerId: string;
  /** every namespace to join, each with a path (/proc/<init pid>/ns/<type>); user first is handled by the C side */
  namespaces: NamespacePlan[];
  process: ProcessPlan;
  /** fds 3 .. 2+preserveFds stay open in the process */
  preserveFds: number;
  /** connected console socket (or tsrun's own socket pair end) for process.terminal; -1: none */
  consoleSocketFd: number;
  /** the container's session keyring, joined by name (absent: created with --no-new-keyring) */
  sessionKeyring?: string;
}
