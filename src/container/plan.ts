// config.json -> InitPlan: everything the C child needs, computed before the
// fork. Pure: host facts and the cgroup mount expansion come in as inputs.
import * as path from 'node:path';
import type { Config, Mount, Process } from '../../oci-spec';
import type {
  CapabilityPlan,
  HookPlan,
  InitPlan,
  MountPlan,
  NamespacePlan,
  ProcessPlan,
  RlimitPlan,
  SeccompPlan,
  SymlinkPlan,
} from '../native/plan';
import { devSymlinks, plannedDevices } from '../rootfs/devices';
import { CAPABILITIES, RLIMIT_TYPES } from '../../oci-spec/runtime-enums';
import { MS, PERSONALITY } from '../native/linux-constants';
import { parseMountOptions, propagationFlag } from '../rootfs/mount-options';
import { overlayPlan, overlaySpec } from '../rootfs/overlay';

export interface PlanHost {
  /** /proc/sys/kernel/cap_last_cap */
  lastCap: number;
  /** the capability bounding set tsrun itself runs with */
  boundingSet: bigint;
  /** /proc/kcore exists (runc then links /dev/core to it) */
  hasKcore: boolean;
  /** SELinux is enabled: linux.mountLabel becomes a context= mount option */
  selinuxEnabled?: boolean;
}

/** What a `cgroup`-type mount becomes (the cgroup manager knows the layout). */
type CgroupMountExpander = (m: Mount) => { mounts: MountPlan[]; symlinks: SymlinkPlan[] };

export interface PlanInput {
  id: string;
  /** absolute bundle directory */
  bundle: string;
  config: Config;
  /** the start FIFOs' paths (the state dir's START_FIFO and START_REPLY) */
  startFifoPath: string;
  startReplyPath: string;
  host: PlanHost;
  /** --no-new-keyring: the container keeps the caller's session keyring */
  noNewKeyring?: boolean;
  noPivot?: boolean;
  preserveFds?: number;
  consoleSocketFd?: number;
  expandCgroupMount?: CgroupMountExpander;
  seccomp?: SeccompPlan;
  /** overlay rootfs with mount(2) and one data string, as on kernels before 6.8 */
  forceClassicOverlayMount?: boolean;
}

export interface PlanResult {
  plan: InitPlan;
  warnings: string[];
}

const DEFAULT_UMASK = 0o022;

export function rootfsPath(bundle: string, config: Config): string {
  return path.resolve(bundle, config.root?.path ?? 'rootfs');
}

export function buildInitPlan(input: PlanInput): PlanResult {
  const { config } = input;
  const warnings: string[] = [];
  const linux = config.linux ?? {};
  const namespaces: NamespacePlan[] = (linux.namespaces ?? []).map((ns) =>
    ns.path ? { type: ns.type, path: ns.path } : { type: ns.type },
  );
  const newUserNs = namespaces.some((ns) => ns.type === 'user' && !ns.path);
  const inUserNs = namespaces.some((ns) => ns.type === 'user');

  const mounts: MountPlan[] = [];
  const symlinks: SymlinkPlan[] = [];
  for (const m of config.mounts ?? []) {
    if (m.type === 'cgroup') {
      if (!input.expandCgroupMount) throw new Error('cgroup mount without a cgroup manager');
      const x = input.expandCgroupMount(m);
      mounts.push(...x.mounts);
      symlinks.push(...x.symlinks);
      continue;
    }
    mounts.push(mountPlan(m, input.bundle));
  }
  if (linux.mountLabel && input.host.selinuxEnabled) {
    for (const m of mounts) m.data = withMountLabel(m, linux.mountLabel);
  }

  // runc sets up /dev (nodes, links, ptmx) unless /dev is bind-mounted from the host
  const devBound = mounts.some((m) => m.destination === '/dev' && (m.flags & MS.BIND) !== 0);
  const setupDev = !devBound;
  if (setupDev) symlinks.unshift(...devSymlinks(input.host.hasKcore));

  const overlay = overlaySpec(config.annotations);
  const process = processPlan(config.process, input.host, warnings);
  if (input.seccomp) process.seccomp = input.seccomp;

  const plan: InitPlan = {
    containerId: input.id,
    namespaces,
    rootfs: rootfsPath(input.bundle, config),
    overlay: overlay ? overlayPlan(overlay, input.forceClassicOverlayMount === true) : null,
    readonlyRootfs: config.root?.readonly === true,
    rootfsPropagation: propagationFlags(linux.rootfsPropagation),
    noPivot: input.noPivot === true,
    mounts,
    devices: setupDev ? plannedDevices(linux.devices) : [],
    // mknod is not allowed in a user namespace: bind the host's nodes instead
    bindDevices: inUserNs,
    symlinks,
    setupDev,
    maskedPaths: linux.maskedPaths ?? [],
    readonlyPaths: linux.readonlyPaths ?? [],
    // runc sets neither when it is empty: the UTS namespace keeps the caller's names
    hostname: config.hostname || null,
    domainname: config.domainname || null,
    sysctl: Object.entries(linux.sysctl ?? {}).map(([k, v]) => [k.replace(/\./g, '/'), v]),
    timeOffsets: timeOffsetLines(linux.timeOffsets),
    personality: linux.personality ? (PERSONALITY[linux.personality.domain] ?? -1) : -1,
    process,
    startFifoPath: input.startFifoPath,
    startReplyPath: input.startReplyPath,
    ...sessionKeyring(input.id, input.noNewKeyring === true, inUserNs),
    createContainerHooks: (config.hooks?.createContainer ?? []).map(hookPlan),
    startContainerHooks: (config.hooks?.startContainer ?? []).map(hookPlan),
    preserveFds: input.preserveFds ?? 0,
    consoleSocketFd: input.consoleSocketFd ?? -1,
  };
  void newUserNs;
  return { plan, warnings };
}

/**
 * runc's session keyring: "_ses.<id>", searchable by the possessor's uid
 * (KEY_USR_SEARCH), or in a user namespace by others (KEY_OTH_SEARCH).
 */
function sessionKeyring(id: string, noNewKeyring: boolean, inUserNs: boolean): { sessionKeyring?: string; sessionKeyringPerm?: number } {
  if (noNewKeyring) return {};
  return { sessionKeyring: sessionKeyringName(id), sessionKeyringPerm: inUserNs ? 0x8 : 0x80000 };
}

export function sessionKeyringName(id: string): string {
  return `_ses.${id}`;
}

/** Filesystems that take no SELinux context= option (runc labels them otherwise or not at all). */
const NO_MOUNT_LABEL = new Set(['proc', 'sysfs', 'mqueue', 'cgroup', 'cgroup2']);

/** runc's label.FormatMountLabel: `context="<label>"` for the filesystems a container creates. */
function withMountLabel(m: MountPlan, label: string): string {
  if ((m.flags & MS.BIND) !== 0 || NO_MOUNT_LABEL.has(m.fstype) || /(^|,)context=/.test(m.data)) return m.data;
  const context = `context="${label}"`;
  return m.data ? `${m.data},${context}` : context;
}

export function mountPlan(m: Mount, bundle: string): MountPlan {
  const o = parseMountOptions(m.options);
  const bind = o.bind || m.type === 'bind';
  let source = m.source ?? '';
  // runc resolves a relative bind source against the bundle
  if (bind && source && !path.isAbsolute(source)) source = path.resolve(bundle, source);
  return {
    source,
    destination: path.posix.normalize(m.destination),
    fstype: bind ? '' : (m.type ?? ''),
    flags: bind ? MS.BIND | (o.recursiveBind ? MS.REC : 0) : o.flags,
    data: o.data,
    remountFlags: bind ? o.flags & ~MS.REMOUNT : 0,
    propagation: o.propagation,
    recursiveAttrSet: o.recursiveAttrSet,
    recursiveAttrClr: o.recursiveAttrClr,
    destinationIsFile: false,
  };
}

/** linux.rootfsPropagation -> MS_* flags; 0 when unset (the init then uses rslave) */
export function propagationFlags(p: string | undefined): number {
  return p ? (propagationFlag(p) ?? 0) : 0;
}

function timeOffsetLines(
  offsets: Record<string, { secs?: number | bigint; nanosecs?: number } | undefined> | undefined,
): string[] {
  if (!offsets) return [];
  return Object.entries(offsets).map(([clock, o]) => `${clock} ${String(o?.secs ?? 0)} ${o?.nanosecs ?? 0}\n`);
}

/** A hook without `env` gets the container process's environment, as runc's init gives it. */
function hookPlan(h: { path: string; args?: string[]; env?: string[]; timeout?: number }): HookPlan {
  return { path: h.path, args: h.args ?? [h.path], env: h.env ?? [], inheritEnv: h.env === undefined, timeout: h.timeout ?? 0 };
}

/** Capability names -> bit mask, keeping only what this host can grant. */
export function capabilityMask(names: readonly string[] | undefined, grantable: bigint, dropped: Set<string>): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) continue; // unknown names are rejected by the config checks
    const b = 1n << BigInt(bit);
    if ((grantable & b) === 0n) {
      dropped.add(name);
      continue;
    }
    mask |= b;
  }
  return mask;
}

function grantableCapabilities(host: PlanHost): bigint {
  const all = (1n << BigInt(host.lastCap + 1)) - 1n;
  return all & host.boundingSet;
}

/**
 * One entry per variable, the last one given winning, in the order of those
 * last entries (runc's prepareEnv). HOME, when missing or empty, is added by
 * the child from the container's /etc/passwd (native/src/process.c).
 */
export function dedupeEnv(env: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = env.length - 1; i >= 0; i--) {
    const e = env[i]!;
    const eq = e.indexOf('=');
    const name = eq < 0 ? e : e.slice(0, eq);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(e);
  }
  return out.reverse();
}

export function processPlan(p: Process | undefined, host: PlanHost, warnings: string[]): ProcessPlan {
  if (!p) throw new Error('config has no process');
  const grantable = grantableCapabilities(host);
  const dropped = new Set<string>();
  const c = p.capabilities ?? {};
  const capabilities: CapabilityPlan = {
    bounding: capabilityMask(c.bounding, grantable, dropped),
    effective: capabilityMask(c.effective, grantable, dropped),
    inheritable: capabilityMask(c.inheritable, grantable, dropped),
    permitted: capabilityMask(c.permitted, grantable, dropped),
    ambient: capabilityMask(c.ambient, grantable, dropped),
  };
  // the kernel raises an ambient capability only when it is permitted and
  // inheritable; the config checks warn about the others
  capabilities.ambient &= capabilities.permitted & capabilities.inheritable;
  if (dropped.size) {
    warnings.push(
      `capabilities not available on this host, not granted: ${[...dropped].sort().join(', ')}`,
    );
  }
  const rlimits: RlimitPlan[] = (p.rlimits ?? []).map((r) => ({
    // RLIMIT_TYPES is in resource-number order
    resource: RLIMIT_TYPES.indexOf(r.type),
    name: r.type,
    soft: BigInt(r.soft),
    hard: BigInt(r.hard),
  }));
  return {
    args: p.args ?? [],
    env: dedupeEnv(p.env ?? []),
    cwd: p.cwd,
    user: {
      uid: p.user.uid,
      gid: p.user.gid,
      additionalGids: p.user.additionalGids ?? [],
      umask: p.user.umask ?? DEFAULT_UMASK,
    },
    capabilities,
    rlimits,
    noNewPrivileges: p.noNewPrivileges === true,
    oomScoreAdj: p.oomScoreAdj ?? -1001,
    terminal: p.terminal === true,
    consoleHeight: p.consoleSize?.height ?? 0,
    consoleWidth: p.consoleSize?.width ?? 0,
    apparmorProfile: p.apparmorProfile ?? '',
    selinuxLabel: p.selinuxLabel ?? '',
  };
}
