// Cleaning up a container whose shim is gone: containerd runs the `delete`
// subcommand in its bundle once the shim's connection drops, and a shim
// started later for the same group does the same for whatever its
// predecessor still held. Both end here: kill every process of the container
// (by its cgroup), remove its cgroups and state, unmount its rootfs. Every
// step is idempotent, so the two may overlap.
import * as path from 'node:path';
import { deleteContainer, state } from '../container/operations';
import { log } from '../log';
import type { Native } from '../native';
import { DEFAULT_ROOT } from './config';
import { readBundleRecord, removeBundleRecord, type TaskRegistry } from './records';
import { unmountAll } from './rootfs';
import { runtimeContext } from './context';

/** containerd's exit status for a container whose shim is gone: killed by SIGKILL. */
const KILLED_STATUS = 128 + 9;

export interface CleanedUp {
  /** the init's pid, 0 when unknown */
  pid: number;
  exitStatus: number;
}

export async function cleanupContainer(n: Pick<Native, 'unmount'>, opts: { bundle: string; id: string; namespace: string; root?: string }): Promise<CleanedUp> {
  const root = opts.root ?? readBundleRecord(opts.bundle)?.root ?? path.join(DEFAULT_ROOT, opts.namespace);
  const ctx = runtimeContext(root, false);
  const pid = await state(ctx, { id: opts.id }).then((s) => s.pid, () => 0);
  try {
    await deleteContainer(ctx, { id: opts.id, force: true });
  } catch (err) {
    log.warn(`cleanup of ${opts.id}: ${(err as Error).message}`);
  }
  try {
    unmountAll(n, path.join(opts.bundle, 'rootfs'));
  } catch (err) {
    log.warn(`cleanup of ${opts.id}: ${(err as Error).message}`);
  }
  removeBundleRecord(opts.bundle);
  return { pid, exitStatus: KILLED_STATUS };
}

/**
 * Everything a dead shim held (its registry): the delete subcommand does it
 * for the whole group at once, and a shim that starts for the group does it
 * for what is still there. Returns what was done for `first`, when given.
 */
export async function cleanupGroup(n: Pick<Native, 'unmount'>, registry: TaskRegistry, namespace: string, first?: { id: string; bundle: string }): Promise<CleanedUp | undefined> {
  const held = registry.entries();
  let result: CleanedUp | undefined;
  if (first) {
    const own = held.find((h) => h.id === first.id);
    result = await cleanupContainer(n, { ...first, namespace, root: own?.root });
    registry.remove(first.id);
  }
  for (const h of held) {
    if (h.id === first?.id) continue;
    log.warn(`cleaning up container ${h.id}, held by a shim that died`, { id: h.id });
    await cleanupContainer(n, { id: h.id, bundle: h.bundle, root: h.root, namespace });
    registry.remove(h.id);
  }
  registry.removeIfEmpty();
  return result;
}
