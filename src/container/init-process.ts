// Drives a forked init through its sync protocol (native/src/sync.h):
// cgroups -> user namespace maps -> init pid -> create hooks -> ready ->
// commit. Stage 1 and the init are both tsrun's children (the init through
// CLONE_PARENT) and die with it until the commit (native/src/lifeline.h).
import * as os from 'node:os';
import { describeErrno, TsrunError } from '../errors';
import type { Native, SyncMessage } from '../native';
import type { InitPlan } from '../native/plan';
import { SYNC } from '../native/sync';

export interface InitCallbacks {
  /** stage 1 exists and waits: put it into the container's cgroups */
  joinCgroups(stage1Pid: number): void;
  /** stage 1 made a user namespace: write its uid_map/gid_map */
  writeIdMaps(pid: number): void;
  /** the init's host pid is known; returns the "creating" state JSON */
  initStarted(initPid: number): string;
  /** with a seccomp listener: the container process state the agent receives */
  agentState?(initPid: number): string;
  /** mounts are ready, before pivot_root: run prestart/createRuntime hooks;
   *  returns the "created" state JSON the init hands to later hooks */
  runCreateHooks(initPid: number): Promise<string>;
  /** the init is ready and waits: store the state. Until this returns, the
   *  init dies with tsrun; afterwards it must outlive it */
  commit(initPid: number): void;
  warning(text: string): void;
}

/** The init (or exec'd process) reported a failure. */
export class ContainerProcessError extends TsrunError {
  readonly errno?: string;
  constructor(text: string, errnoName: string | undefined, containerId: string) {
    super(errnoName ? `${text}: ${describeErrno(errnoName)}` : text, { containerId });
    this.errno = errnoName;
  }
}

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(os.constants.errno).map(([name, num]) => [num as number, name]),
);

export function errnoName(n: number): string | undefined {
  return n ? (ERRNO_NAMES.get(n) ?? `errno ${n}`) : undefined;
}

function fromChildError(m: SyncMessage, id: string): ContainerProcessError {
  return new ContainerProcessError(m.text, errnoName(m.err), id);
}

/**
 * Spawn the init for `plan` and run the protocol until it waits for `start`
 * and the state is committed (cb.commit). Returns the init's host pid. On
 * failure every process it made is killed and reaped (both are our children).
 */
export async function launchInit(n: Native, plan: InitPlan, cb: InitCallbacks): Promise<number> {
  const id = plan.containerId;
  const { pid: stage1, syncFd } = n.spawnInit(plan);
  let initPid = 0;
  let stage1Reaped = false;
  const reapStage1 = () => {
    if (stage1Reaped) return;
    stage1Reaped = true;
    return n.waitPid(stage1, false);
  };
  try {
    cb.joinCgroups(stage1);
    n.syncSend(syncFd, SYNC.GO, 0, '');
    for (;;) {
      const m = n.syncRecv(syncFd);
      if (!m) {
        const w = reapStage1();
        const how = w ? (w.signal !== null ? `signal ${w.signal}` : `exit status ${w.exitCode}`) : 'unknown status';
        throw new TsrunError(`container init exited unexpectedly (${how})`, { containerId: id });
      }
      switch (m.type) {
        case SYNC.USERNS_MAP:
          cb.writeIdMaps(m.value);
          n.syncSend(syncFd, SYNC.GO, 0, '');
          break;
        case SYNC.INIT_PID:
          initPid = m.value;
          reapStage1();
          n.syncSend(syncFd, SYNC.STATE, 0, cb.initStarted(initPid));
          if (plan.process.seccompListenerFd !== undefined && plan.process.seccompListenerFd >= 0) {
            if (!cb.agentState) throw new TsrunError('seccomp listener without an agent state', { containerId: id });
            n.syncSend(syncFd, SYNC.STATE, 0, cb.agentState(initPid));
          }
          break;
        case SYNC.CREATE_HOOKS: {
          const created = await cb.runCreateHooks(initPid);
          n.syncSend(syncFd, SYNC.GO, 0, '');
          n.syncSend(syncFd, SYNC.STATE, 0, created);
          break;
        }
        case SYNC.WARNING:
          cb.warning(m.text);
          break;
        case SYNC.ERROR:
          throw fromChildError(m, id);
        case SYNC.READY:
          cb.commit(initPid);
          n.syncSend(syncFd, SYNC.COMMIT, 0, '');
          return initPid;
        default:
          throw new TsrunError(`container init sent an unknown message (${m.type})`, { containerId: id });
      }
    }
  } catch (err) {
    killQuietly(stage1);
    if (!stage1Reaped) {
      stage1Reaped = true;
      try {
        n.waitPid(stage1, false);
      } catch {
        // already reaped
      }
    }
    if (initPid) {
      killQuietly(initPid);
      try {
        n.waitPid(initPid, false);
      } catch {
        // reaped already
      }
    }
    throw err;
  } finally {
    n.closeFd(syncFd);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** A created init is gone: nobody reads its start FIFO. */
export class InitGoneError extends TsrunError {}

/**
 * Release a created init through its start FIFOs. Returns once the init has
 * exec'd the user program (its end of the reply FIFO closes on execve);
 * throws the init's own error when a startContainer hook or execve fails.
 */
export function releaseInit(n: Native, paths: { fifo: string; reply: string }, id: string): void {
  const reply = n.releaseStart(paths.fifo, paths.reply);
  if (reply === null) throw new InitGoneError('the container init is gone', { containerId: id });
  for (const m of parseSyncPackets(reply)) {
    if (m.type === SYNC.ERROR) throw fromChildError(m, id);
  }
}

/** Sync packets written back to back into a FIFO (header, then text; native/src/sync.h). */
function parseSyncPackets(buf: Buffer): SyncMessage[] {
  const out: SyncMessage[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off + 12);
    const end = Math.min(buf.length, off + 16 + len);
    out.push({ type: buf.readUInt32LE(off), value: buf.readInt32LE(off + 4), err: buf.readInt32LE(off + 8), text: buf.toString('utf8', off + 16, end) });
    off = end;
  }
  return out;
}
