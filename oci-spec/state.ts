// OCI runtime-spec v1.3.0 state (runtime.md "State", schema/state-schema.json) and
// the container process state sent to seccomp listeners (config-linux.md
// "The Container Process State", specs-go ContainerProcessState).
import { z } from 'zod';
import { int, obj, OPT_STRING, OPT_STRING_MAP, OPT_STRINGS, optInt, STRING } from './schema-kit';

/**
 * Statuses: the spec's four, plus "paused", which runc reports and the spec
 * allows ("additional values MAY be defined by the runtime").
 */
export const CONTAINER_STATUSES = ['creating', 'created', 'running', 'stopped', 'paused'] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];

export const StateSchema = obj({
  ociVersion: STRING,
  id: STRING,
  status: z.enum(CONTAINER_STATUSES),
  /** required on Linux while created or running; 0 when stopped (runc) */
  pid: optInt('uint32'),
  /** absolute path of the bundle directory */
  bundle: STRING,
  annotations: OPT_STRING_MAP,
});
/** The state JSON: `tsrun state` prints it, hooks read it on stdin. */
export type State = z.infer<typeof StateSchema>;

/** Name of the seccomp notify fd in ContainerProcessState.fds. */
export const SECCOMP_FD_NAME = 'seccompFd';

export const ContainerProcessStateSchema = obj({
  ociVersion: STRING,
  /** names of the fds passed with SCM_RIGHTS, in the same order */
  fds: OPT_STRINGS,
  /** the container process as seen by the runtime */
  pid: int('uint32'),
  /** linux.seccomp.listenerMetadata, passed through */
  metadata: OPT_STRING,
  state: StateSchema,
});
/** What the runtime sends over linux.seccomp.listenerPath with the seccomp fd. */
export type ContainerProcessState = z.infer<typeof ContainerProcessStateSchema>;
