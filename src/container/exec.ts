// `exec`: a new process in a running (or created) container. The parent
// checks the state, resolves and validates the process (--process file or
// flags), compiles the container's seccomp filter, then forks the native exec
// child (native/src/exec.c), puts it into the container's cgroups before it
// joins the init's namespaces, and follows it until its execve. Foreground:
// tsrun is the subreaper, forwards signals, relays the pty when the process
// has a terminal and no --console-socket was given, and exits with the
// process's status. --detach: the pid file is written and the process is
// left to the caller (it reparents to the caller's subreaper).
import { OCI_VERSION } from '../../oci-spec/version';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Process } from '../../oci-spec';
import { exitStatus, forwardSignals } from './foreground';
import { CgroupError, ConfigError, TsrunError, UsageError } from '../errors';
import { log } from '../log';
import { native, type Native, type WaitResult } from '../native';
import type { ExecPlan, NamespacePlan } from '../native/plan';
import { SYNC } from '../native/sync';
import { connectSeccompAgent, containerProcessStateJson } from '../seccomp/listener';
import { buildSeccompPlan, unknownSyscallsWarning } from '../seccomp/plan';
import { writePidFile } from '../state/pidfile';
import type { ContainerStatus } from '../state/status';
import { assertCan } from '../state/transitions';
import { SECCOMP_CACHE_DIR } from '../state/types';
import { Container } from './container';
import { cgroupOf } from './cgroup-of';
import { checkExecProcess, resolveExecProcess } from './exec-process';
import { readHost, NS_FILE, type Host } from './host';
import { ContainerProcessError, errnoName } from './init-process';
import type { ExecOptions, RuntimeContext } from './options';
import { processPlan, sessionKeyringName } from './plan';
import { closeConsolePair, openConsolePair, receiveMaster, startRelay, type ConsolePair, type TerminalRelay } from './terminal-relay';

export interface ExecDeps {
  native: Native;
  host: () => Host;
}


/** runc's checks before anything is done (the transition table, with --ignore-paused). */
export function assertExecutable(id: string, status: ContainerStatus, ignorePaused: boolean): void {
  assertCan('exec', status, id, ignorePaused ? ['ignorePaused'] : []);
}

/** The terminal/console-socket pairing rules (runc's checkTerminal, for exec). */
export function checkExecTerminal(terminal: boolean, opts: Pick<ExecOptions, 'detach' | 'consoleSocket'>): void {
  if (terminal && opts.detach && !opts.consoleSocket) {
    throw new ConfigError('cannot allocate tty if tsrun will detach without setting console socket', { jsonPath: 'terminal' });
  }
  if (!terminal && opts.consoleSocket) {
    throw new ConfigError('cannot use console socket if tsrun will not detach or allocate tty', { jsonPath: 'terminal' });
  }
}

/** /proc/<init>/ns/<type> for every namespace the container has. */
export function execNamespaces(initPid: number, config: { linux?: { namespaces?: Array<{ type: NamespacePlan['type'] }> } }): NamespacePlan[] {
  return (config.linux?.namespaces ?? []).map((ns) => ({ type: ns.type, path: `/proc/${initPid}/ns/${NS_FILE[ns.type]}` }));
}

interface Launched {
  pid: number;
  relay?: TerminalRelay;
}

/** What launch() needs besides the process: ExecOptions, or an ExecRequest's fds. */
interface LaunchOptions extends Pick<ExecOptions, 'consoleSocket' | 'preserveFds' | 'subCgroupPaths'> {
  /** a connected socket the pty master is sent over (instead of consoleSocket) */
  consoleSocketFd?: number;
  stdio?: [number, number, number];
}

/** An exec for an in-process caller (the shim): the process document and the fds it gets. */
export interface ExecRequest {
  id: string;
  process: Process;
  /** how errors name the process document */
  label: string;
  /** fds the process gets as 0, 1, 2 */
  stdio?: [number, number, number];
  /** with process.terminal: the socket the pty master is sent over */
  consoleSocketFd?: number;
}

/**
 * A detached exec (runc exec --detach) for a caller that reaps the process
 * itself: returns the process's host pid once it has exec'd.
 */
export function execDetached(ctx: RuntimeContext, req: ExecRequest, deps: ExecDeps = defaultDeps()): number {
  const c = Container.open(ctx, req.id);
  try {
    assertExecutable(c.id, c.status().status, false);
    const host = deps.host();
    const resolved = checkExecProcess(req.process, req.label, req.id, host.checks);
    for (const w of resolved.warnings) log.warn(w);
    const opts: LaunchOptions = { preserveFds: 0, consoleSocketFd: req.consoleSocketFd, stdio: req.stdio };
    return launch(ctx, c, opts, resolved.process, host, deps.native, false).pid;
  } finally {
    c.release();
  }
}

const defaultDeps = (): ExecDeps => ({ native: native(), host: readHost });

export async function execContainer(ctx: RuntimeContext, opts: ExecOptions, deps: ExecDeps = defaultDeps()): Promise<number> {
  const n = deps.native;
  if (opts.pidfdSocket) throw new UsageError('--pidfd-socket is not supported by tsrun yet');
  const foreground = !opts.detach;
  let launched: Launched;
  const c = Container.open(ctx, opts.id);
  try {
    const { status } = c.status();
    assertExecutable(c.id, status, opts.ignorePaused);
    const host = deps.host();
    const resolved = resolveExecProcess(opts, c.state.config.process, host.checks);
    for (const w of resolved.warnings) log.warn(w);
    checkExecTerminal(resolved.process.terminal === true, opts);
    if (foreground) n.setChildSubreaper(true);
    launched = launch(ctx, c, opts, resolved.process, host, n, foreground);
  } finally {
    // never hold the lock while a foreground process runs: the engine's kill/delete would hang
    c.release();
  }
  if (opts.pidFile) {
    try {
      writePidFile(opts.pidFile, launched.pid);
    } catch (err) {
      // the caller cannot learn the pid: do not leave the process behind
      killQuietly(launched.pid);
      if (foreground) await n.waitPidAsync(launched.pid).catch(() => undefined);
      await launched.relay?.finish();
      throw err;
    }
  }
  if (!foreground) return 0;
  return waitForeground(n, launched);
}

function launch(
  ctx: RuntimeContext,
  c: Container,
  opts: LaunchOptions,
  spec: Process,
  host: Host,
  n: Native,
  foreground: boolean,
): Launched {
  const id = c.id;
  const config = c.state.config;
  const warnings: string[] = [];
  const proc = processPlan(spec, host.plan, warnings);
  for (const w of warnings) log.warn(w);
  const seccomp = buildSeccompPlan(config.linux?.seccomp, {
    native: n,
    containerId: id,
    cacheDir: path.join(ctx.root, SECCOMP_CACHE_DIR),
  });
  if (seccomp.plan) proc.seccomp = seccomp.plan;
  for (const w of seccomp.warnings) log.warn(`config.json: ${w.path}: ${w.message}`);
  // create warned when it compiled the profile; exec normally hits the cache
  if (seccomp.unknownSyscalls.length) {
    const text = unknownSyscallsWarning(seccomp.unknownSyscalls);
    if (seccomp.fromCache) log.debug(text);
    else log.warn(text);
  }

  const fds: number[] = [];
  let pair: ConsolePair | undefined;
  let stage1 = 0;
  let pid = 0;
  let syncFd = -1;
  let stage1Reaped = false;
  try {
    let consoleSocketFd = -1;
    if (opts.stdio) proc.stdio = opts.stdio;
    if (proc.terminal) {
      if (opts.consoleSocketFd !== undefined) consoleSocketFd = opts.consoleSocketFd;
      else if (opts.consoleSocket) consoleSocketFd = track(fds, n.connectUnix(opts.consoleSocket));
      else {
        pair = openConsolePair(n);
        consoleSocketFd = pair.containerEnd;
      }
    }
    const listenerPath = config.linux?.seccomp?.listenerPath;
    if (seccomp.plan?.listenerPath && listenerPath) proc.seccompListenerFd = track(fds, connectSeccompAgent(n, listenerPath, id));

    const plan: ExecPlan = {
      containerId: id,
      namespaces: execNamespaces(c.state.initPid, config),
      process: proc,
      preserveFds: opts.preserveFds,
      consoleSocketFd,
      ...(c.state.noNewKeyring ? {} : { sessionKeyring: sessionKeyringName(id) }),
    };
    ({ pid: stage1, syncFd } = n.spawnExec(plan));
    // into the container's cgroups before it joins the namespaces (a cgroup
    // namespace is rooted where its creator stands)
    cgroupOf(c).apply(stage1);
    if (opts.subCgroupPaths) joinSubCgroups(c, stage1, opts.subCgroupPaths);
    n.syncSend(syncFd, SYNC.GO, 0, '');
    if (proc.seccompListenerFd !== undefined) {
      const initPid = c.state.initPid;
      n.syncSend(
        syncFd,
        SYNC.STATE,
        0,
        containerProcessStateJson({
          ociVersion: OCI_VERSION,
          pid: initPid,
          metadata: config.linux?.seccomp?.listenerMetadata,
          state: { ociVersion: OCI_VERSION, id, status: 'running', pid: initPid, bundle: c.state.bundle, annotations: config.annotations },
        }),
      );
    }
    for (;;) {
      const m = n.syncRecv(syncFd);
      if (!m) break; // the process's end closed on execve
      if (m.type === SYNC.INIT_PID) {
        pid = m.value;
        n.waitPid(stage1, false);
        stage1Reaped = true;
      } else if (m.type === SYNC.WARNING) {
        log.warn(m.text);
      } else if (m.type === SYNC.ERROR) {
        throw new ContainerProcessError(m.text, errnoName(m.err), id);
      } else {
        throw new TsrunError(`exec: the container process sent an unknown message (${m.type})`, { containerId: id });
      }
    }
    if (!pid) {
      const w = stage1Reaped ? null : n.waitPid(stage1, false);
      stage1Reaped = true;
      throw new TsrunError(`exec: the setup process exited before starting the process${w ? ` (${describeWait(w)})` : ''}`, { containerId: id });
    }
    let relay: TerminalRelay | undefined;
    if (pair) relay = startRelay(n, receiveMaster(n, pair, id));
    log.debug('exec started', { pid, foreground });
    return { pid, relay };
  } catch (err) {
    if (stage1) killQuietly(stage1);
    if (stage1 && !stage1Reaped) {
      try {
        n.waitPid(stage1, false);
      } catch {
        // already reaped
      }
    }
    if (pid) {
      killQuietly(pid);
      if (foreground) {
        try {
          n.waitPid(pid, false);
        } catch {
          // not our child (yet)
        }
      }
    }
    throw err;
  } finally {
    if (syncFd >= 0) n.closeFd(syncFd);
    if (pair) closeConsolePair(n, pair);
    for (const fd of fds) n.closeFd(fd);
  }
}

/** exec --cgroup: move the process on into existing sub-cgroups of the container's. */
function joinSubCgroups(c: Container, pid: number, sub: Record<string, string>): void {
  for (const h of cgroupOf(c).dirs()) {
    const rel = h.controllers.length === 0 ? sub[''] : (h.controllers.map((k) => sub[k]).find((v) => v !== undefined) ?? sub['']);
    if (rel === undefined) continue;
    const target = path.resolve(h.dir, rel.replace(/^\/+/, ''));
    if (target !== h.dir && !target.startsWith(`${h.dir}/`)) {
      throw new CgroupError(`--cgroup ${rel}: must stay below the container's cgroup ${h.dir}`, { containerId: c.id, path: target });
    }
    try {
      fs.writeFileSync(path.join(target, 'cgroup.procs'), String(pid));
    } catch (err) {
      throw new CgroupError(`--cgroup ${rel}: cannot join ${target}: ${(err as Error).message}`, { containerId: c.id, path: target, cause: err });
    }
  }
}

async function waitForeground(n: Native, launched: Launched): Promise<number> {
  const { pid, relay } = launched;
  const stopForwarding = forwardSignals(pid, { relay: relay !== undefined });
  try {
    return exitStatus(await n.waitPidAsync(pid));
  } finally {
    stopForwarding();
    await relay?.finish();
  }
}

function describeWait(w: WaitResult): string {
  return w.signal !== null ? `signal ${w.signal}` : `exit status ${w.exitCode}`;
}

function track(fds: number[], fd: number): number {
  fds.push(fd);
  return fd;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
