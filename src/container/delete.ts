// `delete`: destroy a stopped (or created) container: kill what is left,
// remove its cgroups and state dir, run the poststop hooks. --force does it
// in any state, and for an unknown id removes whatever is left and succeeds.
import * as fs from 'node:fs';
import { ContainerNotFoundError, TsrunError } from '../errors';
import { SIGKILL } from '../native/linux-constants';
import { readProcStat } from '../state/proc';
import { StateStore } from '../state/store';
import { assertCan } from '../state/transitions';
import { Container, runPoststopHooks } from './container';
import type { DeleteOptions, RuntimeContext } from './options';

const KILL_WAIT_MS = 10_000;

export async function deleteContainer(ctx: RuntimeContext, opts: DeleteOptions): Promise<void> {
  let c: Container;
  try {
    c = Container.open(ctx, opts.id);
  } catch (err) {
    if (err instanceof ContainerNotFoundError && opts.force) {
      new StateStore(ctx.root).removeLeftover(opts.id);
      return;
    }
    throw err;
  }
  try {
    const { status } = c.status();
    assertCan('delete', status, c.id, opts.force ? ['force'] : []);
    if (status !== 'stopped') {
      killInit(c, status === 'paused');
      await waitGone(c.state.initPid, c.state.initStartTime);
    }
    await destroy(c);
  } finally {
    c.release();
  }
}

function killInit(c: Container, paused: boolean): void {
  try {
    process.kill(c.state.initPid, SIGKILL);
  } catch {
    // already gone
  }
  if (paused) c.cgroup().thaw();
}

/** Poll until the init is gone or a zombie (runc: 100 × 100 ms). */
export async function waitGone(pid: number, startTime: number, timeoutMs = KILL_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = readProcStat(pid);
    if (!st || st.startTime !== startTime || st.state === 'Z' || st.state === 'X') return;
    if (Date.now() > deadline) throw new TsrunError(`container init ${pid} did not exit after SIGKILL`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Remove everything create made, then run the poststop hooks (failures only warn). */
export async function destroy(c: Container): Promise<void> {
  try {
    c.cgroup().destroy();
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
