// OCI runtime-spec v1.3.0 config.json: zod schemas and the types inferred from them.
// Field list from runtime-spec v1.3.0 (config.md, config-linux.md, schema/*.json,
// specs-go/config.go). Linux only: the solaris/windows/vm/zos/freebsd sections are
// accepted and dropped, like any unknown field.
//
// What the schemas check: types, required fields, the sized integer ranges, enums
// and the string patterns the spec defines. What they leave to the semantic checks
// (src/container/config-checks.ts): absolute paths, uniqueness, positive timeouts,
// cross-field rules, capability names (the spec wants unknown ones reported by the
// runtime, not rejected as a type error).
//
// Numbers: fields the spec declares int64/uint64 have type Int64 (number, or bigint
// beyond 2^53; exact when the text was read with parseJsonText). 32-bit and smaller
// fields are plain numbers. `null` in an optional field means "not set" (Go's reading).
// Required fields follow config.md's REQUIRED markers (process.user with uid and
// gid, ioPriority.priority, personality.domain), which are stricter than
// schema/config-schema.json in places; root and process are optional here and
// required for create by the checks.
// Deliberate deviations, each for real configs: `fileMode` accepts any uint32 (Go's
// os.FileMode, which some engines fill with type bits), `rootfsPropagation` also
// accepts the r-prefixed forms runc takes, `consoleSize` is uint32 (a tty size is 16-bit).
//
// Every object schema is built on first use (see `lazy`): a given config touches a
// fraction of the spec, and building zod schemas is a visible part of create's cost.
import { z } from 'zod';
import { BOOL, closedObj, int, int64, lazy, obj, opt, OPT_BOOL, OPT_STRING, OPT_STRING_MAP, OPT_STRINGS, optInt, optInt64, patterned, STRING, STRINGS } from './schema-kit';

export type { Int64 } from './schema-kit';

export { OCI_VERSION } from './version';

// ---------------------------------------------------------------------------
// Enumerations

export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

export { CAPABILITIES, type Capability } from './capabilities';

/** Linux rlimit names in kernel order: RLIMIT_TYPES[n] is resource number n. */
export const RLIMIT_TYPES = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS',
  'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS',
  'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
] as const;
export type RlimitType = (typeof RLIMIT_TYPES)[number];

/** The spec lists the plain four; runc also takes the recursive forms, and engines send them. */
export const ROOTFS_PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'] as const;
export type RootfsPropagation = (typeof ROOTFS_PROPAGATIONS)[number];

export const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** Device node types: char, block, unbuffered char (same as c), FIFO. */
export const DEVICE_TYPES = ['c', 'b', 'u', 'p'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** Device cgroup rule types: all, char, block. */
export const DEVICE_RULE_TYPES = ['a', 'c', 'b'] as const;
export type DeviceRuleType = (typeof DEVICE_RULE_TYPES)[number];

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

export const SECCOMP_OPERATORS = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
] as const;
export type SeccompOperator = (typeof SECCOMP_OPERATORS)[number];

export const SECCOMP_ARCHS = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
] as const;
export type SeccompArch = (typeof SECCOMP_ARCHS)[number];

export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;
export type SeccompFlag = (typeof SECCOMP_FLAGS)[number];

/** Actions that return an errno, so the only ones that may carry errnoRet. */
export const SECCOMP_ERRNO_ACTIONS: readonly SeccompAction[] = ['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'];

export const SCHEDULER_POLICIES = [
  'SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE',
] as const;
export type SchedulerPolicy = (typeof SCHEDULER_POLICIES)[number];

export const SCHEDULER_FLAGS = [
  'SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM', 'SCHED_FLAG_DL_OVERRUN', 'SCHED_FLAG_KEEP_POLICY',
  'SCHED_FLAG_KEEP_PARAMS', 'SCHED_FLAG_UTIL_CLAMP_MIN', 'SCHED_FLAG_UTIL_CLAMP_MAX',
] as const;
export type SchedulerFlag = (typeof SCHEDULER_FLAGS)[number];

export const IOPRIO_CLASSES = ['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'] as const;
export type IoPriorityClass = (typeof IOPRIO_CLASSES)[number];

export const MEMORY_POLICY_MODES = [
  'MPOL_DEFAULT', 'MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED',
  'MPOL_PREFERRED_MANY', 'MPOL_LOCAL',
] as const;
export type MemoryPolicyMode = (typeof MEMORY_POLICY_MODES)[number];

export const MEMORY_POLICY_FLAGS = ['MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES'] as const;
export type MemoryPolicyFlag = (typeof MEMORY_POLICY_FLAGS)[number];

export const PERSONALITY_DOMAINS = ['LINUX', 'LINUX32'] as const;
export type PersonalityDomain = (typeof PERSONALITY_DOMAINS)[number];

/** Clocks a time namespace can offset. */
export const TIME_OFFSET_CLOCKS = ['boottime', 'monotonic'] as const;
export type TimeOffsetClock = (typeof TIME_OFFSET_CLOCKS)[number];

/**
 * Mount options the spec defines for Linux (config.md "Linux mount options"):
 * flags, propagation, recursive attributes and extensions. Anything else in
 * `options` is filesystem-specific data passed to mount(2).
 */
export const LINUX_MOUNT_OPTIONS = [
  'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'iversion', 'lazytime',
  'loud', 'mand', 'noatime', 'nodev', 'nodiratime', 'noexec', 'noiversion', 'nolazytime', 'nomand',
  'norelatime', 'nostrictatime', 'nosuid', 'nosymfollow', 'rbind', 'relatime', 'remount', 'ro', 'rw',
  'silent', 'strictatime', 'suid', 'symfollow', 'sync',
  'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
  'ratime', 'rdev', 'rdiratime', 'rexec', 'rnoatime', 'rnodev', 'rnodiratime', 'rnoexec', 'rnorelatime',
  'rnostrictatime', 'rnosuid', 'rnosymfollow', 'rrelatime', 'rro', 'rrw', 'rstrictatime', 'rsuid', 'rsymfollow',
  'tmpcopyup', 'idmap', 'ridmap',
] as const;
export type LinuxMountOption = (typeof LINUX_MOUNT_OPTIONS)[number];

// ---------------------------------------------------------------------------
// Shared pieces

export const IdMappingSchema = lazy(() =>
  obj({
    containerID: int('uint32'),
    hostID: int('uint32'),
    size: int('uint32'),
  }),
);
export type IdMapping = z.infer<typeof IdMappingSchema>;

const OPT_ID_MAPPINGS = opt(z.array(IdMappingSchema));

/** "0-3,7" style CPU lists (execCPUAffinity) */
const OPT_CPU_LIST = opt(patterned(/^[0-9, -]*$/, 'a CPU list such as "0-3,7"'));

// ---------------------------------------------------------------------------
// root, mounts, hooks

export const RootSchema = lazy(() =>
  obj({
    path: STRING,
    readonly: OPT_BOOL,
  }),
);
export type Root = z.infer<typeof RootSchema>;

export const MountSchema = lazy(() =>
  obj({
    destination: STRING,
    type: OPT_STRING,
    source: OPT_STRING,
    options: OPT_STRINGS,
    uidMappings: OPT_ID_MAPPINGS,
    gidMappings: OPT_ID_MAPPINGS,
  }),
);
export type Mount = z.infer<typeof MountSchema>;

export const HookSchema = lazy(() =>
  obj({
    path: STRING,
    args: OPT_STRINGS,
    env: OPT_STRINGS,
    /** seconds; the checks require > 0 */
    timeout: optInt('int'),
  }),
);
export type Hook = z.infer<typeof HookSchema>;

const OPT_HOOKS = opt(z.array(HookSchema));

export const HooksSchema = lazy(() =>
  obj({
    /** deprecated by the spec, still sent by docker (libnetwork-setkey) */
    prestart: OPT_HOOKS,
    createRuntime: OPT_HOOKS,
    createContainer: OPT_HOOKS,
    startContainer: OPT_HOOKS,
    poststart: OPT_HOOKS,
    poststop: OPT_HOOKS,
  }),
);
export type Hooks = z.infer<typeof HooksSchema>;

// ---------------------------------------------------------------------------
// process

export const UserSchema = lazy(() =>
  obj({
    uid: int('uint32'),
    gid: int('uint32'),
    umask: optInt('uint32'),
    additionalGids: opt(z.array(int('uint32'))),
    /** Windows only; accepted and ignored */
    username: OPT_STRING,
  }),
);
export type User = z.infer<typeof UserSchema>;

export const ConsoleSizeSchema = lazy(() =>
  obj({
    height: int('uint32'),
    width: int('uint32'),
  }),
);
export type ConsoleSize = z.infer<typeof ConsoleSizeSchema>;

/** Capability names stay strings here; the checks report unknown ones. */
export const CapabilitiesSchema = lazy(() =>
  obj({
    bounding: OPT_STRINGS,
    effective: OPT_STRINGS,
    inheritable: OPT_STRINGS,
    permitted: OPT_STRINGS,
    ambient: OPT_STRINGS,
  }),
);
export type Capabilities = z.infer<typeof CapabilitiesSchema>;
export const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
export type CapabilitySet = (typeof CAPABILITY_SETS)[number];

export const RlimitSchema = lazy(() =>
  obj({
    type: z.enum(RLIMIT_TYPES),
    soft: int64('uint64'),
    hard: int64('uint64'),
  }),
);
export type Rlimit = z.infer<typeof RlimitSchema>;

export const SchedulerSchema = lazy(() =>
  obj({
    policy: z.enum(SCHEDULER_POLICIES),
    nice: optInt('int32'),
    priority: optInt('int32'),
    flags: opt(z.array(z.enum(SCHEDULER_FLAGS))),
    /** nanoseconds, SCHED_DEADLINE only */
    runtime: optInt64('uint64'),
    deadline: optInt64('uint64'),
    period: optInt64('uint64'),
  }),
);
export type Scheduler = z.infer<typeof SchedulerSchema>;

export const IoPrioritySchema = lazy(() =>
  obj({
    class: z.enum(IOPRIO_CLASSES),
    /** 0 (highest) to 7 (lowest); the checks enforce the range */
    priority: int('int32'),
  }),
);
export type IoPriority = z.infer<typeof IoPrioritySchema>;

export const CpuAffinitySchema = lazy(() =>
  obj({
    initial: OPT_CPU_LIST,
    final: OPT_CPU_LIST,
  }),
);
export type CpuAffinity = z.infer<typeof CpuAffinitySchema>;

export const ProcessSchema = lazy(() =>
  obj({
    terminal: OPT_BOOL,
    consoleSize: opt(ConsoleSizeSchema),
    user: UserSchema,
    /** the spec requires at least one entry on Linux; the checks enforce it */
    args: OPT_STRINGS,
    /** Windows only; accepted and ignored */
    commandLine: OPT_STRING,
    env: OPT_STRINGS,
    cwd: STRING,
    capabilities: opt(CapabilitiesSchema),
    rlimits: opt(z.array(RlimitSchema)),
    noNewPrivileges: OPT_BOOL,
    apparmorProfile: OPT_STRING,
    /** applied whenever present, even 0 */
    oomScoreAdj: optInt('int'),
    scheduler: opt(SchedulerSchema),
    selinuxLabel: OPT_STRING,
    ioPriority: opt(IoPrioritySchema),
    /** exec only: not applied to the init process */
    execCPUAffinity: opt(CpuAffinitySchema),
  }),
);
export type Process = z.infer<typeof ProcessSchema>;

// ---------------------------------------------------------------------------
// linux: namespaces, devices

export const NamespaceSchema = lazy(() =>
  obj({
    type: z.enum(NAMESPACE_TYPES),
    /** join this namespace instead of creating one */
    path: OPT_STRING,
  }),
);
export type Namespace = z.infer<typeof NamespaceSchema>;

export const TimeOffsetSchema = lazy(() =>
  obj({
    secs: optInt64('int64'),
    nanosecs: optInt('uint32'),
  }),
);
export type TimeOffset = z.infer<typeof TimeOffsetSchema>;

/** Keys are clock names, so an unknown key is an error rather than an ignored field. */
export const TimeOffsetsSchema = lazy(() =>
  closedObj(
    {
      boottime: opt(TimeOffsetSchema),
      monotonic: opt(TimeOffsetSchema),
    },
    'clock name',
  ),
);
export type TimeOffsets = z.infer<typeof TimeOffsetsSchema>;

export const DeviceSchema = lazy(() =>
  obj({
    type: z.enum(DEVICE_TYPES),
    path: STRING,
    /** required unless type is "p"; the checks enforce it */
    major: optInt64('int64'),
    minor: optInt64('int64'),
    /** permission bits, decimal in JSON (438 = 0666) */
    fileMode: optInt('uint32'),
    uid: optInt('uint32'),
    gid: optInt('uint32'),
  }),
);
export type Device = z.infer<typeof DeviceSchema>;

export const NetDeviceSchema = lazy(() =>
  obj({
    /** name inside the container; defaults to the host name */
    name: OPT_STRING,
  }),
);
export type NetDevice = z.infer<typeof NetDeviceSchema>;

// ---------------------------------------------------------------------------
// linux.resources

export const DeviceRuleSchema = lazy(() =>
  obj({
    allow: BOOL,
    /** unset means "a" (all) */
    type: opt(z.enum(DEVICE_RULE_TYPES)),
    /** unset (or -1, as some tools write) means any */
    major: optInt64('int64'),
    minor: optInt64('int64'),
    access: opt(patterned(/^[rwm]*$/, 'a combination of r, w and m')),
  }),
);
export type DeviceRule = z.infer<typeof DeviceRuleSchema>;

/** Bytes; -1 means unlimited. */
export const MemorySchema = lazy(() =>
  obj({
    limit: optInt64('int64'),
    reservation: optInt64('int64'),
    /** memory + swap */
    swap: optInt64('int64'),
    /** deprecated; ignored by runtimes */
    kernel: optInt64('int64'),
    kernelTCP: optInt64('int64'),
    /** 0-100; engines send 2^64-1 (Go's -1) to mean "unset" */
    swappiness: optInt64('uint64'),
    disableOOMKiller: OPT_BOOL,
    useHierarchy: OPT_BOOL,
    checkBeforeUpdate: OPT_BOOL,
  }),
);
export type Memory = z.infer<typeof MemorySchema>;

/** Microseconds for quota/burst/period/realtime*. */
export const CpuSchema = lazy(() =>
  obj({
    shares: optInt64('uint64'),
    quota: optInt64('int64'),
    burst: optInt64('uint64'),
    period: optInt64('uint64'),
    realtimeRuntime: optInt64('int64'),
    realtimePeriod: optInt64('uint64'),
    cpus: OPT_STRING,
    mems: OPT_STRING,
    idle: optInt64('int64'),
  }),
);
export type Cpu = z.infer<typeof CpuSchema>;

export const PidsSchema = lazy(() =>
  obj({
    /** -1 means no limit; 0 is a real limit (spec 1.3) */
    limit: optInt64('int64'),
  }),
);
export type Pids = z.infer<typeof PidsSchema>;

export const WeightDeviceSchema = lazy(() =>
  obj({
    major: int64('int64'),
    minor: int64('int64'),
    weight: optInt('uint16'),
    leafWeight: optInt('uint16'),
  }),
);
export type WeightDevice = z.infer<typeof WeightDeviceSchema>;

export const ThrottleDeviceSchema = lazy(() =>
  obj({
    major: int64('int64'),
    minor: int64('int64'),
    /** bytes or operations per second */
    rate: int64('uint64'),
  }),
);
export type ThrottleDevice = z.infer<typeof ThrottleDeviceSchema>;

const OPT_THROTTLES = opt(z.array(ThrottleDeviceSchema));

export const BlockIOSchema = lazy(() =>
  obj({
    weight: optInt('uint16'),
    leafWeight: optInt('uint16'),
    weightDevice: opt(z.array(WeightDeviceSchema)),
    throttleReadBpsDevice: OPT_THROTTLES,
    throttleWriteBpsDevice: OPT_THROTTLES,
    throttleReadIOPSDevice: OPT_THROTTLES,
    throttleWriteIOPSDevice: OPT_THROTTLES,
  }),
);
export type BlockIO = z.infer<typeof BlockIOSchema>;

export const HugepageLimitSchema = lazy(() =>
  obj({
    pageSize: patterned(/^[1-9][0-9]*[KMG]B$/, 'a page size such as "2MB" or "1GB"'),
    limit: int64('uint64'),
  }),
);
export type HugepageLimit = z.infer<typeof HugepageLimitSchema>;

export const InterfacePrioritySchema = lazy(() =>
  obj({
    name: STRING,
    priority: int('uint32'),
  }),
);
export type InterfacePriority = z.infer<typeof InterfacePrioritySchema>;

export const NetworkSchema = lazy(() =>
  obj({
    classID: optInt('uint32'),
    priorities: opt(z.array(InterfacePrioritySchema)),
  }),
);
export type Network = z.infer<typeof NetworkSchema>;

export const RdmaSchema = lazy(() =>
  obj({
    hcaHandles: optInt('uint32'),
    hcaObjects: optInt('uint32'),
  }),
);
export type Rdma = z.infer<typeof RdmaSchema>;

/** linux.resources, and the document `tsrun update --resources` reads. */
export const ResourcesSchema = lazy(() =>
  obj({
    devices: opt(z.array(DeviceRuleSchema)),
    memory: opt(MemorySchema),
    cpu: opt(CpuSchema),
    pids: opt(PidsSchema),
    blockIO: opt(BlockIOSchema),
    hugepageLimits: opt(z.array(HugepageLimitSchema)),
    network: opt(NetworkSchema),
    /** keyed by RDMA device name */
    rdma: opt(z.record(z.string(), RdmaSchema)),
    /** cgroup v2 file name -> content, written verbatim */
    unified: OPT_STRING_MAP,
  }),
);
export type Resources = z.infer<typeof ResourcesSchema>;

// ---------------------------------------------------------------------------
// linux: seccomp, intelRdt, memoryPolicy, personality

export const SeccompArgSchema = lazy(() =>
  obj({
    index: int('uint32'),
    value: int64('uint64'),
    valueTwo: optInt64('uint64'),
    op: z.enum(SECCOMP_OPERATORS),
  }),
);
export type SeccompArg = z.infer<typeof SeccompArgSchema>;

export const SyscallRuleSchema = lazy(() =>
  obj({
    /** at least one; the checks enforce it */
    names: STRINGS,
    action: z.enum(SECCOMP_ACTIONS),
    errnoRet: optInt('uint32'),
    args: opt(z.array(SeccompArgSchema)),
  }),
);
export type SyscallRule = z.infer<typeof SyscallRuleSchema>;

export const SeccompSchema = lazy(() =>
  obj({
    defaultAction: z.enum(SECCOMP_ACTIONS),
    defaultErrnoRet: optInt('uint32'),
    architectures: opt(z.array(z.enum(SECCOMP_ARCHS))),
    flags: opt(z.array(z.enum(SECCOMP_FLAGS))),
    listenerPath: OPT_STRING,
    listenerMetadata: OPT_STRING,
    syscalls: opt(z.array(SyscallRuleSchema)),
  }),
);
export type Seccomp = z.infer<typeof SeccompSchema>;

export const IntelRdtSchema = lazy(() =>
  obj({
    closID: OPT_STRING,
    schemata: OPT_STRINGS,
    l3CacheSchema: OPT_STRING,
    memBwSchema: opt(patterned(/^MB:[^\n]*$/, 'a memory bandwidth schema starting with "MB:" on one line')),
    enableMonitoring: OPT_BOOL,
  }),
);
export type IntelRdt = z.infer<typeof IntelRdtSchema>;

export const MemoryPolicySchema = lazy(() =>
  obj({
    mode: z.enum(MEMORY_POLICY_MODES),
    /** "0-3,7" style node list */
    nodes: OPT_STRING,
    flags: opt(z.array(z.enum(MEMORY_POLICY_FLAGS))),
  }),
);
export type MemoryPolicy = z.infer<typeof MemoryPolicySchema>;

export const PersonalitySchema = lazy(() =>
  obj({
    domain: z.enum(PERSONALITY_DOMAINS),
    /** the spec defines no flags yet */
    flags: OPT_STRINGS,
  }),
);
export type Personality = z.infer<typeof PersonalitySchema>;

// ---------------------------------------------------------------------------
// linux, and the whole config

export const LinuxSchema = lazy(() =>
  obj({
    namespaces: opt(z.array(NamespaceSchema)),
    uidMappings: OPT_ID_MAPPINGS,
    gidMappings: OPT_ID_MAPPINGS,
    timeOffsets: opt(TimeOffsetsSchema),
    devices: opt(z.array(DeviceSchema)),
    /** keyed by the host interface name */
    netDevices: opt(z.record(z.string(), NetDeviceSchema)),
    cgroupsPath: OPT_STRING,
    resources: opt(ResourcesSchema),
    rootfsPropagation: opt(z.enum(ROOTFS_PROPAGATIONS)),
    seccomp: opt(SeccompSchema),
    sysctl: OPT_STRING_MAP,
    maskedPaths: OPT_STRINGS,
    readonlyPaths: OPT_STRINGS,
    mountLabel: OPT_STRING,
    intelRdt: opt(IntelRdtSchema),
    memoryPolicy: opt(MemoryPolicySchema),
    personality: opt(PersonalitySchema),
  }),
);
export type Linux = z.infer<typeof LinuxSchema>;

export const ConfigSchema = lazy(() =>
  obj({
    ociVersion: STRING,
    root: opt(RootSchema),
    process: opt(ProcessSchema),
    hostname: OPT_STRING,
    domainname: OPT_STRING,
    mounts: opt(z.array(MountSchema)),
    hooks: opt(HooksSchema),
    annotations: OPT_STRING_MAP,
    linux: opt(LinuxSchema),
  }),
);
/** A parsed config.json. */
export type Config = z.infer<typeof ConfigSchema>;
