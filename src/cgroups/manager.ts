// The one cgroup interface the container lifecycle uses, for v2 and for v1
// (hybrid included) hosts. Calls are synchronous: each is a handful of small
// cgroupfs reads and writes, and the CLI needs no event loop for them.
//
// Lifecycle: create → create() + apply(initPid) (before the init unshares its
// cgroup namespace) + setResources(linux.resources); pause/resume → freeze()/
// thaw(); ps → pids(); kill --all → killAll(); update → update(); events →
// stats()/oomKillCount(); delete → destroy(). Persist descriptor() in the state
// and rebuild the manager in a later process with loadCgroupManager().
import type { Native } from '../native/index';
import type { CgroupDescriptor, CgroupEnv, DestroyOptions } from './base';
import { detectCgroupHost, type CgroupHost, type CgroupLayout } from './detect';
import type { WriteTrace } from './fsio';
import type { CgroupMountPlan, CgroupMountRequest } from './mount-plan';
import { rejectSystemdCgroup, resolveCgroupDirs, type HierarchyDir } from './paths';
import type { LinuxResources } from './resources';
import type { CgroupStats } from './stats';
import { V1Manager } from './v1/manager';
import { V2Manager } from './v2/manager';
import { CgroupError } from '../errors';

export type { CgroupDescriptor, CgroupEnv } from './base';

export interface CgroupManager {
  readonly layout: CgroupLayout;
  readonly containerId: string;
  /** the container's directory in each hierarchy (key as in /proc/<pid>/cgroup, "" = cgroup2) */
  dirs(): readonly HierarchyDir[];
  /** mkdir the path in every hierarchy (v2: enable controllers top-down; v1: seed cpuset); refuses a non-empty or frozen existing cgroup */
  create(): void;
  /** move `pid` into every hierarchy (and the unified dir on hybrid hosts) */
  apply(pid: number): void;
  /** apply linux.resources at create time (runc's write order) */
  setResources(res: LinuxResources): void;
  /** runc update: merge (zero = unchanged), apply, and return the merged resources to persist; a refused write restores what the update wrote before it */
  update(res: LinuxResources): LinuxResources;
  /** the resources in effect */
  resources(): LinuxResources;
  /** pause: freeze and wait until the kernel reports frozen */
  freeze(): void;
  /** resume: thaw and wait until the kernel reports thawed */
  thaw(): void;
  isFrozen(): boolean;
  /** every pid in the container's cgroup subtree, sorted */
  pids(): number[];
  /** signal every process (v2 SIGKILL: cgroup.kill; else freeze, signal, thaw) */
  killAll(signal: number | NodeJS.Signals): void;
  /**
   * kill leftovers (SIGKILL rounds until empty), rmdir only what create()
   * made (bottom-up, EBUSY retried; a parent only if nothing else uses it);
   * idempotent. includeUnrecordedLeaf: also the container's own dirs when no
   * descriptor recorded them (cleanup after a crash inside create)
   */
  destroy(opts?: DestroyOptions): void;
  /** the container's cgroup directory exists in some hierarchy */
  exists(): boolean;
  /** `events --stats` data */
  stats(): CgroupStats;
  /** OOM kills so far (v2 memory.events oom_kill, v1 memory.oom_control oom_kill) */
  oomKillCount(): number;
  /** JSON for the state store; loadCgroupManager() rebuilds the manager from it */
  descriptor(): CgroupDescriptor;
  /** descriptor() as it will be after create(): `created` holds every dir of the path that does not exist yet */
  plannedDescriptor(): CgroupDescriptor;
  /** what a `cgroup` mount in the config becomes for this container */
  mountPlan(req: CgroupMountRequest): CgroupMountPlan;
}

export interface CgroupManagerOptions {
  containerId: string;
  /** linux.cgroupsPath (absolute, relative, or empty/absent = "<id>" relative) */
  cgroupsPath?: string;
  /** --systemd-cgroup was given: refused until a systemd driver exists */
  systemdCgroup?: boolean;
  /** linux.devices[].path: runc leaves the default allow for such a device to the config */
  configDevicePaths?: string[];
  /** host layout (tests pass a fake tree); default: detectCgroupHost() */
  host?: CgroupHost;
  native?: Pick<Native, 'loadDeviceFilter'>;
  trace?: WriteTrace;
  warn?: (message: string) => void;
}

function build(desc: CgroupDescriptor, env: CgroupEnv): CgroupManager {
  return desc.layout === 'v2' ? new V2Manager(desc, env) : new V1Manager(desc, env);
}

/** A manager for a new container (nothing is touched until create()). */
export function cgroupManagerFor(opts: CgroupManagerOptions): CgroupManager {
  if (opts.systemdCgroup) rejectSystemdCgroup(opts.containerId);
  const host = opts.host ?? detectCgroupHost();
  const desc: CgroupDescriptor = {
    version: 1,
    layout: host.layout,
    containerId: opts.containerId,
    cgroupsPath: opts.cgroupsPath ?? '',
    hierarchies: resolveCgroupDirs(host, opts.cgroupsPath, opts.containerId),
    created: [],
    resources: {},
    configDevicePaths: opts.configDevicePaths ?? [],
  };
  return build(desc, { native: opts.native, trace: opts.trace, warn: opts.warn });
}

/** Rebuild a manager from a descriptor a previous tsrun process stored. */
export function loadCgroupManager(desc: CgroupDescriptor, env: CgroupEnv = {}): CgroupManager {
  if (!desc || desc.version !== 1 || !Array.isArray(desc.hierarchies) || desc.hierarchies.length === 0) {
    throw new CgroupError('the stored cgroup descriptor is not one this tsrun understands (version 1 expected)', { containerId: desc?.containerId });
  }
  return build(desc, env);
}
