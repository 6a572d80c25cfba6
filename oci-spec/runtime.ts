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
// create, exec and update do not run these schemas: they run the checks compiled
// from them (runtime-checks.ts, by scripts/gen-spec-checks.js), which return the
// same values and issues without loading zod. Object schemas are built on first
// use (see `lazy`).
import { z } from 'zod';
import { DEVICE_RULE_TYPES, DEVICE_TYPES, IOPRIO_CLASSES, MEMORY_POLICY_FLAGS, MEMORY_POLICY_MODES, NAMESPACE_TYPES, PERSONALITY_DOMAINS, RLIMIT_TYPES, ROOTFS_PROPAGATIONS, SCHEDULER_FLAGS, SCHEDULER_POLICIES, SECCOMP_ACTIONS, SECCOMP_ARCHS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from './runtime-enums';
import { BOOL, closedObj, int, int64, lazy, obj, opt, OPT_BOOL, OPT_STRING, OPT_STRING_MAP, OPT_STRINGS, optInt, optInt64, patterned, STRING, STRINGS } from './schema-kit';

export type { Int64 } from './integers';
export * from './runtime-enums';
export { OCI_VERSION } from './version';

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
