// The "container process state" a runtime sends to the seccomp agent at
// linux.seccomp.listenerPath together with the notify fd (runtime-spec
// config-linux.md "The Container Process State"). TS builds the text; the
// addon only sends the bytes (seccomp_load.h / Native.sendFdStream).
import { SyscallError } from '../errors';
import type { Native } from '../native';

/** runtime.md "state" as sent to the agent. */
interface AgentVisibleState {
  ociVersion: string;
  id: string;
  /** runc sends "creating" from create and "running" from exec */
  status: string;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export interface ContainerProcessStateInput {
  ociVersion: string;
  /** the container process, as seen by the runtime (host pid namespace) */
  pid: number;
  /** linux.seccomp.listenerMetadata */
  metadata?: string;
  state: AgentVisibleState;
}

/** The name of the one fd sent (index 0 of SCM_RIGHTS). */
const SECCOMP_FD_NAME = 'seccompFd';

export function containerProcessStateJson(input: ContainerProcessStateInput): string {
  const state: AgentVisibleState = {
    ociVersion: input.state.ociVersion,
    id: input.state.id,
    status: input.state.status,
    pid: input.state.pid,
    bundle: input.state.bundle,
  };
  if (input.state.annotations && Object.keys(input.state.annotations).length > 0) {
    state.annotations = input.state.annotations;
  }
  const doc: Record<string, unknown> = { ociVersion: input.ociVersion, fds: [SECCOMP_FD_NAME], pid: input.pid };
  if (input.metadata) doc.metadata = input.metadata;
  doc.state = state;
  return JSON.stringify(doc);
}

/**
 * Connect to the agent at linux.seccomp.listenerPath (before the fork: the
 * host path is not reachable from the container's mount namespace). Fails
 * naming the JSON path, the socket and the errno.
 */
export function connectSeccompAgent(n: Pick<Native, 'connectUnix'>, listenerPath: string, containerId?: string): number {
  try {
    return n.connectUnix(listenerPath);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new SyscallError('linux.seccomp.listenerPath: cannot reach the seccomp agent', {
      syscall: 'connect',
      path: listenerPath,
      errno: typeof code === 'string' ? code : undefined,
      containerId,
      cause: e,
    });
  }
}
