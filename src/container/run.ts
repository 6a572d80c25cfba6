// `run`: create + start; in the foreground, wait for the init (tsrun is the
// subreaper, so the init becomes its child once stage 1 exits), forward
// signals to it, then destroy the container. Exits with the container's
// status, or 128+signal.
import { native, type Native } from '../native';
import { log } from '../log';
import { Container } from './container';
import { createContainer, type CreateDeps } from './create';
import { destroy } from './delete';
import type { RunOptions, RuntimeContext } from './operations';
import { startContainer } from './start';
import { readHost } from './host';

/** Signals a foreground `run` passes on to the container (runc's list, less SIGCHLD). */
const FORWARDED: NodeJS.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGCONT', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

export async function runContainer(ctx: RuntimeContext, opts: RunOptions, n: Native = native()): Promise<number> {
  const subreaper = !opts.detach && !opts.noSubreaper;
  if (subreaper) n.setChildSubreaper(true);
  const deps: CreateDeps = { native: n, host: readHost };
  const created = await createContainer(ctx, { ...opts, reap: subreaper }, deps);
  if (opts.detach) {
    await startContainer(ctx, { id: opts.id }, n);
    return 0;
  }
  const initPid = created.initPid;
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(initPid, sig);
    } catch {
      // exited meanwhile
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const exited = n.waitPidAsync(initPid);
    try {
      await startContainer(ctx, { id: opts.id }, n);
    } catch (err) {
      await exited.catch(() => undefined);
      await cleanup(ctx, opts);
      throw err;
    }
    const w = await exited;
    if (!opts.keep) await cleanup(ctx, opts);
    return w.signal !== null ? 128 + w.signal : (w.exitCode ?? 0);
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}

async function cleanup(ctx: RuntimeContext, opts: RunOptions): Promise<void> {
  let c: Container;
  try {
    c = Container.open(ctx, opts.id);
  } catch (err) {
    log.warn(`run: cleanup of ${opts.id}: ${(err as Error).message}`);
    return;
  }
  try {
    await destroy(c);
  } finally {
    c.release();
  }
}
