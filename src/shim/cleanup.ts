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
import { readBundleRecord, removeBundleRecord } from './records';
import { unmountAll } from './rootfs';
import { runtimeContext } from './context';

/** containerd's exit status for a container whose shim is gone: killed by SIGKILL. */
export const KILLED_STATUS = 128 + 9;

export interface CleanedUp {
  /** the init's pid, 0 when unknown */
  pid: number;
  exitStatus: number;
}

export async function cleanupContainer(n: Pick<Native, 'unmount'>, opts: { bundle: string; id: string; namespace: string }): Promise<CleanedUp> {
  const root = readBundleRecord(opts.bundle)?.root ?? path.join(DEFAULT_ROOT, opts.namespace);
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
