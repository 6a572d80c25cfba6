// Generated configs: a seeded fast-check generator that starts from the
// default spec and varies what engines and people vary: namespaces (and
// leaving some out, or joining the caller's), mounts with their options and
// propagation, users and groups, capability sets, rlimits, masked and
// read-only paths, devices, sysctls, hooks (absolute and relative paths, env,
// timeouts), args[0] forms and PATH, cwd, seccomp profiles of several
// generations. Values stay inside what can run on a machine of this kind
// (no host paths but the run directory's, no host-wide writes), so a
// difference in outcome is a difference between the runtimes.
// The "cgroup" flavour adds linux.resources and cgroup paths and namespaces,
// for a pure cgroup v2 machine.
import fc from 'fast-check';
import { CAPABILITIES } from '../../../oci-spec';
import { TOKENS } from './bundle';
import { probeArgs, type DiffCase, type Json, type Spec } from './case';
import { probeHook } from './fixtures';
import { ACTIONS, GENERATIONS, PROBE_OPTIONAL_SYSCALLS, seccompProfile, type ProfileKnobs } from './seccomp-profiles';

export type Flavour = 'host' | 'cgroup';

/** One of `choices`, each as likely as its weight: most cases should run, a few should be refused. */
function weighted<T>(...choices: [T, number][]): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([v, weight]) => ({ arbitrary: fc.constant(v), weight })));
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const RUNC_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
/** CAP_SYS_RESOURCE is missing on hosts of this kind; runc 1.1 fails on it, tsrun warns (rule host-caps) */
const ALL_CAPS = [...CAPABILITIES];

const DEFAULT_MASKED = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];
const DEFAULT_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const EXTRA_MASKED = ['/proc/cpuinfo', '/data/file', '/data/sub', '/data/link', '/nonexistent', '/etc/passwd', '/proc/sys/kernel', '/tmp'];
const EXTRA_READONLY = ['/data', '/data/file', '/etc', '/nonexistent', '/data/link', '/proc/sys/net', '/tmp', '/proc/asound'];

type Mount = { destination: string; type?: string; source?: string; options?: string[] };

const BASE_MOUNTS: Record<string, Mount> = {
  proc: { destination: '/proc', type: 'proc', source: 'proc' },
  dev: { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  pts: { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  shm: { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  mqueue: { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  sys: { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  cgroup: { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
};

const PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'];
const FLAG_OPTIONS = ['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'noatime', 'strictatime', 'relatime', 'nodiratime'];

const tmpfsMount = fc
  .record({
    n: fc.integer({ min: 0, max: 3 }),
    flags: fc.subarray(FLAG_OPTIONS, { maxLength: 4 }),
    data: fc.subarray(['mode=0700', 'mode=1777', 'size=1m', 'nr_inodes=1k', 'uid=1000', 'gid=100'], { maxLength: 2 }),
    prop: fc.option(fc.constantFrom(...PROPAGATIONS), { nil: undefined }),
  })
  .map(({ n, flags, data, prop }): Mount => ({
    destination: `/mnt/tmpfs${n}`,
    type: 'tmpfs',
    source: 'tmpfs',
    options: [...flags, ...data, ...(prop ? [prop] : [])],
  }));

const bindMount = fc
  .record({
    n: fc.integer({ min: 0, max: 3 }),
    what: weighted<string>(['dir', 8], ['file', 4], ['dir-into-symlink', 2], ['file-over-existing', 2], ['missing-source', 1], ['rootfs-dir', 2]) as fc.Arbitrary<
      'dir' | 'file' | 'dir-into-symlink' | 'file-over-existing' | 'missing-source' | 'rootfs-dir'
    >,
    recursive: fc.boolean(),
    typeField: fc.constantFrom('bind', 'none', undefined),
    flags: fc.subarray(['ro', 'rw', 'nosuid', 'nodev', 'noexec', 'noatime', 'rro', 'rnosuid'], { maxLength: 3 }),
    prop: fc.option(fc.constantFrom(...PROPAGATIONS), { nil: undefined }),
  })
  .map(({ n, what, recursive, typeField, flags, prop }): Mount => {
    const src = {
      dir: `${TOKENS.run}/host/dir`,
      file: `${TOKENS.run}/host/file`,
      'dir-into-symlink': `${TOKENS.run}/host/dir`,
      'file-over-existing': `${TOKENS.run}/host/file`,
      'missing-source': `${TOKENS.run}/host/missing`,
      'rootfs-dir': `${TOKENS.run}/bundle/rootfs/data`,
    }[what];
    const dest = {
      dir: `/mnt/bind${n}`,
      file: `/etc/bind${n}`,
      'dir-into-symlink': `/data/link/bind${n}`,
      'file-over-existing': '/etc/hostname',
      'missing-source': `/mnt/missing${n}`,
      'rootfs-dir': `/mnt/self${n}`,
    }[what];
    const m: Mount = { destination: dest, source: src, options: [recursive ? 'rbind' : 'bind', ...flags, ...(prop ? [prop] : [])] };
    if (typeField !== undefined) m.type = typeField;
    return m;
  });

const otherMount = weighted<Mount[]>(
  [[{ destination: '/mnt/mq', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'nodev', 'noexec'] }], 3],
  [[{ destination: '/mnt/proc2', type: 'proc', source: 'proc', options: ['nosuid', 'nodev', 'noexec'] }], 2],
  [[{ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] }], 3],
  [[{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] }], 3],
  [[{ destination: 'mnt/relative', type: 'tmpfs', source: 'tmpfs' }], 1],
  [[{ destination: '/mnt/a', type: 'tmpfs', source: 'tmpfs' }, { destination: '/mnt/a/b', type: 'tmpfs', source: 'tmpfs', options: ['ro'] }], 2],
  [[{ destination: '/mnt/twice', type: 'tmpfs', source: 'tmpfs' }, { destination: '/mnt/twice', type: 'tmpfs', source: 'tmpfs', options: ['size=2m'] }], 2],
);

const mountsArb = fc
  .record({
    keep: fc.subarray(Object.keys(BASE_MOUNTS), { minLength: 0 }),
    keepAll: weighted([true, 4], [false, 1]),
    extra: fc.array(fc.oneof(tmpfsMount, bindMount, otherMount.map((m) => m[0]!)), { maxLength: 3 }),
    pair: fc.option(otherMount, { nil: undefined, freq: 4 }),
  })
  .map(({ keep, keepAll, extra, pair }) => {
    // /proc always: runc 1.1.5 cannot start a container without it (it reads /proc/self/fd)
    const names = keepAll ? Object.keys(BASE_MOUNTS) : ['proc', ...keep];
    // /dev/pts etc. need /dev's tmpfs first in this list (it is, by key order)
    const base = Object.entries(BASE_MOUNTS).filter(([k]) => names.includes(k)).map(([, m]) => structuredClone(m));
    const seen = new Set<string>();
    const more = [...extra, ...(pair ?? [])].filter((m) => {
      const key = `${m.destination}|${m.options?.join(',')}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return [...base, ...more];
  });

type Ns = { type: string; path?: string };

const namespacesArb = (flavour: Flavour) =>
  fc
    .record({
      common: fc.boolean(),
      set: fc.subarray(['pid', 'network', 'ipc', 'uts'], { minLength: 0 }),
      user: weighted(['no', 6], ['yes', 2]),
      cgroup: flavour === 'cgroup' ? weighted(['no', 1], ['yes', 2]) : weighted(['no', 4], ['yes', 1]),
      time: flavour === 'host' ? weighted(['no', 15], ['yes', 1]) : fc.constant('no'),
      joinCaller: weighted<string[]>([[], 8], [['network'], 1], [['ipc'], 1], [['uts'], 1]),
      mapping: fc.constantFrom('shifted', 'identity-root', 'two-ranges'),
    })
    .map(({ common, set, user, cgroup, time, joinCaller, mapping }) => {
      // a user namespace mostly comes with the others (proc, mqueue and sysfs
      // cannot be mounted in it without its own pid, ipc and network namespaces)
      const types = [...(common || (user === 'yes' && set.length > 1) ? ['pid', 'network', 'ipc', 'uts'] : set), 'mount'];
      // proc and mqueue cannot be mounted in a user namespace without pid and ipc namespaces of its own
      if (user === 'yes') types.push(...['pid', 'ipc'].filter((t) => !types.includes(t)), 'user');
      if (cgroup === 'yes') types.push('cgroup');
      if (time === 'yes') types.push('time');
      const ns: Ns[] = types.map((t) => (joinCaller.includes(t) ? { type: t, path: `/proc/self/ns/${t === 'network' ? 'net' : t}` } : { type: t }));
      const maps: Record<string, Json> = {};
      if (types.includes('user')) {
        const m =
          mapping === 'shifted'
            ? [{ containerID: 0, hostID: 100000, size: 65536 }]
            : mapping === 'identity-root'
              ? [{ containerID: 0, hostID: 0, size: 1 }, { containerID: 1, hostID: 100001, size: 65535 }]
              : [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 1000, hostID: 201000, size: 64536 }];
        maps.uidMappings = m;
        maps.gidMappings = m;
      }
      return { namespaces: ns as unknown as Json, ...maps };
    });

const capsArb = fc
  .record({
    base: fc.constantFrom('runc', 'docker', 'all', 'none', 'random'),
    random: fc.subarray(ALL_CAPS, { maxLength: 12 }),
    dropEffective: fc.boolean(),
    inheritable: fc.constantFrom('none', 'same', 'absent'),
    ambient: fc.constantFrom('none', 'subset', 'not-inheritable'),
    unknown: fc.boolean(),
  })
  .map(({ base, random, dropEffective, inheritable, ambient, unknown }) => {
    const set = { runc: RUNC_CAPS, docker: DOCKER_CAPS, all: ALL_CAPS, none: [], random }[base];
    const caps: Record<string, string[]> = { bounding: [...set], permitted: [...set], effective: dropEffective ? set.slice(0, 1) : [...set] };
    if (inheritable === 'same') caps.inheritable = [...set];
    if (inheritable === 'none') caps.inheritable = [];
    if (ambient === 'subset' && set.length) caps.ambient = set.slice(0, 2).filter((c) => (caps.inheritable ?? []).includes(c));
    if (ambient === 'not-inheritable' && set.length) caps.ambient = [set[0]!];
    if (unknown) caps.bounding = [...caps.bounding!, 'CAP_TSRUN_DIFF_UNKNOWN'];
    return caps;
  });

/** per type: valid [soft, hard] pairs first; the last entries of NOFILE and NPROC are refused by both (soft > hard, hard above the host's) */
const RLIMIT_CHOICES: Record<string, [number, number][]> = {
  RLIMIT_NOFILE: [[1024, 1024], [512, 4096], [20000, 20000], [4096, 1024], [30000, 30000]],
  RLIMIT_NPROC: [[1000, 2000], [96365, 96365], [100, 50]],
  RLIMIT_CORE: [[0, 0], [0, 1048576]],
  RLIMIT_STACK: [[8388608, 16777216], [1048576, 1048576]],
  RLIMIT_MEMLOCK: [[65536, 65536], [8388608, 8388608]],
  RLIMIT_CPU: [[100, 200]],
  RLIMIT_MSGQUEUE: [[819200, 819200]],
  RLIMIT_SIGPENDING: [[1000, 1000]],
  RLIMIT_NICE: [[0, 0]],
  RLIMIT_RTPRIO: [[0, 0]],
};

const rlimitsArb = fc
  .record({
    present: fc.boolean(),
    picks: fc.uniqueArray(
      fc.tuple(
        weighted<string>(...Object.keys(RLIMIT_CHOICES).map((t): [string, number] => [t, 12]), ['RLIMIT_TSRUN_UNKNOWN', 1]),
        weighted([0, 20], [1, 8], [2, 6], [3, 1], [4, 1]),
      ),
      { maxLength: 4, selector: ([type]) => type },
    ),
    /** the same type twice (the spec says: an error; runc 1.1.5 takes the last) */
    duplicate: weighted([false, 30], [true, 1]),
  })
  .map(({ present, picks, duplicate }) => {
    if (!present) return undefined;
    const list = picks.map(([type, i]) => {
      const choices = RLIMIT_CHOICES[type] ?? [[1, 1]];
      const [soft, hard] = choices[Math.min(i, choices.length - 1)]!;
      return { type, soft, hard };
    });
    if (duplicate && list.length > 0) list.push({ ...list[0]! });
    return list;
  });

export const SYSCTLS: [string, string][] = [
  ['kernel.shmmax', '68719476736'],
  ['kernel.msgmax', '65536'],
  ['fs.mqueue.msg_max', '20'],
  ['net.ipv4.ip_forward', '1'],
  ['net.core.somaxconn', '1024'],
  ['net.ipv4.ping_group_range', '0 2147483647'],
  ['net.ipv4.ip_unprivileged_port_start', '0'],
  ['kernel.domainname', 'sysctl.example'],
  ['kernel.hostname', 'sysctl-host'],
  ['vm.swappiness', '10'],
  ['kernel.tsrun_diff_unknown', '1'],
  ['net/ipv4/tcp_syncookies', '1'],
];

/** the namespace a sysctl needs (undefined: none makes it safe, runc refuses it) */
function sysctlNamespace(key: string): string | undefined {
  const k = key.replaceAll('/', '.');
  if (k.startsWith('net.')) return 'network';
  if (k.startsWith('fs.mqueue.') || ['kernel.shmmax', 'kernel.shmall', 'kernel.shmmni', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shm_rmid_forced'].includes(k)) return 'ipc';
  if (k === 'kernel.hostname' || k === 'kernel.domainname') return 'uts';
  return undefined;
}

const DEVICES: Json[] = [
  { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 },
  { path: '/dev/net/tun', type: 'c', major: 10, minor: 200 },
  { path: '/dev/extra/null2', type: 'c', major: 1, minor: 3, fileMode: 384, uid: 1000, gid: 1000 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 416, gid: 5 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/myfifo', type: 'p' },
  { path: '/outside/null3', type: 'c', major: 1, minor: 3 },
  { path: '/dev/loop-diff', type: 'b', major: 7, minor: 200, fileMode: 432 },
];

const DEVICE_RULES: Json[] = [
  { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'r' },
  { allow: false, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'a', access: 'rwm' },
  { allow: true, type: 'c', major: 10, access: 'rw' },
  { allow: true, type: 'b', major: 7, minor: 200, access: 'rwm' },
];

const ARGV0 = weighted<string>(
  ['/bin/probe', 30], ['probe', 30], ['probe-link', 4], ['/bin/probe-link', 3], ['/bin/../bin/probe', 2], ['./probe', 1],
  ['bin/probe', 1], ['probe-root-only', 2], ['/bin/not-executable', 1], ['/bin', 1], ['nonexistent', 1], ['/nonexistent', 1],
);

const processArb = fc.record({
  argv0: ARGV0,
  // the ones without /bin make a bare args[0] fail in both
  pathEnv: weighted<string>(
    [DEFAULT_PATH, 40], ['PATH=/usr/local/bin:/bin', 6], ['none', 2], ['PATH=', 1], ['PATH=/nonexistent:/bin', 3], ['PATH=bin', 1],
    ['PATH=/usr/bin::/usr/local/bin', 1],
  ),
  extraEnv: fc.subarray(['TERM=xterm', 'HOME=/home/user', 'A=1', 'A=2', 'EMPTY=', 'LANG=C.UTF-8'], { maxLength: 3 }),
  cwd: weighted<string>(['/', 40], ['/tmp', 8], ['/bin', 6], ['/home/user', 6], ['/nonexistent/dir', 4], ['/etc/passwd', 1], ['/data/link', 4], ['tmp', 1]),
  uid: fc.constantFrom(0, 0, 1000, 65534),
  gid: fc.constantFrom(0, 0, 100, 1000),
  additionalGids: fc.option(fc.subarray([5, 100, 1000, 4242], { maxLength: 3 }), { nil: undefined }),
  umask: fc.option(fc.constantFrom(0, 0o22, 0o77, 0o27), { nil: undefined }),
  nnp: fc.boolean(),
  // lowering it below the caller's (0) needs CAP_SYS_RESOURCE, which hosts of this kind lack: refused by both
  oom: weighted<number | undefined>([undefined, 12], [0, 3], [100, 3], [1000, 2], [-500, 1]),
  exit: fc.constantFrom(0, 0, 0, 3),
});

/** seconds: a hook timeout that no hook of the generator's comes near */
const HOOK_TIMEOUT_NEVER_REACHED = 120;

const hooksArb = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  {
    weight: 1,
    arbitrary: fc
    .array(
      fc.record({
        kind: fc.constantFrom('prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'),
        env: fc.constantFrom<string[] | undefined>(undefined, ['HOOK=1', 'PATH=/bin'], []),
        timeout: fc.constantFrom<number | undefined>(undefined, undefined, 5, 1),
        slow: weighted([false, 5], [true, 1]),
        relative: weighted([false, 9], [true, 1]),
      }),
      { minLength: 1, maxLength: 3 },
    )
    .map((hs) => {
      const out: Record<string, Json[]> = {};
      for (const h of hs) {
        // Only a slow hook with the 1 s timeout is meant to time out: it sleeps
        // 1.5 s, so that holds however slow the machine. Every other timeout
        // is far above what a hook's start-up can take on a loaded or emulated
        // machine (the VM), so whether it fires never depends on timing.
        const timeout = h.timeout === undefined ? undefined : h.slow && h.timeout === 1 ? 1 : HOOK_TIMEOUT_NEVER_REACHED;
        const hook = probeHook(h.kind, { env: h.env, timeout }, h.slow && h.timeout !== undefined ? ['--sleep', '1500'] : []);
        // relative: the runtime's cwd (the bundle) holds a copy of the probe
        if (h.relative && h.kind !== 'startContainer') hook.path = 'probe-hook';
        (out[h.kind] ??= []).push(hook as unknown as Json);
      }
      return out;
    }),
  },
);

const seccompArb = fc.option(
  fc.record<ProfileKnobs>({
    generation: fc.constantFrom(...GENERATIONS),
    drop: fc.subarray(PROBE_OPTIONAL_SYSCALLS, { maxLength: 3 }),
    deny: fc.subarray(['keyctl', 'ptrace', 'unshare', 'mount', 'personality', 'socket'], { maxLength: 3 }),
    argFilters: fc.boolean(),
    defaultErrnoRet: fc.option(fc.constantFrom(1, 38), { nil: undefined }),
    flags: weighted<string[]>([[], 8], [['SECCOMP_FILTER_FLAG_LOG'], 1], [['SECCOMP_FILTER_FLAG_SPEC_ALLOW'], 1]),
    architectures: fc.boolean(),
    unknownName: fc.boolean(),
    clone3Enosys: fc.boolean(),
    action: fc.option(
      fc.record({
        name: fc.constantFrom('ptrace' as const, 'bpf' as const, 'io_uring_setup' as const),
        action: fc.constantFrom(...ACTIONS),
        errnoRet: fc.option(fc.constantFrom(1, 13, 38), { nil: undefined }),
      }),
      { nil: undefined, freq: 3 },
    ),
  }),
  { nil: undefined, freq: 2 },
);

const resourcesArb = fc.record({
  memory: fc.option(
    fc.record({
      limit: fc.constantFrom(67108864, 134217728, 268435456),
      reservation: fc.option(fc.constantFrom(33554432, 67108864), { nil: undefined }),
      swap: fc.option(fc.constantFrom(268435456, -1), { nil: undefined }),
      swappiness: fc.option(fc.constantFrom(0, 60), { nil: undefined }),
      disableOOMKiller: fc.option(fc.boolean(), { nil: undefined }),
    }),
    { nil: undefined },
  ),
  cpu: fc.option(
    fc.record({
      shares: fc.option(fc.constantFrom(2, 512, 1024, 262144), { nil: undefined }),
      quota: fc.option(fc.constantFrom(50000, 100000, -1), { nil: undefined }),
      period: fc.option(fc.constantFrom(100000, 250000), { nil: undefined }),
      cpus: fc.option(fc.constantFrom('0', '0-1'), { nil: undefined }),
      mems: fc.option(fc.constantFrom('0'), { nil: undefined }),
      idle: weighted<number | undefined>([undefined, 8], [0, 1], [1, 1]),
    }),
    { nil: undefined },
  ),
  pids: fc.option(fc.record({ limit: weighted([32, 3], [1024, 3], [-1, 2], [0, 1]) }), { nil: undefined }),
  blockIO: fc.option(fc.record({ weight: fc.constantFrom(10, 500, 1000) }), { nil: undefined }),
  unified: fc.option(fc.constantFrom<Record<string, string>>({ 'memory.high': '200000000' }, { 'pids.max': '77' }, { 'memory.oom.group': '1' }), {
    nil: undefined,
  }),
  devices: fc.subarray(DEVICE_RULES, { maxLength: 2 }),
});

function strip<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

const caseArb = (flavour: Flavour) =>
  fc.record({
    ns: namespacesArb(flavour),
    mounts: mountsArb,
    readonlyRoot: fc.boolean(),
    // "unbindable" makes the rootfs bind itself fail (refused by both)
    rootfsPropagation: weighted<string | undefined>([undefined, 30], ['private', 4], ['rprivate', 4], ['slave', 4], ['rslave', 4], ['shared', 2], ['rshared', 2], ['unbindable', 1]),
    caps: fc.option(capsArb, { nil: undefined, freq: 8 }),
    rlimits: rlimitsArb,
    masked: fc.constantFrom('default', 'default', 'none', 'extra'),
    maskedExtra: fc.subarray(EXTRA_MASKED, { maxLength: 3 }),
    readonly: fc.constantFrom('default', 'default', 'none', 'extra'),
    readonlyExtra: fc.subarray(EXTRA_READONLY, { maxLength: 3 }),
    devices: fc.subarray(DEVICES, { maxLength: 2 }),
    deviceRules: fc.subarray(DEVICE_RULES, { maxLength: 2 }),
    sysctls: fc.subarray(SYSCTLS, { maxLength: 2 }),
    /** keep sysctls and a hostname the namespaces do not allow (refused by both) */
    inconsistent: weighted([false, 12], [true, 1]),
    hostname: fc.constantFrom<string | undefined>(undefined, 'diff-host', ''),
    domainname: weighted<string | undefined>([undefined, 6], ['diff.example', 1]),
    process: processArb,
    hooks: hooksArb,
    seccomp: seccompArb,
    noNewKeyring: fc.boolean(),
    cgroupsPath: fc.constantFrom('suite', 'suite', 'none', 'relative'),
    resources: flavour === 'cgroup' ? fc.option(resourcesArb, { nil: undefined, freq: 10 }) : fc.constant(undefined),
  });

type Knobs = ReturnType<typeof caseArb> extends fc.Arbitrary<infer T> ? T : never;

function buildConfig(k: Knobs, flavour: Flavour): Spec {
  const p = k.process;
  const env = [...(p.pathEnv === 'none' ? [] : [p.pathEnv]), ...p.extraEnv];
  const user: Record<string, Json> = { uid: p.uid, gid: p.gid };
  if (p.additionalGids) user.additionalGids = p.additionalGids;
  if (p.umask !== undefined) user.umask = p.umask;
  const linux: Record<string, Json> = { ...(k.ns as Record<string, Json>) };
  const own = ((k.ns as { namespaces: Ns[] }).namespaces ?? []).filter((n) => !n.path).map((n) => n.type);

  const masked = k.masked === 'none' ? [] : k.masked === 'extra' ? [...DEFAULT_MASKED, ...k.maskedExtra] : DEFAULT_MASKED;
  const readonly = k.readonly === 'none' ? [] : k.readonly === 'extra' ? [...DEFAULT_READONLY, ...k.readonlyExtra] : DEFAULT_READONLY;
  linux.maskedPaths = masked;
  linux.readonlyPaths = readonly;
  // in a user namespace devices are bind mounts of the host's nodes: only those the host has
  const devices = own.includes('user') ? k.devices.filter((d) => !['/outside/null3', '/dev/loop-diff', '/dev/myfifo'].includes(String((d as { path: string }).path))) : k.devices;
  if (devices.length) linux.devices = devices;
  const devRules: Json[] = [{ allow: false, access: 'rwm' }, ...k.deviceRules];
  const resources: Record<string, Json> = { devices: devRules };
  if (k.resources) {
    const r = k.resources;
    if (r.memory) resources.memory = strip({ ...r.memory }) as Json;
    if (r.cpu) resources.cpu = strip({ ...r.cpu }) as Json;
    if (r.pids) resources.pids = r.pids;
    if (r.blockIO) resources.blockIO = r.blockIO;
    if (r.unified) resources.unified = r.unified;
    if (r.devices.length) resources.devices = [...devRules, ...r.devices];
  }
  linux.resources = resources;
  const sysctls = k.inconsistent ? k.sysctls : k.sysctls.filter(([key]) => {
    const need = sysctlNamespace(key);
    return need !== undefined && own.includes(need) && !(key === 'kernel.hostname' && k.hostname !== undefined);
  });
  if (sysctls.length) linux.sysctl = Object.fromEntries(sysctls);
  if (k.rootfsPropagation) linux.rootfsPropagation = k.rootfsPropagation;
  if (k.cgroupsPath === 'suite') linux.cgroupsPath = `/${TOKENS.cgroup}/${TOKENS.id}`;
  if (k.cgroupsPath === 'relative') linux.cgroupsPath = `${TOKENS.cgroup}/rel/${TOKENS.id}`;
  if (k.seccomp) linux.seccomp = seccompProfile(k.seccomp);
  const config: Spec = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user,
      args: [],
      env,
      cwd: p.cwd,
      noNewPrivileges: p.nnp,
    },
    root: { path: 'rootfs', readonly: k.readonlyRoot },
    mounts: k.mounts as unknown as Json,
    linux,
  };
  const proc = config.process as Record<string, Json>;
  if (k.caps) proc.capabilities = k.caps;
  else proc.capabilities = { bounding: RUNC_CAPS, effective: RUNC_CAPS, permitted: RUNC_CAPS };
  if (k.rlimits) proc.rlimits = k.rlimits as unknown as Json;
  if (p.oom !== undefined) proc.oomScoreAdj = p.oom;
  if (k.hostname !== undefined && (k.inconsistent || own.includes('uts'))) config.hostname = k.hostname;
  if (k.domainname !== undefined && (k.inconsistent || own.includes('uts'))) config.domainname = k.domainname;
  if (k.hooks) {
    config.hooks = k.hooks;
    // a startContainer hook logs into the rootfs: it has to be writable
    if (k.hooks.startContainer) (config.root as Record<string, Json>).readonly = false;
  }
  proc.args = [p.argv0, ...probeArgs(config, p.exit ? ['--exit', String(p.exit)] : [])];
  void flavour;
  return config;
}

function describe(k: Knobs): string {
  const ns = ((k.ns as { namespaces: Ns[] }).namespaces ?? []).map((n) => (n.path ? `${n.type}=caller` : n.type)).join(',');
  const parts = [
    `ns ${ns}`,
    `args[0] ${k.process.argv0}`,
    `${k.process.pathEnv === 'none' ? 'no PATH' : k.process.pathEnv}`,
    `cwd ${k.process.cwd}`,
    `user ${k.process.uid}:${k.process.gid}`,
    `nnp ${k.process.nnp}`,
  ];
  if (k.seccomp) parts.push(`seccomp ${k.seccomp.generation}${k.seccomp.defaultErrnoRet ? `/errno ${k.seccomp.defaultErrnoRet}` : ''}`);
  if (k.hooks) parts.push(`hooks ${Object.keys(k.hooks).join(',')}`);
  if (k.noNewKeyring) parts.push('--no-new-keyring');
  return parts.join('; ');
}

/** `count` cases from `seed`: the same seed always gives the same configs. */
export function generateCases(opts: { seed: number; count: number; flavour?: Flavour }): DiffCase[] {
  const flavour = opts.flavour ?? 'host';
  if (opts.count <= 0) return [];
  const knobs = fc.sample(caseArb(flavour), { seed: opts.seed, numRuns: opts.count });
  return knobs.map((k, i) => ({
    name: `generated #${i} (${flavour}, seed ${opts.seed})`,
    config: buildConfig(k, flavour),
    noNewKeyring: k.noNewKeyring,
    summary: describe(k),
  }));
}
