// A container's status is derived each time from the kernel, never trusted
// from state.json: the init is alive when /proc/<pid>/stat exists, is not a
// zombie, and still has the start time recorded at create (PID reuse guard).
//   alive + frozen cgroup        -> paused
//   alive + start.fifo present   -> created (init blocked before execve)
//   alive                        -> running
//   otherwise                    -> stopped (pid reported as 0)
// For `list`, a stopped container also gets a detail: `dead` when the init
// vanished before start (its start.fifo is still there) or a cleanup failed, else
// `exited`.
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerStatus as OciContainerStatus } from '../../oci-spec/state';
import { readProcStat, type ProcReader } from './proc';
import { START_FIFO, type StoredState } from './types';

/** oci-spec's statuses but "creating", which only create itself ever sees. */
export type ContainerStatus = Exclude<OciContainerStatus, 'creating'>;
export type StoppedDetail = 'exited' | 'dead';

export interface StatusProbe {
  /** /proc/<pid>/stat reader (default: the real /proc) */
  readProc: ProcReader;
  /** does the start FIFO exist? (default: lstat) */
  startFifoExists: (startFifoPath: string) => boolean;
  /** is the container's cgroup frozen? (default: never; the cgroups module supplies the real check) */
  isPaused: (state: StoredState) => boolean;
}

export interface StatusResult {
  status: ContainerStatus;
  /** the init's host pid, 0 when stopped */
  pid: number;
  /** only for stopped containers */
  detail?: StoppedDetail;
}

const defaultStatusProbe: StatusProbe = {
  readProc: (pid) => readProcStat(pid),
  // no exception on ENOENT: creating one costs milliseconds at start-up
  startFifoExists: (p) => fs.lstatSync(p, { throwIfNoEntry: false }) !== undefined,
  isPaused: () => false,
};

/** Is the recorded init still that same, non-zombie process? */
export function isInitAlive(state: Pick<StoredState, 'initPid' | 'initStartTime'>, readProc: ProcReader): boolean {
  if (!Number.isSafeInteger(state.initPid) || state.initPid <= 0) return false;
  const stat = readProc(state.initPid);
  if (!stat) return false;
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
  return stat.startTime === state.initStartTime;
}

/** Status of a stored container; `dir` is its state directory (holding start.fifo). */
export function deriveStatus(state: StoredState, dir: string, probe: Partial<StatusProbe> = {}): StatusResult {
  const p: StatusProbe = { ...defaultStatusProbe, ...probe };
  const startPending = p.startFifoExists(path.join(dir, START_FIFO));
  if (isInitAlive(state, p.readProc)) {
    if (p.isPaused(state)) return { status: 'paused', pid: state.initPid };
    if (startPending) return { status: 'created', pid: state.initPid };
    return { status: 'running', pid: state.initPid };
  }
  const detail: StoppedDetail = state.cleanupFailed || startPending ? 'dead' : 'exited';
  return { status: 'stopped', pid: 0, detail };
}
