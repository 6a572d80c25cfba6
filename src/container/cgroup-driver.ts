// Which cgroup manager a container gets: the systemd driver (--systemd-cgroup:
// a transient scope of the system manager, or of the user's own manager when
// rootless) or tsrun's own cgroupfs managers; and, for an existing container,
// the one its stored descriptor says made it.
import { cgroupManagerFor, loadCgroupManager, type CgroupDescriptor, type CgroupEnv, type CgroupManager } from '../cgroups/manager';
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
  return cgroupManagerFor({ containerId: o.containerId, cgroupsPath: o.cgroupsPath, configDevicePaths: o.configDevicePaths, warn: o.warn });
}

/** The manager of an existing container, from the descriptor its create stored. */
export function loadContainerCgroup(desc: CgroupDescriptor, env: CgroupEnv = {}): CgroupManager {
  return desc.systemd ? loadSystemdManager(desc, env) : loadCgroupManager(desc, env);
}
