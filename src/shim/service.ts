// containerd.task.v2.Task, served for every container of the shim's group.
// The lifecycle runs in this process through the container library — the same
// plan, C child, cgroups and state store as the tsrun CLI — so `tsrun state`
// and `list` (with --root <root>/<namespace>) see these containers too.
//
// Events follow containerd's own shim: TaskCreate, TaskStart, TaskExit (for
// every process that exits), TaskOOM, TaskDelete, TaskExecAdded,
// TaskExecStarted, TaskPaused, TaskResumed; an exit is never published
// before the start it follows. A failure answers that one call and leaves
// every other container alone.
import * as path from 'node:path';
import type { Config } from '../../oci-spec';
import { loadBundleConfig } from '../container/config-file';
import { createContainer } from '../container/create';
import { deleteContainer } from '../container/delete';
import { containerOomKills, containerStats } from '../container/events';
import { execDetached } from '../container/exec';
import { parseProcessDocument } from '../container/exec-process';
import { killAllProcesses, killContainer } from '../container/kill';
import { pauseContainer } from '../container/pause';
import { containerPids } from '../container/ps';
import { resumeContainer } from '../container/resume';
import { startContainer } from '../container/start';
import { updateContainerResources } from '../container/update';
import { ConfigError, ContainerExistsError, ContainerNotFoundError, InvalidStateError, UsageError } from '../errors';
import { errorChainMessage, log } from '../log';
import type { Native } from '../native';
import { configFromOptions, type ShimConfig } from './config';
import { runtimeContext } from './context';
import type { Publisher } from './events';
import { ProcessIo } from './io';
import { metricsAny } from './metrics';
import { decode, encode, type Infer, type Input, type MessageType } from './proto/codec';
import * as pb from './proto/messages';
import type { Reaper } from './reaper';
import { removeBundleRecord, writeBundleRecord, type TaskRegistry } from './records';
import { mountRootfs, unmountAll } from './rootfs';
import { ShimProcess, ShimTask, type ProcessStatus } from './task';
import { timestamp } from './time';
import type { Handler, HandlerTable } from './ttrpc/server';
import { Code, RpcError } from './ttrpc/status';

export const TASK_SERVICE = 'containerd.task.v2.Task';

const SIGKILL = 9;
/** How long Delete waits for a terminal's last output to reach the client. */
const DRAIN_LIMIT_MS = 2_000;
/** How often running containers are checked for OOM kills. */
const OOM_POLL_MS = 1_000;

const STATUS_CODE: Record<ProcessStatus, number> = {
  created: pb.TaskStatus.CREATED,
  running: pb.TaskStatus.RUNNING,
  paused: pb.TaskStatus.PAUSED,
  stopped: pb.TaskStatus.STOPPED,
};

const RESOURCES_TYPE = /(^|\/)opencontainers\/runtime-spec\/1\/LinuxResources$/;
const PROCESS_TYPE = /(^|\/)opencontainers\/runtime-spec\/1\/Process$/;

export interface ShimEnv {
  native: Native;
  reaper: Reaper;
  publisher: Publisher;
  namespace: string;
  registry: TaskRegistry;
  /** the number of containers changed (the idle timer) */
  tasksChanged(count: number): void;
  /** Shutdown with no container left */
  shutdown(): void;
  /** the settings of the newest Create (its idle timeout, its bundle's log) */
  configured(config: ShimConfig, bundle: string): void;
  /** the launcher's handshake (Connect with no id): it is giving containerd our address */
  launcherConnected(): void;
}

/** A library error as containerd expects it: its code, and runc's shim's "OCI runtime ... failed" wording. */
function rpcError(err: unknown, action?: string): RpcError {
  if (err instanceof RpcError) return err;
  const msg = errorChainMessage(err);
  if (err instanceof ContainerNotFoundError) return new RpcError(Code.NOT_FOUND, msg, { cause: err });
  if (err instanceof ContainerExistsError) return new RpcError(Code.ALREADY_EXISTS, msg, { cause: err });
  if (action) return new RpcError(Code.UNKNOWN, `OCI runtime ${action} failed: ${msg}`, { cause: err });
  if (err instanceof InvalidStateError) return new RpcError(Code.FAILED_PRECONDITION, msg, { cause: err });
  if (err instanceof ConfigError || err instanceof UsageError) return new RpcError(Code.INVALID_ARGUMENT, msg, { cause: err });
  return new RpcError(Code.UNKNOWN, msg, { cause: err });
}

const notFinished = (what: string) => new RpcError(Code.NOT_FOUND, `${what}: process already finished`);

export class TaskService {
  private readonly tasks = new Map<string, ShimTask>();
  /** ids whose Create is in progress */
  private readonly creating = new Set<string>();
  private oomTimer?: NodeJS.Timeout;

  constructor(private readonly env: ShimEnv) {}

  get taskCount(): number {
    return this.tasks.size + this.creating.size;
  }

  /** The ids of the containers held. */
  ids(): string[] {
    return [...this.tasks.keys()];
  }

  handlers(): HandlerTable {
    const table = new Map<string, Handler>();
    const add = <Req extends MessageType<unknown>, Res extends MessageType<unknown>>(
      name: string,
      req: Req,
      res: Res,
      fn: (r: Infer<Req>) => Promise<Input<Res>> | Input<Res>,
    ) => {
      table.set(`${TASK_SERVICE}/${name}`, async (payload) => {
        const r = decode(req, payload);
        return encode(res, await fn(r));
      });
    };
    add('Create', pb.CreateTaskRequest, pb.CreateTaskResponse, (r) => this.create(r));
    add('Start', pb.StartRequest, pb.StartResponse, (r) => this.start(r.id, r.execId));
    add('Delete', pb.DeleteRequest, pb.DeleteResponse, (r) => this.delete(r.id, r.execId));
    add('Exec', pb.ExecProcessRequest, pb.Empty, (r) => this.exec(r));
    add('ResizePty', pb.ResizePtyRequest, pb.Empty, (r) => this.resizePty(r.id, r.execId, r.width, r.height));
    add('CloseIO', pb.CloseIORequest, pb.Empty, (r) => this.closeIO(r.id, r.execId, r.stdin));
    add('State', pb.StateRequest, pb.StateResponse, (r) => this.state(r.id, r.execId));
    add('Pids', pb.PidsRequest, pb.PidsResponse, (r) => this.pids(r.id));
    add('Pause', pb.PauseRequest, pb.Empty, (r) => this.pause(r.id));
    add('Resume', pb.ResumeRequest, pb.Empty, (r) => this.resume(r.id));
    add('Kill', pb.KillRequest, pb.Empty, (r) => this.kill(r.id, r.execId, r.signal, r.all));
    add('Wait', pb.WaitRequest, pb.WaitResponse, (r) => this.wait(r.id, r.execId));
    add('Stats', pb.StatsRequest, pb.StatsResponse, (r) => this.stats(r.id));
    add('Update', pb.UpdateTaskRequest, pb.Empty, (r) => this.update(r.id, r.resources));
    add('Connect', pb.ConnectRequest, pb.ConnectResponse, (r) => this.connect(r.id));
    add('Shutdown', pb.ShutdownRequest, pb.Empty, () => this.shutdown());
    add('Checkpoint', pb.CheckpointTaskRequest, pb.Empty, () => {
      throw new RpcError(Code.UNIMPLEMENTED, 'checkpoint is not implemented by containerd-shim-tsrun-v2');
    });
    return table;
  }

  private task(id: string): ShimTask {
    const t = this.tasks.get(id);
    if (!t) throw new RpcError(Code.NOT_FOUND, `container ${id}: not created`);
    return t;
  }

  private processOf(t: ShimTask, execId: string): ShimProcess {
    const p = t.process(execId);
    if (!p) throw new RpcError(Code.NOT_FOUND, `process ${execId} of container ${t.id}: does not exist`);
    return p;
  }

  private publish<M extends MessageType<unknown>>(type: M, event: Input<M>): void {
    this.env.publisher.publish(type, event);
  }

  // --- Create ---

  async create(r: pb.CreateTaskRequest): Promise<Input<typeof pb.CreateTaskResponse>> {
    if (this.tasks.has(r.id) || this.creating.has(r.id)) throw new RpcError(Code.ALREADY_EXISTS, `container ${r.id}: already exists`);
    if (r.checkpoint) throw new RpcError(Code.UNIMPLEMENTED, 'restoring from a checkpoint is not implemented by containerd-shim-tsrun-v2');
    this.creating.add(r.id);
    this.env.tasksChanged(this.taskCount);
    const undo: Array<() => void> = [];
    try {
      const config = configFromOptions(r.options);
      this.env.configured(config, r.bundle);
      const root = path.join(config.root, this.env.namespace);
      const ctx = runtimeContext(root, config.systemdCgroup);
      this.env.registry.add({ id: r.id, bundle: r.bundle, root });
      undo.push(() => this.env.registry.remove(r.id));
      writeBundleRecord(r.bundle, { root });
      undo.push(() => removeBundleRecord(r.bundle));
      const spec: Config = loadBundleConfig(r.bundle, r.id);
      let rootfs = '';
      if (r.rootfs.length > 0) {
        rootfs = path.join(r.bundle, 'rootfs');
        mountRootfs(this.env.native, r.rootfs, rootfs);
        undo.push(() => unmountAll(this.env.native, rootfs));
      }
      const init = new ShimProcess(r.id, '', { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal });
      const io = await ProcessIo.open(this.env.native, init.stdio, { id: r.id, namespace: this.env.namespace });
      undo.push(() => io.close());
      const created = await createContainer(ctx, {
        id: r.id,
        bundle: r.bundle,
        config: spec,
        noPivot: config.noPivotRoot,
        noNewKeyring: false,
        preserveFds: 0,
        detach: true,
        stdio: io.childFds,
        consoleSocketFd: io.consoleSocketFd,
      });
      io.closeChildFds();
      init.pid = created.initPid;
      init.io = io;
      const sharedPid = !(spec.linux?.namespaces ?? []).some((ns) => ns.type === 'pid' && !ns.path);
      const task = new ShimTask(r.id, r.bundle, ctx, init, rootfs, r.rootfs, sharedPid);
      this.tasks.set(r.id, task);
      undo.length = 0;
      this.env.reaper.watch(init.pid, (status) => this.initExited(task, status));
      if (r.terminal) {
        try {
          io.attachConsole(r.id);
        } catch (err) {
          log.warn(errorChainMessage(err), { id: r.id });
        }
      }
      this.publish(pb.TaskCreate, {
        containerId: r.id,
        bundle: r.bundle,
        rootfs: r.rootfs,
        io: { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal },
        checkpoint: r.checkpoint,
        pid: init.pid,
      });
      return { pid: init.pid };
    } catch (err) {
      for (const step of undo.reverse()) {
        try {
          step();
        } catch (e) {
          log.warn(`undo a failed create: ${errorChainMessage(e)}`, { id: r.id });
        }
      }
      throw rpcError(err, 'create');
    } finally {
      this.creating.delete(r.id);
      this.env.tasksChanged(this.taskCount);
    }
  }

  // --- Start ---

  async start(id: string, execId: string): Promise<Input<typeof pb.StartResponse>> {
    const t = this.task(id);
    return execId === '' ? this.startInit(t) : this.startExec(t, this.processOf(t, execId));
  }

  private async startInit(t: ShimTask): Promise<Input<typeof pb.StartResponse>> {
    const p = t.init;
    if (p.status !== 'created') throw new RpcError(Code.FAILED_PRECONDITION, `cannot start a container in the ${p.status} state`);
    t.starting = true;
    try {
      await startContainer(t.ctx, { id: t.id });
      p.status = 'running';
      this.publish(pb.TaskStart, { containerId: t.id, pid: p.pid });
      this.watchOom();
      return { pid: p.pid };
    } catch (err) {
      throw rpcError(err, 'start');
    } finally {
      t.starting = false;
      if (t.heldExit !== undefined) {
        const status = t.heldExit;
        t.heldExit = undefined;
        this.initExited(t, status);
      }
    }
  }

  private async startExec(t: ShimTask, p: ShimProcess): Promise<Input<typeof pb.StartResponse>> {
    if (p.status !== 'created') throw new RpcError(Code.FAILED_PRECONDITION, `process ${p.execId}: cannot start a process in the ${p.status} state`);
    let io: ProcessIo | undefined;
    try {
      io = await ProcessIo.open(this.env.native, p.stdio, { id: t.id, namespace: this.env.namespace });
      p.pid = execDetached(t.ctx, {
        id: t.id,
        process: p.spec!,
        label: `exec ${p.execId}`,
        stdio: io.childFds,
        consoleSocketFd: io.consoleSocketFd,
      });
    } catch (err) {
      io?.close();
      p.setExited(255);
      throw rpcError(err, 'exec');
    }
    io.closeChildFds();
    p.io = io;
    p.status = 'running';
    this.publish(pb.TaskExecStarted, { containerId: t.id, execId: p.execId, pid: p.pid });
    this.env.reaper.watch(p.pid, (status) => this.execExited(t, p, status));
    if (p.stdio.terminal) {
      try {
        io.attachConsole(t.id);
      } catch (err) {
        log.warn(errorChainMessage(err), { id: t.id, exec: p.execId });
      }
    }
    return { pid: p.pid };
  }

  // --- exits ---

  private initExited(t: ShimTask, status: number): void {
    if (t.starting) {
      t.heldExit = status;
      return;
    }
    try {
      if (t.sharedPidNamespace) killAllProcesses(t.ctx, t.id, SIGKILL);
    } catch (err) {
      log.warn(`kill the rest of ${t.id} after its init exited: ${errorChainMessage(err)}`, { id: t.id });
    }
    this.checkOom(t);
    t.init.setExited(status);
    this.publish(pb.TaskExit, { containerId: t.id, id: t.id, pid: t.init.pid, exitStatus: status, exitedAt: timestamp(t.init.exitedAt!) });
  }

  private execExited(t: ShimTask, p: ShimProcess, status: number): void {
    p.setExited(status);
    this.publish(pb.TaskExit, { containerId: t.id, id: p.execId, pid: p.pid, exitStatus: status, exitedAt: timestamp(p.exitedAt!) });
  }

  /** OOM kills since the last look: one TaskOOM each. */
  private checkOom(t: ShimTask): void {
    let kills: number;
    try {
      kills = containerOomKills(t.ctx, t.id);
    } catch {
      return; // the container is being deleted
    }
    for (; t.oomKills < kills; t.oomKills++) this.publish(pb.TaskOOM, { containerId: t.id });
  }

  private watchOom(): void {
    if (this.oomTimer) return;
    this.oomTimer = setInterval(() => {
      let running = 0;
      for (const t of this.tasks.values()) {
        if (t.init.status !== 'running' && t.init.status !== 'paused') continue;
        running++;
        this.checkOom(t);
      }
      if (running === 0) {
        clearInterval(this.oomTimer);
        this.oomTimer = undefined;
      }
    }, OOM_POLL_MS);
    this.oomTimer.unref();
  }

  // --- Delete ---

  async delete(id: string, execId: string): Promise<Input<typeof pb.DeleteResponse>> {
    const t = this.task(id);
    if (execId !== '') {
      const p = this.processOf(t, execId);
      if (p.status === 'running' || p.status === 'paused') throw new RpcError(Code.FAILED_PRECONDITION, `process ${execId}: cannot delete a running process`);
      await drained(p);
      p.io?.close();
      t.execs.delete(execId);
      return { pid: p.pid, exitStatus: p.exitStatus, exitedAt: p.exitedAt && timestamp(p.exitedAt) };
    }
    const p = t.init;
    if (p.status === 'running' || p.status === 'paused') {
      throw new RpcError(Code.FAILED_PRECONDITION, `cannot delete container ${id} that is not stopped: ${p.status}`);
    }
    try {
      await deleteContainer(t.ctx, { id, force: false });
    } catch (err) {
      if (!(err instanceof ContainerNotFoundError)) throw rpcError(err, 'delete');
    }
    // a created init was killed just now: its exit goes out before the delete
    this.env.reaper.reap();
    if (p.status !== 'stopped') {
      this.env.reaper.unwatch(p.pid);
      this.initExited(t, 128 + SIGKILL);
    }
    for (const proc of t.pids()) {
      await drained(proc);
      proc.io?.close();
      this.env.reaper.unwatch(proc.pid);
    }
    if (t.rootfs) unmountAll(this.env.native, t.rootfs);
    removeBundleRecord(t.bundle);
    this.env.registry.remove(id);
    this.tasks.delete(id);
    this.env.tasksChanged(this.taskCount);
    const exitedAt = timestamp(p.exitedAt ?? new Date());
    this.publish(pb.TaskDelete, { containerId: id, pid: p.pid, exitStatus: p.exitStatus, exitedAt });
    return { pid: p.pid, exitStatus: p.exitStatus, exitedAt };
  }

  // --- Exec ---

  exec(r: Infer<typeof pb.ExecProcessRequest>): Input<typeof pb.Empty> {
    const t = this.task(r.id);
    if (r.execId === '' || t.execs.has(r.execId)) throw new RpcError(Code.ALREADY_EXISTS, `process ${r.execId}: already exists`);
    if (t.init.status === 'stopped') throw new RpcError(Code.FAILED_PRECONDITION, 'cannot exec in a stopped container');
    if (!r.spec || !PROCESS_TYPE.test(r.spec.typeUrl)) throw new RpcError(Code.INVALID_ARGUMENT, `exec ${r.execId}: the process spec is missing or not a runtime-spec Process`);
    let spec;
    try {
      spec = parseProcessDocument(Buffer.from(r.spec.value).toString('utf8'), `exec ${r.execId}`, r.id);
    } catch (err) {
      throw rpcError(err);
    }
    spec.terminal = r.terminal;
    t.execs.set(r.execId, new ShimProcess(r.id, r.execId, { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal }, spec));
    this.publish(pb.TaskExecAdded, { containerId: r.id, execId: r.execId });
    return {};
  }

  // --- the rest ---

  resizePty(id: string, execId: string, width: number, height: number): Input<typeof pb.Empty> {
    const p = this.processOf(this.task(id), execId);
    try {
      p.io?.resize(width, height);
    } catch (err) {
      throw rpcError(err);
    }
    return {};
  }

  closeIO(id: string, execId: string, stdin: boolean): Input<typeof pb.Empty> {
    const p = this.processOf(this.task(id), execId);
    if (stdin) p.io?.closeStdin();
    return {};
  }

  state(id: string, execId: string): Input<typeof pb.StateResponse> {
    const t = this.task(id);
    const p = this.processOf(t, execId);
    return {
      id: p.id,
      bundle: t.bundle,
      pid: p.pid,
      status: STATUS_CODE[p.status],
      stdin: p.stdio.stdin,
      stdout: p.stdio.stdout,
      stderr: p.stdio.stderr,
      terminal: p.stdio.terminal,
      exitStatus: p.exitStatus,
      exitedAt: p.exitedAt && timestamp(p.exitedAt),
      execId: p.execId,
    };
  }

  pids(id: string): Input<typeof pb.PidsResponse> {
    const t = this.task(id);
    let pids: number[];
    try {
      pids = containerPids(t.ctx, id);
    } catch (err) {
      throw rpcError(err);
    }
    const execOf = new Map([...t.execs.values()].filter((p) => p.pid > 0).map((p) => [p.pid, p.execId]));
    return {
      processes: pids.map((pid) => {
        const execId = execOf.get(pid);
        return execId ? { pid, info: { typeUrl: pb.ProcessDetails.name, value: encode(pb.ProcessDetails, { execId }) } } : { pid };
      }),
    };
  }

  pause(id: string): Input<typeof pb.Empty> {
    const t = this.task(id);
    try {
      pauseContainer(t.ctx, { id });
    } catch (err) {
      throw rpcError(err);
    }
    t.init.status = 'paused';
    this.publish(pb.TaskPaused, { containerId: id });
    return {};
  }

  resume(id: string): Input<typeof pb.Empty> {
    const t = this.task(id);
    try {
      resumeContainer(t.ctx, { id });
    } catch (err) {
      throw rpcError(err);
    }
    if (t.init.status === 'paused') t.init.status = 'running';
    this.publish(pb.TaskResumed, { containerId: id });
    return {};
  }

  kill(id: string, execId: string, signal: number, all: boolean): Input<typeof pb.Empty> {
    const t = this.task(id);
    const p = this.processOf(t, execId);
    if (execId !== '') {
      if (p.status === 'stopped') throw notFinished(`process ${execId}`);
      if (p.status === 'created') throw new RpcError(Code.FAILED_PRECONDITION, `process ${execId}: not started`);
      try {
        process.kill(p.pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw notFinished(`process ${execId}`);
        throw rpcError(err);
      }
      return {};
    }
    try {
      if (p.status === 'stopped') {
        if (!all) throw notFinished(`container ${id}`);
        // what is left of a container whose pid namespace was shared
        killAllProcesses(t.ctx, id, signal);
      } else {
        killContainer(t.ctx, { id, signal, all });
      }
    } catch (err) {
      if (err instanceof InvalidStateError && /not running/.test(err.message)) throw notFinished(`container ${id}`);
      throw rpcError(err);
    }
    return {};
  }

  async wait(id: string, execId: string): Promise<Input<typeof pb.WaitResponse>> {
    const p = this.processOf(this.task(id), execId);
    await p.exited;
    return { exitStatus: p.exitStatus, exitedAt: p.exitedAt && timestamp(p.exitedAt) };
  }

  stats(id: string): Input<typeof pb.StatsResponse> {
    const t = this.task(id);
    try {
      return { stats: metricsAny(containerStats(t.ctx, id)) };
    } catch (err) {
      throw rpcError(err);
    }
  }

  update(id: string, resources: pb.Any | undefined): Input<typeof pb.Empty> {
    const t = this.task(id);
    if (!resources || !RESOURCES_TYPE.test(resources.typeUrl)) throw new RpcError(Code.INVALID_ARGUMENT, `update ${id}: resources missing or not a runtime-spec LinuxResources`);
    try {
      updateContainerResources(t.ctx, id, Buffer.from(resources.value).toString('utf8'));
    } catch (err) {
      throw rpcError(err);
    }
    return {};
  }

  connect(id: string): Input<typeof pb.ConnectResponse> {
    if (id === '') this.env.launcherConnected();
    return { shimPid: process.pid, taskPid: this.tasks.get(id)?.init.pid ?? 0 };
  }

  shutdown(): Input<typeof pb.Empty> {
    // containerd asks after every Delete; the shim stays while it serves others
    if (this.taskCount === 0) this.env.shutdown();
    return {};
  }
}

async function drained(p: ShimProcess): Promise<void> {
  if (!p.io) return;
  await Promise.race([p.io.drained(), new Promise((r) => setTimeout(r, DRAIN_LIMIT_MS).unref())]);
}
