// The starter config.json that `tsrun spec` writes: runc's example spec
// (libcontainer/specconv/example.go) with tsrun's name and runtime-spec 1.3.0.
// Pure: host facts (cgroup v2, the caller's ids) come in as options, so tests
// and scripts can build bundles from it. Key order follows the Go structs,
// so the file reads like runc's.
import { OCI_VERSION } from '../../oci-spec/version';

const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface SpecMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

interface SpecIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** The subset of the OCI config that the default spec fills in. */
export interface DefaultSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: SpecMount[];
  linux: {
    uidMappings?: SpecIdMapping[];
    gidMappings?: SpecIdMapping[];
    resources?: { devices: { allow: boolean; access: string }[] };
    namespaces: { type: string }[];
    /** from DefaultSpecOptions.seccomp (`tsrun spec` passes the default profile) */
    seccomp?: Record<string, unknown>;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

export interface DefaultSpecOptions {
  /** add a cgroup namespace, as runc does on a pure cgroup v2 host */
  cgroupNamespace?: boolean;
  /**
   * linux.seccomp, placed after `namespaces` as runc's Go struct orders it.
   * runc's example spec has none; `tsrun spec` passes
   * src/seccomp/default-profile.ts (see docs/seccomp.md).
   */
  seccomp?: Record<string, unknown>;
  /** make it a rootless spec mapping container root to this host uid/gid (runc's ToRootless) */
  rootless?: { uid: number; gid: number };
}

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export function defaultSpec(opts: DefaultSpecOptions = {}): DefaultSpec {
  const spec: DefaultSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: [DEFAULT_PATH_ENV, 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'tsrun',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  if (opts.cgroupNamespace) spec.linux.namespaces.push({ type: 'cgroup' });
  if (opts.seccomp) {
    const { maskedPaths, readonlyPaths, ...before } = spec.linux;
    spec.linux = { ...before, seccomp: structuredClone(opts.seccomp), maskedPaths, readonlyPaths };
  }
  return opts.rootless ? toRootless(spec, opts.rootless.uid, opts.rootless.gid) : spec;
}

/**
 * runc's ToRootless: drop the network namespace, add a user namespace mapping
 * container root to the caller, bind /sys instead of mounting sysfs, drop
 * uid=/gid= mount options and all cgroup resources. Returns a new spec.
 */
export function toRootless(input: DefaultSpec, uid: number, gid: number): DefaultSpec {
  const spec = structuredClone(input);
  const linux = spec.linux;
  linux.namespaces = linux.namespaces.filter((ns) => ns.type !== 'network' && ns.type !== 'user');
  linux.namespaces.push({ type: 'user' });
  delete linux.uidMappings;
  delete linux.gidMappings;
  // key order as runc writes it: mappings first
  spec.linux = {
    uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    ...linux,
  };
  delete spec.linux.resources;
  spec.mounts = spec.mounts.map((m) => {
    if (normalizeDest(m.destination) === '/sys') {
      return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    }
    if (!m.options) return m;
    return { ...m, options: m.options.filter((o) => !o.startsWith('uid=') && !o.startsWith('gid=')) };
  });
  return spec;
}

/** config.json text as `runc spec` writes it: tab indent, no trailing newline. */
export function formatSpecJson(spec: object): string {
  return JSON.stringify(spec, null, '\t');
}

function normalizeDest(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  return `/${parts.join('/')}`;
}
