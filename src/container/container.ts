// An existing container: its stored state and its status derived from the
// kernel (its cgroup manager: cgroup-of.ts). Operations check what the status
// allows with the one transition table (state/transitions.ts) before they act.
import { OCI_VERSION } from '../../oci-spec/version';
import type { Hook } from '../hooks/run';
import { log } from '../log';
import { deriveStatus, type StatusResult } from '../state/status';
import { StateStore, type ContainerHandle } from '../state/store';
import type { StoredState } from '../state/types';
import { isFrozen } from '../cgroups/freezer-probe';
import type { RuntimeContext } from './options';

export class Container {
  readonly handle: ContainerHandle;
  readonly state: StoredState;

  constructor(handle: ContainerHandle, state: StoredState) {
    this.handle = handle;
    this.state = state;
  }

  /** Lock and load `id` ("container does not exist" when unknown). */
  static open(ctx: RuntimeContext, id: string): Container {
    const handle = new StateStore(ctx.root).open(id);
    try {
      return new Container(handle, handle.read());
    } catch (err) {
      handle.release();
      throw err;
    }
  }

  get id(): string {
    return this.state.id;
  }

  status(): StatusResult {
    return deriveStatus(this.state, this.handle.dir, { isPaused: (s) => isFrozen(s.cgroup) });
  }

  release(): void {
    this.handle.release();
  }
}

/** The OCI state object hooks get on stdin. */
export function hookState(s: Pick<StoredState, 'id' | 'bundle' | 'annotations'>, status: string, pid: number): string {
  // runtime-spec's State has pid,omitempty: a stopped container's state has none (runc)
  const o: Record<string, unknown> = { ociVersion: OCI_VERSION, id: s.id, status, ...(pid > 0 ? { pid } : {}), bundle: s.bundle };
  if (s.annotations && Object.keys(s.annotations).length) o.annotations = s.annotations;
  return JSON.stringify(o);
}

/**
 * The poststop hooks, after destroy (or a failed create): state "stopped".
 * runtime-spec: a failing one is a warning, and the remaining hooks still run.
 */
export async function runPoststopHooks(
  s: Pick<StoredState, 'id' | 'bundle' | 'annotations'>,
  hooks: readonly Hook[] | undefined,
): Promise<void> {
  if (!hooks?.length) return;
  // loaded only when there are hooks: kill and start share this module
  const { runHooks } = await import('../hooks/run');
  await runHooks('poststop', hooks, hookState(s, 'stopped', 0), {
    containerId: s.id,
    onFailure: (err) => log.warn(`poststop: ${err.message}`),
  });
}
