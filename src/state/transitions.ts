// What each operation may do in each status (status.ts derives the status):
// one table, as youki's ContainerStatus::can_start/can_kill/..., with runc's
// refusal wording, which engines match on (containerd's runc shim looks for
// "container not running", "cannot start an already running container"...).
// Every operation on an existing container asks `assertCan` before it acts.
import { InvalidStateError } from '../errors';
import type { ContainerStatus } from './status';

export type Operation = 'start' | 'kill' | 'pause' | 'resume' | 'delete' | 'exec' | 'update' | 'events';

/** Command-line flags that lift a refusal (runc's `delete --force`, `exec --ignore-paused`, `kill --all`). */
export type Override = 'force' | 'ignorePaused' | 'all';

interface Refusal {
  /** runc's message; `id` for the ones that name the container */
  message: (id: string) => string;
  /** the flag under which the operation goes ahead anyway */
  unless?: Override;
}

const allowed = null;
const refuse = (message: string | ((id: string) => string), unless?: Override): Refusal => ({
  message: typeof message === 'string' ? () => message : message,
  unless,
});

const NOT_RUNNING = 'container not running';

/** operation -> status -> null (allowed) or why not. */
const TRANSITIONS: Record<Operation, Record<ContainerStatus, Refusal | null>> = {
  start: {
    created: allowed,
    running: refuse('cannot start an already running container'),
    paused: refuse('cannot start a container in the paused state'),
    stopped: refuse('cannot start a container that has stopped'),
  },
  kill: {
    created: allowed,
    running: allowed,
    paused: allowed,
    // runc: --all on a stopped container succeeds (the shim sends it after every exit)
    stopped: refuse(NOT_RUNNING, 'all'),
  },
  pause: {
    created: allowed,
    running: allowed,
    paused: refuse(NOT_RUNNING),
    stopped: refuse(NOT_RUNNING),
  },
  resume: {
    created: refuse('container not paused'),
    running: refuse('container not paused'),
    paused: allowed,
    stopped: refuse('container not paused'),
  },
  delete: {
    created: allowed,
    running: refuse((id) => `cannot delete container ${id} that is not stopped: running`, 'force'),
    paused: refuse((id) => `cannot delete container ${id} that is not stopped: paused`, 'force'),
    stopped: allowed,
  },
  exec: {
    created: allowed,
    running: allowed,
    paused: refuse('cannot exec in a paused container (use --ignore-paused to override)', 'ignorePaused'),
    stopped: refuse('cannot exec in a stopped container'),
  },
  update: {
    created: allowed,
    running: allowed,
    paused: allowed,
    stopped: refuse(NOT_RUNNING),
  },
  events: {
    created: allowed,
    running: allowed,
    paused: allowed,
    stopped: refuse((id) => `container with id ${id} is not running`),
  },
};

/** May `op` go ahead in `status`, given the flags in `overrides`? */
export function can(op: Operation, status: ContainerStatus, overrides: readonly Override[] = []): boolean {
  const refusal = TRANSITIONS[op][status];
  return refusal === null || (refusal.unless !== undefined && overrides.includes(refusal.unless));
}

/** The InvalidStateError for `op` in `status` (also for a status found out late, e.g. the init died meanwhile). */
export function refusal(op: Operation, status: ContainerStatus, id: string, cause?: unknown): InvalidStateError {
  const r = TRANSITIONS[op][status];
  const message = r ? r.message(id) : `${op} is allowed in the ${status} state`;
  return new InvalidStateError(message, { containerId: id, cause });
}

/** Throw runc's error unless `op` may go ahead in `status`. */
export function assertCan(op: Operation, status: ContainerStatus, id: string, overrides: readonly Override[] = []): void {
  if (!can(op, status, overrides)) throw refusal(op, status, id);
}
