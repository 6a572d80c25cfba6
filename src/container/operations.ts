// The lifecycle operations behind each subcommand. The CLI parses flags into
// the typed options below and calls these; nothing here knows about argv.
//
// This file is a facade: option types plus thin functions that import()
// their implementation module when called, so `tsrun state` never loads what
// `create` needs (keep it that way: no heavy top-level imports here).
//
// Conventions:
// - paths in options are absolute (the CLI resolves them against its cwd),
//   except consoleSocket/pidfdSocket (sun_path is short; passed as given);
// - an operation that changes a container holds its exclusive lock
//   (StateStore.open/create) while it does so, but never while waiting for a
//   foreground container (run, exec): kill/delete from the engine would hang;
//   readers (state, list) take no lock, so hooks may call `tsrun state`;
// - foreground run/exec resolve to the container process's exit status
//   (128+signo when killed), which the CLI exits with.
import type { StatusProbe } from '../state/status';
import type { OciState } from '../state/oci-state';
import type { Features } from '../../oci-spec';

/** Global settings every operation sees (from the global flags). */
export interface RuntimeContext {
  /** absolute state root */
  root: string;
  /** --root was given explicitly */
  rootExplicit: boolean;
  rootless: boolean | 'auto';
  systemdCgroup: boolean;
  debug: boolean;
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

export interface ExecUser {
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

export async function create(ctx: RuntimeContext, opts: CreateOptions): Promise<void> {
  await (await import('./create')).createContainer(ctx, opts);
}

export async function run(ctx: RuntimeContext, opts: RunOptions): Promise<number> {
  return (await import('./run')).runContainer(ctx, opts);
}

export async function start(ctx: RuntimeContext, opts: StartOptions): Promise<void> {
  await (await import('./start')).startContainer(ctx, opts);
}

export async function kill(ctx: RuntimeContext, opts: KillOptions): Promise<void> {
  (await import('./kill')).killContainer(ctx, opts);
}

export async function deleteContainer(ctx: RuntimeContext, opts: DeleteOptions): Promise<void> {
  await (await import('./delete')).deleteContainer(ctx, opts);
}

export async function exec(ctx: RuntimeContext, opts: ExecOptions): Promise<number> {
  return (await import('./exec')).execContainer(ctx, opts);
}

export async function pause(ctx: RuntimeContext, opts: PauseOptions): Promise<void> {
  (await import('./pause')).pauseContainer(ctx, opts);
}

export async function resume(ctx: RuntimeContext, opts: ResumeOptions): Promise<void> {
  (await import('./resume')).resumeContainer(ctx, opts);
}

/** Prints the container's pids (json) or its rows of ps(1) (table) on stdout. */
export async function ps(ctx: RuntimeContext, opts: PsOptions): Promise<void> {
  (await import('./ps')).psContainer(ctx, opts);
}

export async function update(ctx: RuntimeContext, opts: UpdateOptions): Promise<void> {
  (await import('./update')).updateContainer(ctx, opts);
}

/** Prints JSON event lines on stdout; with an interval, until the container stops. */
export async function events(ctx: RuntimeContext, opts: EventsOptions): Promise<void> {
  await (await import('./events')).eventsContainer(ctx, opts);
}

/** The runtime-spec features document (see features.ts). */
export async function features(_ctx: RuntimeContext, opts: FeaturesOptions): Promise<Features> {
  const [{ featuresDocument }, { native }] = await Promise.all([import('./features'), import('../native')]);
  return featuresDocument(native(), opts.annotations);
}

/** The OCI state of one container (see query.ts). */
export async function state(ctx: RuntimeContext, opts: StateOptions, deps: OperationDeps = {}): Promise<OciState> {
  return (await import('./query')).stateOf(ctx, opts, deps);
}

/** Every container under the root, sorted by id (see query.ts). */
export async function list(ctx: RuntimeContext, opts: ListOptions, deps: OperationDeps = {}): Promise<ListEntry[]> {
  return (await import('./query')).listAll(ctx, opts, deps);
}

/** Write a default config.json into the bundle (see spec-file.ts). */
export async function spec(ctx: RuntimeContext, opts: SpecOptions): Promise<void> {
  (await import('./spec-file')).writeDefaultSpec(ctx, opts);
}
