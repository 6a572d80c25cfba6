// Which cgroup manager a container gets: the systemd driver (--systemd-cgroup:
// a transient scope of the system manager, or of the user's own manager when
// rootless), tsrun's own cgroupfs managers, or, rootless where no cgroup was
// delegated, none (src/rootless/unmanaged-cgroup.ts); and, for an existing
// container, the one its stored descriptor says made it.
import { cgroupManagerFor, loadCgroupManager, type CgroupDescriptor, type CgroupEnv, type CgroupManager } from '../cgroups/manager';
import { canCreateBelow, UnmanagedCgroup } from '../rootless/unmanaged-cgroup';
import { loadSystemdManager, newSystemdManager } from '../systemd/manager';
import type { RuntimeContext } from './options';

export interface ContainerCgroupOptions {
  containerId: string;
  cgroupsPath?: string;
  configDevicePaths?: string[];
  warn: (message: string) => void;
}

/** The manager for a new container (systemd is asked now, so an unreachable one fails before anything is made). */
export function newContainerCgroup(ctx: RuntimeContext, o: ContainerCgroupOptions): CgroupManager {
  const env: CgroupEnv = { warn: o.warn };
  if (ctx.systemdCgroup) {
    return newSystemdManager({ containerId: o.containerId, cgroupsPath: o.cgroupsPath, userManager: ctx.rootless, configDevicePaths: o.configDevicePaths, env });
  }
  const manager = cgroupManagerFor({ containerId: o.containerId, cgroupsPath: o.cgroupsPath, configDevicePaths: o.configDevicePaths, warn: o.warn });
  if (!ctx.rootless) return manager;
  const denied = manager.dirs().map((h) => canCreateBelow(h.dir)).find((c) => !c.writable);
  if (!denied) return manager;
  const reason = `${denied.existing} is not writable by uid ${process.geteuid?.()}`;
  o.warn(`rootless: no cgroup for the container (${reason}): it stays in tsrun's own cgroup, without limits; use --systemd-cgroup for a delegated one`);
  const desc: CgroupDescriptor = { ...manager.descriptor(), unmanaged: reason };
  return new UnmanagedCgroup(desc);
}

/** The manager of an existing container, from the descriptor its create stored. */
export function loadContainerCgroup(desc: CgroupDescriptor, env: CgroupEnv = {}): CgroupManager {
  if (desc.unmanaged !== undefined) return new UnmanagedCgroup(desc);
  return desc.systemd ? loadSystemdManager(desc, env) : loadCgroupManager(desc, env);
}
