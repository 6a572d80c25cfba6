// `kill`: signal the init (or, with --all, every process in the cgroup).
import { TsrunError } from '../errors';
import { SIGKILL } from '../native/linux-constants';
import { assertCan, refusal } from '../state/transitions';
import { Container } from './container';
import { cgroupOf } from './cgroup-of';
import type { KillOptions, RuntimeContext } from './options';

export function killContainer(ctx: RuntimeContext, opts: KillOptions): void {
  const c = Container.open(ctx, opts.id);
  try {
    const { status } = c.status();
    assertCan('kill', status, c.id, opts.all ? ['all'] : []);
    if (status === 'stopped') return; // --all: nothing left to signal
    if (opts.all) {
      cgroupOf(c).killAll(opts.signal);
      return;
    }
    try {
      process.kill(c.state.initPid, opts.signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw refusal('kill', 'stopped', c.id, err);
      throw new TsrunError(`kill ${c.state.initPid}: ${(err as Error).message}`, { containerId: c.id, cause: err });
    }
    // a frozen task dies only once thawed
    if (status === 'paused' && opts.signal === SIGKILL) cgroupOf(c).thaw();
  } finally {
    c.release();
  }
}

/**
 * Signal every process in the container's cgroups whatever its status: what
 * an engine does when the init of a container sharing its pid namespace has
 * exited and the rest must go too.
 */
export function killAllProcesses(ctx: RuntimeContext, id: string, signal: number): void {
  const c = Container.open(ctx, id);
  try {
    assertCan('kill', c.status().status, c.id, ['all']);
    cgroupOf(c).killAll(signal);
  } finally {
    c.release();
  }
}
