// The systemd cgroup driver (--systemd-cgroup), behind the same CgroupManager
// interface as the cgroupfs managers. The container's cgroup is a transient
// scope unit "<prefix>-<name>.scope" that systemd creates in "<slice>" with
// the init's first process in it (StartTransientUnit: a scope needs a pid, so
// the unit starts in apply(), not create()), Delegate=yes, and the resources
// as unit properties; then, as runc does, every resource is written to the
// scope's cgroup files too, which covers what systemd does not model (and the
// device filter, a BPF program of tsrun's own). Pause, resume, ps, kill and
// statistics work on the scope's directory like the v2 manager's; `update`
// sets the unit properties first; destroy stops the unit (and the slices this
// container's create had to start, once nothing else is in them).
//
// As root the system manager is used, rootless the user's own manager, whose
// scopes live below its cgroup (user@UID.service). Only the unified (v2)
// hierarchy is supported.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError, SystemdError } from '../errors';
import type { CgroupDescriptor, CgroupEnv, SystemdRecord } from '../cgroups/base';
import { detectCgroupHost, type CgroupHost } from '../cgroups/detect';
import type { CgroupManager } from '../cgroups/manager';
import { mergeResources } from '../cgroups/merge';
import type { CgroupMountPlan, CgroupMountRequest } from '../cgroups/mount-plan';
import type { HierarchyDir } from '../cgroups/paths';
import type { LinuxResources } from '../cgroups/resources';
import type { CgroupStats } from '../cgroups/stats';
import { V2Manager } from '../cgroups/v2/manager';
import type { ManagerScope } from './address';
import { SystemdClient, type ClientOptions } from './client';
import { resourceProperties, scopeProperties } from './properties';
import { parseSystemdCgroupsPath, sliceChain, expandSlice } from './unit-name';

export interface SystemdManagerOptions {
  containerId: string;
  cgroupsPath?: string;
  /** the user's own manager (rootless) instead of the system manager */
  userManager: boolean;
  configDevicePaths?: string[];
  host?: CgroupHost;
  env?: CgroupEnv;
  client?: ClientOptions;
}

/** Opens (once) the connection a manager uses; tests hand in scripted peers through ClientOptions. */
class Connector {
  private client?: SystemdClient;
  constructor(
    private readonly scope: ManagerScope,
    private readonly opts: ClientOptions = {},
  ) {}

  get(): SystemdClient {
    this.client ??= SystemdClient.connect(this.scope, this.opts);
    return this.client;
  }
}

function scopeOf(userManager: boolean): ManagerScope {
  return userManager ? 'user' : 'system';
}

/** A manager for a new container: connects to systemd (a clear error when none answers) and works out the scope's cgroup. */
export function newSystemdManager(o: SystemdManagerOptions): SystemdManager {
  const host = o.host ?? detectCgroupHost();
  if (host.layout !== 'v2' || !host.unified) {
    throw new CgroupError(
      `--systemd-cgroup: this host's cgroups are ${host.layout === 'hybrid' ? 'hybrid (v1 controllers and a cgroup2 tree)' : 'v1'}; ` +
        "tsrun's systemd driver needs the unified cgroup v2 hierarchy (boot with systemd.unified_cgroup_hierarchy=1), or run without --systemd-cgroup",
      { containerId: o.containerId },
    );
  }
  const parsed = parseSystemdCgroupsPath(o.cgroupsPath, o.containerId, o.userManager);
  const connector = new Connector(scopeOf(o.userManager), o.client);
  const client = connector.get();
  // the user manager's scopes and slices live below its own cgroup
  const managerRoot = o.userManager ? String(client.managerProperty('ControlGroup').value) : '/';
  const dir = path.posix.join(host.unified.mountpoint, managerRoot, expandSlice(parsed.slice, o.containerId), parsed.unit);
  const record: SystemdRecord = { manager: scopeOf(o.userManager), unit: parsed.unit, slice: parsed.slice, managerRoot, startedSlices: [] };
  const desc: CgroupDescriptor = {
    version: 1,
    layout: 'v2',
    containerId: o.containerId,
    cgroupsPath: o.cgroupsPath ?? '',
    hierarchies: [{ key: '', controllers: [], mountpoint: host.unified.mountpoint, dir }],
    created: [],
    resources: {},
    configDevicePaths: o.configDevicePaths ?? [],
    systemd: record,
  };
  return new SystemdManager(desc, o.env ?? {}, { unitStarted: false, connector });
}

/** Rebuild the manager of an existing container from its stored descriptor. */
export function loadSystemdManager(desc: CgroupDescriptor, env: CgroupEnv = {}, client?: ClientOptions): SystemdManager {
  if (!desc.systemd) throw new CgroupError('the stored cgroup descriptor was not made by the systemd driver', { containerId: desc.containerId });
  return new SystemdManager(desc, env, { unitStarted: true, connector: new Connector(desc.systemd.manager, client) });
}

/** No cgroup below `dir` (a slice tsrun started is stopped only then: stopping a slice stops what is in it). */
function isEmptyCgroup(dir: string): boolean {
  try {
    return !fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory());
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

export class SystemdManager implements CgroupManager {
  readonly layout = 'v2' as const;
  readonly containerId: string;
  private readonly files: V2Manager;
  private readonly record: SystemdRecord;
  private readonly connector: Connector;
  private unitStarted: boolean;
  /** resources given before the unit exists: properties of the unit when it starts */
  private pending?: LinuxResources;

  constructor(desc: CgroupDescriptor, env: CgroupEnv, o: { unitStarted: boolean; connector: Connector }) {
    if (!desc.systemd) throw new CgroupError('a systemd cgroup descriptor needs its unit record', { containerId: desc.containerId });
    this.containerId = desc.containerId;
    const { systemd, ...files } = desc;
    this.record = { ...systemd, startedSlices: [...systemd.startedSlices] };
    this.files = new V2Manager(files, env);
    this.connector = o.connector;
    this.unitStarted = o.unitStarted;
  }

  private get dir(): string {
    return this.files.dirs()[0]!.dir;
  }

  /** the scope unit's name, e.g. "tsrun-abc.scope" */
  get unit(): string {
    return this.record.unit;
  }

  dirs(): readonly HierarchyDir[] {
    return this.files.dirs();
  }

  /** Nothing to make yet (systemd makes the scope when a pid joins it); refuses a name whose unit is already running. */
  create(): void {
    const state = this.connector.get().activeState(this.record.unit);
    if (state === 'active' || state === 'activating' || state === 'reloading') {
      throw new CgroupError(`systemd unit ${this.record.unit} already exists (${state}): not a new container`, { containerId: this.containerId, path: this.dir });
    }
  }

  /**
   * The resources as unit properties and cgroup files. Given before the unit
   * exists, they are checked now and become its properties when apply()
   * starts it. Given once it runs (create applies the limits after the init
   * has forked, runc's order), they are set on the unit (SetUnitProperties)
   * and then written to its files, as runc's Set does: a property left unset
   * would let systemd put the file back to its default on its next change.
   */
  setResources(res: LinuxResources): void {
    this.files.computeWrites(res);
    resourceProperties(res, { systemdVersion: Number.MAX_SAFE_INTEGER });
    if (!this.unitStarted) {
      this.pending = structuredClone(res);
      return;
    }
    const client = this.connector.get();
    client.setUnitProperties(this.record.unit, resourceProperties(res, { systemdVersion: client.version() }));
    this.files.setResources(res);
  }

  /**
   * The first call (create's stage 1 of the init) starts the scope with `pid`
   * in it, then writes the resources given so far to its files; later calls
   * (exec) join the scope's cgroup like the v2 manager.
   */
  apply(pid: number): void {
    if (this.unitStarted) return this.files.apply(pid);
    const client = this.connector.get();
    this.startMissingSlices(client);
    const props = [...scopeProperties({ containerId: this.containerId, slice: this.record.slice, pid }), ...resourceProperties(this.pending ?? {}, { systemdVersion: client.version() })];
    client.startTransientUnit(this.record.unit, props);
    this.unitStarted = true;
    this.checkPlacement(pid);
    if (this.pending) this.files.setResources(this.pending);
  }

  /** systemd put the pid where the descriptor says the container's cgroup is. */
  private checkPlacement(pid: number): void {
    let line: string | undefined;
    try {
      line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
    } catch {
      return; // gone: the init's own error says why
    }
    const want = `0::/${path.posix.relative(this.files.dirs()[0]!.mountpoint, this.dir)}`;
    if (line !== undefined && line !== want) {
      throw new SystemdError(`systemd started ${this.record.unit}, but process ${pid} is in ${line.slice(3)}, not ${want.slice(3)}`, { containerId: this.containerId });
    }
  }

  /** Start, top-down, the slices of the chain that are not active (systemd would start them implicitly; tsrun records them to stop them again). */
  private startMissingSlices(client: SystemdClient): void {
    for (const slice of sliceChain(this.record.slice, this.containerId)) {
      const state = client.activeState(slice);
      if (state === 'active' || state === 'activating' || state === 'reloading') continue;
      // systemd loads a slice without a unit file with its defaults
      client.startUnit(slice);
      this.record.startedSlices.push(slice);
    }
  }

  update(res: LinuxResources): LinuxResources {
    const client = this.connector.get();
    const before = this.files.resources();
    const merged = mergeResources(before, res);
    const version = client.version();
    client.setUnitProperties(this.record.unit, resourceProperties(merged, { systemdVersion: version }));
    try {
      return this.files.update(res);
    } catch (err) {
      // the files kept their values (the v2 manager's rollback): so do the properties
      try {
        client.setUnitProperties(this.record.unit, resourceProperties(before, { systemdVersion: version }));
      } catch {
        // the error that got us here is what matters
      }
      throw err;
    }
  }

  resources(): LinuxResources {
    return this.files.resources();
  }

  freeze(): void {
    this.files.freeze();
  }

  thaw(): void {
    this.files.thaw();
  }

  isFrozen(): boolean {
    return this.files.isFrozen();
  }

  pids(): number[] {
    return this.files.pids();
  }

  killAll(signal: number | NodeJS.Signals): void {
    this.files.killAll(signal);
  }

  /**
   * Kill what is left, stop the unit (systemd removes its cgroup) and reset a
   * failed state, stop the slices this container started once they are
   * empty, and remove a directory systemd left. Idempotent: a unit that is
   * gone counts as stopped.
   */
  destroy(): void {
    this.files.destroy();
    const client = this.connector.get();
    client.stopUnit(this.record.unit);
    const mountpoint = this.files.dirs()[0]!.mountpoint;
    for (const slice of [...this.record.startedSlices].reverse()) {
      if (isEmptyCgroup(path.posix.join(mountpoint, this.record.managerRoot, expandSlice(slice)))) client.stopUnit(slice);
    }
    this.record.startedSlices = [];
    try {
      fs.rmdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CgroupError(`systemd stopped ${this.record.unit} but its cgroup ${this.dir} remains: ${(err as Error).message}`, { containerId: this.containerId, path: this.dir });
      }
    }
  }

  exists(): boolean {
    return this.files.exists();
  }

  stats(): CgroupStats {
    return this.files.stats();
  }

  oomKillCount(): number {
    return this.files.oomKillCount();
  }

  descriptor(): CgroupDescriptor {
    return { ...this.files.descriptor(), systemd: { ...this.record, startedSlices: [...this.record.startedSlices] } };
  }

  /**
   * Before create(): the unit and its cgroup (systemd makes the dir, so
   * `created` stays empty); destroy() from it stops the unit, which a create
   * killed after StartTransientUnit leaves behind. Slices started for the
   * path are recorded only once started.
   */
  plannedDescriptor(): CgroupDescriptor {
    return this.descriptor();
  }

  mountPlan(req: CgroupMountRequest): CgroupMountPlan {
    return this.files.mountPlan(req);
  }
}

