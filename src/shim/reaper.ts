// The shim is the child subreaper of its containers: every init and exec'd
// process becomes its child once the setup process that forked it exits, and
// so do orphans of a container whose pid namespace is shared. This module
// reaps them all and reports the exits of the processes the shim watches.
//
// Node's own children (OCI hooks run through child_process) must be left to
// libuv, which reaps them by pid: waiting on "any child" would steal their
// status. So the reaper reaps the pids it watches by pid, and looks at other
// exited children (waitid WNOWAIT) only to reap those that are not libuv's.
// An exit that arrives before its pid is watched (a container that dies right
// after create) is kept, and handed over when the pid is watched.
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { Native, WaitResult } from '../native';

export type ExitListener = (status: number) => void;

/** How many unclaimed exits to remember (orphans nobody will ask about). */
const UNCLAIMED_LIMIT = 1024;
/** A libuv child blocks our view of other exited children until libuv reaps it: look again soon. */
const RETRY_MS = 20;

/** Exit status as containerd reports it: the code, or 128 + the signal. */
export function exitStatusOf(w: Pick<WaitResult, 'exitCode' | 'signal'>): number {
  return w.signal !== null ? 128 + w.signal : (w.exitCode ?? 255);
}

let libuvChildren: Set<number> | undefined;

/**
 * Pids of the live children Node spawned through child_process (recorded by
 * wrapping ChildProcess#spawn once per process; they leave the set on exit).
 */
function trackNodeChildren(): Set<number> {
  if (libuvChildren) return libuvChildren;
  const set = new Set<number>();
  const proto = ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown };
  const spawn = proto.spawn;
  proto.spawn = function (this: ChildProcess, ...args: unknown[]) {
    const r = spawn.apply(this, args);
    const pid = this.pid;
    if (pid !== undefined) {
      set.add(pid);
      this.once('exit', () => set.delete(pid));
    }
    return r;
  };
  libuvChildren = set;
  return set;
}

export class Reaper {
  private readonly watched = new Map<number, ExitListener>();
  private readonly unclaimed = new Map<number, number>();
  private readonly nodeChildren = trackNodeChildren();
  private retry?: NodeJS.Timeout;
  private readonly onSignal = () => this.reap();

  constructor(private readonly n: Pick<Native, 'waitPid' | 'exitedChild' | 'setChildSubreaper'>) {}

  /** Become the subreaper and start reaping on SIGCHLD. */
  start(): void {
    this.n.setChildSubreaper(true);
    process.on('SIGCHLD', this.onSignal);
    this.reap();
  }

  stop(): void {
    process.off('SIGCHLD', this.onSignal);
    if (this.retry) clearTimeout(this.retry);
  }

  /**
   * Report the exit of `pid` (a child of ours, or one that will be). An exit
   * already reaped is reported on the next tick.
   */
  watch(pid: number, listener: ExitListener): void {
    const early = this.unclaimed.get(pid);
    if (early !== undefined) {
      this.unclaimed.delete(pid);
      // a pid that still exists is a new process: the remembered exit was an older one's
      if (!fs.existsSync(`/proc/${pid}`)) {
        process.nextTick(listener, early);
        return;
      }
    }
    this.watched.set(pid, listener);
    // it may have exited between its creation and now, with the SIGCHLD already handled
    this.reapWatched(pid);
  }

  unwatch(pid: number): void {
    this.watched.delete(pid);
  }

  /** Reap what has exited: watched pids by pid, then other children that are not Node's. */
  reap(): void {
    for (const pid of [...this.watched.keys()]) this.reapWatched(pid);
    for (;;) {
      let pid: number;
      try {
        pid = this.n.exitedChild();
      } catch {
        return;
      }
      if (pid === 0) return;
      if (this.nodeChildren.has(pid)) {
        // libuv reaps it on this same SIGCHLD; what is behind it shows after that
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.reap();
        }, RETRY_MS);
        return;
      }
      const listener = this.watched.get(pid);
      const status = this.waitOne(pid);
      if (status === undefined) return;
      if (listener) {
        this.watched.delete(pid);
        listener(status);
      } else {
        this.remember(pid, status);
      }
    }
  }

  private reapWatched(pid: number): void {
    const status = this.waitOne(pid);
    if (status === undefined) return;
    const listener = this.watched.get(pid);
    this.watched.delete(pid);
    listener?.(status);
  }

  /** The exit status once `pid` has exited (reaped now); undefined while it runs or when it is not our child. */
  private waitOne(pid: number): number | undefined {
    let w: WaitResult | null;
    try {
      w = this.n.waitPid(pid, true);
    } catch {
      // ECHILD: not (yet) our child — the setup process that forked it is still there
      return undefined;
    }
    return w ? exitStatusOf(w) : undefined;
  }

  private remember(pid: number, status: number): void {
    this.unclaimed.set(pid, status);
    if (this.unclaimed.size > UNCLAIMED_LIMIT) this.unclaimed.delete(this.unclaimed.keys().next().value!);
  }
}
