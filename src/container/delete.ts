// `delete`: destroy a stopped (or created) container: kill what is left,
// remove its cgroups and state dir, run the poststop hooks. --force does it
// in any state, and repairs from whatever is left when state.json is missing
// or damaged (repair.ts); for an id with no state directory at all it removes
// the id's default cgroup if one exists, and succeeds.
import * as fs from 'node:fs';
import { SIGKILL } from '../native/linux-constants';
import { waitGone } from '../state/proc';
import { StateStore } from '../state/store';
import { assertCan } from '../state/transitions';
import { Container, runPoststopHooks } from './container';
import { cgroupOf } from './cgroup-of';
import type { DeleteOptions, RuntimeContext } from './options';
import { removeOrphanCgroups, repairFromLeftovers } from './repair';

export async function deleteContainer(ctx: RuntimeContext, opts: DeleteOptions): Promise<void> {
  if (opts.force) return forceDelete(ctx, opts.id);
  const c = Container.open(ctx, opts.id);
  try {
    await destroyInAnyState(c, false);
  } finally {
    c.release();
  }
}

async function forceDelete(ctx: RuntimeContext, id: string): Promise<void> {
  const store = new StateStore(ctx.root);
  store.dirOf(id); // the id is checked first
  store.sweepAbandoned();
  const found = store.inspect(id);
  if (!found) return removeOrphanCgroups(ctx, id);
  try {
    if (!found.state) return await repairFromLeftovers(ctx, id, found);
    await destroyInAnyState(new Container(found.handle, found.state), true);
  } finally {
    found.handle.release();
  }
}

async function destroyInAnyState(c: Container, force: boolean): Promise<void> {
  const { status } = c.status();
  assertCan('delete', status, c.id, force ? ['force'] : []);
  if (status !== 'stopped') {
    killInit(c, status === 'paused');
    await waitGone(c.state.initPid, c.state.initStartTime);
  }
  await destroy(c);
}

function killInit(c: Container, paused: boolean): void {
  try {
    process.kill(c.state.initPid, SIGKILL);
  } catch {
    // already gone
  }
  if (paused) cgroupOf(c).thaw();
}

/** Remove everything create made, then run the poststop hooks (failures only warn). */
export async function destroy(c: Container): Promise<void> {
  try {
    cgroupOf(c).destroy();
  } catch (err) {
    markCleanupFailed(c);
    throw err;
  }
  const poststop = c.state.config.hooks?.poststop;
  c.handle.destroy();
  await runPoststopHooks(c.state, poststop);
}

function markCleanupFailed(c: Container): void {
  try {
    if (fs.existsSync(c.handle.statePath)) c.handle.write({ ...c.state, cleanupFailed: true });
  } catch {
    // best effort: the error that got us here is what matters
  }
}
