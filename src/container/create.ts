// `create`: validate, make the state dir and cgroups, fork the init and drive
// it until it waits for `start`. A failure at any step removes everything
// this call made: processes, cgroups, state dir.
//
// Crash safety (docs/reliability.md): journal.json records each side effect
// before it happens (the cgroup dirs, then the init's pid), and
// until state.json is written (the commit) the init and stage 1 die with this
// process. So a create killed at any instant leaves either nothing, or a
// state dir that says what exists, which `delete --force` undoes.
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
import type { CreateJournal } from '../state/journal';
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
import { SECCOMP_CACHE_DIR } from '../state/types';

export interface CreateDeps {
  native: Native;
  host: () => Host;
}

export interface CreateRequest extends CreateOptions {
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

  // the journal is in the state dir from the instant the dir is visible, before any cgroup exists
  const journal: CreateJournal = { formatVersion: 1, id, bundle, cgroup: cgroup.plannedDescriptor(), processes: [] };
  const handle = store.create(id, journal);
  let initStartTime = 0;
  const fds: number[] = [];
  let cgroupMade = false;
  try {
    cgroup.create();
    cgroupMade = true;
    const resources = fromSpecResources(config.linux?.resources);
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
      startFifoPath: handle.startFifoPath,
      startReplyPath: handle.startReplyPath,
      host: host.plan,
      noNewKeyring: req.noNewKeyring,
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
    const stateOf = (initPid: number): StoredState => ({
      formatVersion: STATE_FORMAT_VERSION,
      id,
      initPid,
      initStartTime,
      bundle,
      rootfs: rootfsPath(bundle, config),
      created: createdTimestamp(),
      owner: '',
      annotations: config.annotations ?? {},
      config,
      cgroup: cgroup.descriptor(),
      ...(req.noNewKeyring ? { noNewKeyring: true } : {}),
    });
    let state: StoredState | undefined;
    const initPid = await launchInit(
      deps.native,
      plan,
      {
        joinCgroups: (pid) => cgroup.apply(pid),
        writeIdMaps: (pid) => writeIdMaps(pid, config.linux?.uidMappings ?? [], config.linux?.gidMappings ?? [], id),
        initStarted: (pid) => {
          initStartTime = processStartTime(pid) ?? 0;
          journal.processes.push({ role: 'init', pid, startTime: initStartTime });
          handle.writeJournal(journal);
          return hookState(base, 'creating', pid);
        },
        agentState: (pid) =>
          containerProcessStateJson({
            ociVersion: OCI_VERSION,
            pid,
            metadata: config.linux?.seccomp?.listenerMetadata,
            state: { ociVersion: OCI_VERSION, id, status: 'creating', pid, bundle, annotations: config.annotations },
          }),
        runCreateHooks: async (pid) => {
          // the limits once the init has forked and made its mounts, before
          // the hooks (runc applies them at this point too): a pids.limit of
          // 0 or a tight memory limit must not stop the init's own setup
          cgroup.setResources(resources);
          const state = JSON.parse(hookState(base, 'creating', pid)) as unknown;
          await runHooks('prestart', config.hooks?.prestart, state, { containerId: id });
          await runHooks('createRuntime', config.hooks?.createRuntime, state, { containerId: id });
          return hookState(base, 'created', pid);
        },
        // the commit: once state.json exists, the init may outlive us
        commit: (pid) => {
          state = stateOf(pid);
          handle.write(state);
          if (req.pidFile) writePidFile(req.pidFile, pid);
        },
        warning: (text) => log.warn(text),
      },
    );
    handle.release();
    return { id, initPid, state: state! };
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

/**
 * Leave things as if create had never been attempted. When the cgroups
 * cannot be removed, the state dir (its journal) stays, so that `delete
 * --force` can finish the job later instead of losing track of them.
 */
function undoCreate(handle: ContainerHandle, cgroup: CgroupManager | undefined): void {
  try {
    cgroup?.destroy();
  } catch (err) {
    log.warn(`cleanup after failed create: ${(err as Error).message}; ${handle.dir} keeps the record for \`tsrun delete --force ${handle.id}\``);
    handle.release();
    return;
  }
  try {
    handle.destroy();
  } catch (err) {
    log.warn(`cleanup after failed create: ${(err as Error).message}`);
  }
}
