// The lifecycle operations behind each subcommand. The CLI parses flags into
// the typed options (options.ts) and calls these; nothing here knows about argv.
//
// This file is a facade: thin functions that import() their implementation
// module when called, so `tsrun state` never loads what `create` needs (keep
// it that way: no heavy top-level imports here).
//
// Conventions:
// - an operation that changes a container holds its exclusive lock
//   (StateStore.open/create) while it does so, but never while waiting for a
//   foreground container (run, exec): kill/delete from the engine would hang;
//   readers (state, list) take no lock, so hooks may call `tsrun state`.
import type { Features } from '../../oci-spec';
import type { OciState } from '../state/oci-state';
import type {
  RuntimeContext,
  CreateOptions,
  RunOptions,
  StartOptions,
  StateOptions,
  ListOptions,
  KillOptions,
  DeleteOptions,
  ExecOptions,
  PauseOptions,
  ResumeOptions,
  PsOptions,
  UpdateOptions,
  EventsOptions,
  FeaturesOptions,
  SpecOptions,
  ListEntry,
  OperationDeps,
} from './options';

export type {
  RuntimeContext,
  CreateOptions,
  RunOptions,
  StartOptions,
  StateOptions,
  ListOptions,
  KillOptions,
  DeleteOptions,
  ExecOptions,
  PauseOptions,
  ResumeOptions,
  PsOptions,
  UpdateValues,
  UpdateOptions,
  EventsOptions,
  FeaturesOptions,
  SpecOptions,
  ListEntry,
  OperationDeps,
} from './options';

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
