// `create`: validate, make the state dir and cgroups, fork the init and drive
// it until it waits for `start`. A failure at any step removes everything
// this call made: processes, cgroups, state dir.
import { OCI_VERSION } from '../../oci-spec/version';
import * as path from 'node:path';
import type { Config } from '../../oci-spec';
import { cgroupManagerFor, type CgroupManager } from '../cgroups/manager';
import { fromSpecResources } from '../cgroups/resources';
import { runHooks } from '../hooks/run';
import { fromNodeError } from '../errors';
import { log } from '../log';
import { native, type Native } from '../native';
import { connectSeccompAgent, containerProcessStateJson } from '../seccomp/listener';
import { buildSeccompPlan, unknownSyscallsWarning } from '../seccomp/plan';
import { writePidFile } from '../state/pidfile';
import { processStartTime } from '../state/proc';
import { StateStore, type ContainerHandle } from '../state/store';
import { createdTimestamp } from '../state/time';
import { STATE_FORMAT_VERSION, type StoredState } from '../state/types';
import { loadBundleConfig } from './config-file';
import { hookState, runPoststopHooks } from './container';
import { readHost, type Host } from './host';
import { writeIdMaps } from './idmap';
import { launchInit } from './init-process';
import type { CreateOptions, RuntimeContext } from './options';
import { buildInitPlan, rootfsPath } from './plan';
import { preflight } from './preflight';
import { parseMountOptions } from '../rootfs/mount-options';
import { SECCOMP_CACHE_DIR, START_SOCKET } from '../state/types';

export interface CreateDeps {
  native: Native;
  host: () => Host;
}

export interface CreateRequest extends CreateOptions {
  /** `run`: tsrun is the subreaper and must reap what it kills */
  reap?: boolean;
  /** `run` with a terminal and no --console-socket: the end tsrun itself receives on */
  consoleSocketFd?: number;
  /** the bundle's config.json, when the caller has loaded it already */
  config?: Config;
  /** fds the init gets as 0, 1, 2 (the shim's FIFOs); absent: the caller's own (pass-through) */
  stdio?: [number, number, number];
}

export interface CreatedContainer {
  id: string;
  initPid: number;
  state: StoredState;
}

const defaultDeps = (): CreateDeps => ({ native: native(), host: readHost });

export async function createContainer(ctx: RuntimeContext, req: CreateRequest, deps: CreateDeps = defaultDeps()): Promise<CreatedContainer> {
  const id = req.id;
  const bundle = path.resolve(req.bundle);
  const store = new StateStore(ctx.root);
  store.dirOf(id); // validates the id before anything else
  const config = req.config ?? loadBundleConfig(bundle, id);
  const host = deps.host();
  const warnings = preflight({
    id,
    bundle,
    config,
    host,
    detached: req.consoleSocketFd === undefined,
    consoleSocket: req.consoleSocket,
  });
  for (const w of warnings) log.warn(w);
  // podman --sdnotify=container: runc would relay READY=1; tsrun does not (yet), and must not break
  if (process.env.NOTIFY_SOCKET) log.warn('NOTIFY_SOCKET is set: tsrun does not relay sd_notify messages from the container; ignored');
  const cgroup = cgroupManagerFor({
    containerId: id,
    cgroupsPath: config.linux?.cgroupsPath,
    systemdCgroup: ctx.systemdCgroup,
    configDevicePaths: (config.linux?.devices ?? []).map((d) => d.path),
    warn: (m) => log.warn(m),
  });
  const seccomp = buildSeccompPlan(config.linux?.seccomp, {
    native: deps.native,
    containerId: id,
    cacheDir: path.join(ctx.root, SECCOMP_CACHE_DIR),
  });
  for (const w of seccomp.warnings) log.warn(`config.json: ${w.path}: ${w.message}`);
  if (seccomp.unknownSyscalls.length) {
    const text = unknownSyscallsWarning(seccomp.unknownSyscalls);
    if (seccomp.fromCache) log.debug(text);
    else log.warn(text);
  }

  const handle = store.create(id);
  const fds: number[] = [];
  let cgroupMade = false;
  try {
    cgroup.create();
    cgroupMade = true;
    cgroup.setResources(fromSpecResources(config.linux?.resources));
    const connect = (what: string, socketPath: string): number => {
      try {
        return track(fds, deps.native.connectUnix(socketPath));
      } catch (err) {
        throw fromNodeError(`connect to the ${what}`, err, { containerId: id, path: socketPath });
      }
    };
    const consoleSocketFd = req.consoleSocketFd ?? (req.consoleSocket ? connect('console socket', req.consoleSocket) : -1);
    const listenerPath = config.linux?.seccomp?.listenerPath;
    const listenerFd = seccomp.plan?.listenerPath && listenerPath ? track(fds, connectSeccompAgent(deps.native, listenerPath, id)) : -1;
    const { plan, warnings: planWarnings } = buildInitPlan({
      id,
      bundle,
      config,
      startSocketPath: path.join(handle.dir, START_SOCKET),
      host: host.plan,
      noPivot: req.noPivot,
      preserveFds: req.preserveFds,
      consoleSocketFd,
      seccomp: seccomp.plan,
      // the path of kernels before 6.8, testable on newer ones
      forceClassicOverlayMount: process.env.TSRUN_OVERLAY_MOUNT === 'classic',
      expandCgroupMount: (m) => {
        const o = parseMountOptions(m.options);
        return cgroup.mountPlan({
          destination: m.destination,
          flags: o.flags,
          propagation: o.propagation,
          cgroupNamespace: (config.linux?.namespaces ?? []).some((n) => n.type === 'cgroup'),
        });
      },
    });
    if (listenerFd >= 0) plan.process.seccompListenerFd = listenerFd;
    if (req.stdio) plan.process.stdio = req.stdio;
    for (const w of planWarnings) log.warn(w);

    const base = { id, bundle, annotations: config.annotations ?? {} };
    const initPid = await launchInit(
      deps.native,
      plan,
      {
        joinCgroups: (pid) => cgroup.apply(pid),
        writeIdMaps: (pid) => writeIdMaps(pid, config.linux?.uidMappings ?? [], config.linux?.gidMappings ?? [], id),
        initStarted: (pid) => hookState(base, 'creating', pid),
        agentState: (pid) =>
          containerProcessStateJson({
            ociVersion: OCI_VERSION,
            pid,
            metadata: config.linux?.seccomp?.listenerMetadata,
            state: { ociVersion: OCI_VERSION, id, status: 'creating', pid, bundle, annotations: config.annotations },
          }),
        runCreateHooks: async (pid) => {
          const state = JSON.parse(hookState(base, 'creating', pid)) as unknown;
          await runHooks('prestart', config.hooks?.prestart, state, { containerId: id });
          await runHooks('createRuntime', config.hooks?.createRuntime, state, { containerId: id });
          return hookState(base, 'created', pid);
        },
        warning: (text) => log.warn(text),
      },
      { reap: req.reap === true },
    );

    const state: StoredState = {
      formatVersion: STATE_FORMAT_VERSION,
      id,
      initPid,
      initStartTime: processStartTime(initPid) ?? 0,
      bundle,
      rootfs: rootfsPath(bundle, config),
      created: createdTimestamp(),
      owner: '',
      annotations: config.annotations ?? {},
      config,
      cgroup: cgroup.descriptor(),
    };
    handle.write(state);
    if (req.pidFile) writePidFile(req.pidFile, initPid);
    handle.release();
    return { id, initPid, state };
  } catch (err) {
    undoCreate(handle, cgroupMade ? cgroup : undefined);
    // runtime-spec lifecycle: a failed create (a failing create hook included)
    // continues with destroy, then the poststop hooks (runc: the same destroy path)
    await runPoststopHooks({ id, bundle, annotations: config.annotations ?? {} }, config.hooks?.poststop);
    throw err;
  } finally {
    for (const fd of fds) deps.native.closeFd(fd);
  }
}

function track(fds: number[], fd: number): number {
  fds.push(fd);
  return fd;
}

/** Leave things as if create had never been attempted. */
function undoCreate(handle: ContainerHandle, cgroup: CgroupManager | undefined): void {
  try {
    cgroup?.destroy();
  } catch (err) {
    log.warn(`cleanup after failed create: ${(err as Error).message}`);
  }
  try {
    handle.destroy();
  } catch (err) {
    log.warn(`cleanup after failed create: ${(err as Error).message}`);
  }
}
