// The typed options of each lifecycle operation: what the CLI parses flags
// into and what the implementations take. Types only, kept apart from the
// lazy operations.ts facade so that an implementation importing them does
// not import the facade that imports it (no cycle, not even for types).
//
// Conventions:
// - paths in options are absolute (the CLI resolves them against its cwd),
//   except consoleSocket/pidfdSocket (sun_path is short; passed as given);
// - foreground run/exec resolve to the container process's exit status
//   (128+signo when killed), which the CLI exits with.
import type { StatusProbe } from '../state/status';
import type { OciState } from '../state/oci-state';

/** Global settings every operation sees (from the global flags). */
export interface RuntimeContext {
  /** absolute state root */
  root: string;
  /** --root was given explicitly */
  rootExplicit: boolean;
  /** --systemd-cgroup (refused with a clear error: no systemd driver yet) */
  systemdCgroup: boolean;
}

export interface CreateOptions {
  id: string;
  /** absolute bundle directory (default: the cwd) */
  bundle: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  /** absolute */
  pidFile?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  /** fds 3 .. 2+N are passed to the container */
  preserveFds: number;
  /** go-runc may send --detach; create always detaches */
  detach: boolean;
}

/** create's options, plus what only a foreground run has; `detach` means run -d here */
export interface RunOptions extends CreateOptions {
  /** keep the container (do not delete) after it exits */
  keep: boolean;
  noSubreaper: boolean;
}

export interface StartOptions {
  id: string;
}

export interface StateOptions {
  id: string;
}

export interface ListOptions {
  format: 'table' | 'json';
  quiet: boolean;
}

export interface KillOptions {
  id: string;
  /** signal number (default SIGTERM = 15) */
  signal: number;
  /** obsolete --all: exit 0 when the container is not running */
  all: boolean;
}

export interface DeleteOptions {
  id: string;
  force: boolean;
}

interface ExecUser {
  uid: number;
  gid?: number;
}

export interface ExecOptions {
  id: string;
  /** absolute path of a process.json; when set, the CLI process flags are ignored (runc) */
  processFile?: string;
  /** the command and its arguments (after the id); empty with processFile */
  args: string[];
  cwd?: string;
  /** appended to the config's process.env */
  env: string[];
  tty: boolean;
  user?: ExecUser;
  additionalGids: number[];
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  processLabel?: string;
  apparmor?: string;
  /** undefined when --no-new-privs was not given (keep the config's value) */
  noNewPrivs?: boolean;
  /** added to bounding/effective/permitted (and ambient when inheritable is set) */
  caps: string[];
  preserveFds: number;
  /** --cgroup: controller (or "" for v2) -> sub-cgroup path */
  subCgroupPaths?: Record<string, string>;
  ignorePaused: boolean;
}

export interface PauseOptions {
  id: string;
}

export interface ResumeOptions {
  id: string;
}

export interface PsOptions {
  id: string;
  format: 'table' | 'json';
  /** arguments for ps(1) with the table format (default ["-ef"]) */
  psArgs: string[];
}

/** runc update's per-flag values; undefined = not given. Sizes are bytes (-1 = unlimited). */
export interface UpdateValues {
  blkioWeight?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuBurst?: number;
  cpuShares?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  kernelMemory?: number;
  kernelMemoryTcp?: number;
  memory?: number;
  cpuIdle?: number;
  memoryReservation?: number;
  memorySwap?: number;
  pidsLimit?: number;
  l3CacheSchema?: string;
  memBwSchema?: string;
}

export interface UpdateOptions {
  id: string;
  /** LinuxResources JSON: an absolute path, or "-" for stdin; when set, `values` is ignored */
  resources?: string;
  values: UpdateValues;
}

export interface EventsOptions {
  id: string;
  /** > 0 */
  intervalMs: number;
  /** print one stats record and exit */
  stats: boolean;
}

export interface FeaturesOptions {
  /** extra `annotations` (the CLI adds its version and commit) */
  annotations?: Record<string, string>;
}

export interface SpecOptions {
  /** absolute bundle directory */
  bundle: string;
  rootless: boolean;
}

/** A `list` row: the OCI state plus why a stopped container stopped. */
export type ListEntry = OciState;

/** Host probes for status derivation (cgroup freezer etc.); tests inject fakes. */
export interface OperationDeps {
  statusProbe?: Partial<StatusProbe>;
  /** uid -> user name for list's OWNER column */
  userName?: (uid: number) => string;
}
