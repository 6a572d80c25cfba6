// What the shim knows about each container it holds: the init and the exec'd
// processes, their stdio, and how each ended. The container itself (its
// state, cgroups, status as the kernel sees it) stays with the container
// library, in the state root, where `tsrun state`/`list` read it too.
import type { Process } from '../../oci-spec';
import type { RuntimeContext } from '../container/operations';
import type { ProcessIo, StdioPaths } from './io';
import type { Mount } from './proto/messages';

export type ProcessStatus = 'created' | 'running' | 'paused' | 'stopped';

export class ShimProcess {
  pid = 0;
  status: ProcessStatus = 'created';
  exitStatus = 0;
  exitedAt?: Date;
  io?: ProcessIo;
  /** resolves when the process has exited (or will never run) */
  readonly exited: Promise<void>;
  private markExited!: () => void;

  constructor(
    readonly containerId: string,
    /** "" for the init */
    readonly execId: string,
    readonly stdio: StdioPaths,
    /** an exec's process document (the init's is the bundle's config.json) */
    readonly spec?: Process,
  ) {
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  /** the id containerd uses in events: the exec id, or the container id for the init */
  get id(): string {
    return this.execId || this.containerId;
  }

  setExited(status: number, at = new Date()): void {
    if (this.status === 'stopped') return;
    this.status = 'stopped';
    this.exitStatus = status;
    this.exitedAt = at;
    this.markExited();
  }
}

export class ShimTask {
  readonly execs = new Map<string, ShimProcess>();
  /** Start is running: an exit waits until TaskStart has been published */
  starting = false;
  heldExit?: number;
  /** OOM kills already reported */
  oomKills = 0;

  constructor(
    readonly id: string,
    readonly bundle: string,
    readonly ctx: RuntimeContext,
    readonly init: ShimProcess,
    /** <bundle>/rootfs when the shim mounted it, "" otherwise */
    readonly rootfs: string,
    readonly rootfsMounts: Mount[],
    /** no pid namespace of its own: the rest is killed when the init exits */
    readonly sharedPidNamespace: boolean,
  ) {}

  process(execId: string): ShimProcess | undefined {
    return execId === '' ? this.init : this.execs.get(execId);
  }

  /** every pid the shim watches in this container */
  *pids(): Iterable<ShimProcess> {
    yield this.init;
    yield* this.execs.values();
  }
}
