// `run`: create + start; in the foreground, wait for the init (tsrun's own
// child: stage 1 forks it with CLONE_PARENT; tsrun is also the subreaper of
// what the container leaves behind), forward
// signals to it, then destroy the container. Exits with the container's
// status, or 128+signal. With process.terminal and no --console-socket, the
// foreground run relays the container's pty to its own stdio.
import * as path from 'node:path';
import type { Config } from '../../oci-spec';
import { exitStatus, forwardSignals } from './foreground';
import { native, type Native } from '../native';
import { StateStore } from '../state/store';
import { loadBundleConfig } from './config-file';
import { log } from '../log';
import { Container } from './container';
import { createContainer, type CreateDeps, type CreatedContainer } from './create';
import { destroy } from './delete';
import type { RunOptions, RuntimeContext } from './options';
import { startContainer } from './start';
import { readHost } from './host';
import { closeConsolePair, openConsolePair, receiveMaster, startRelay, type ConsolePair, type TerminalRelay } from './terminal-relay';


export async function runContainer(ctx: RuntimeContext, opts: RunOptions, n: Native = native()): Promise<number> {
  const subreaper = !opts.detach && !opts.noSubreaper;
  // a foreground terminal without --console-socket: tsrun receives the pty
  // master itself and relays it to its own stdio
  let config: Config | undefined;
  let pair: ConsolePair | undefined;
  if (!opts.detach && !opts.consoleSocket) {
    new StateStore(ctx.root).dirOf(opts.id); // the id is checked before the bundle, as in create
    config = loadBundleConfig(path.resolve(opts.bundle), opts.id);
    if (config.process?.terminal === true) pair = openConsolePair(n);
  }
  if (subreaper) n.setChildSubreaper(true);
  const deps: CreateDeps = { native: n, host: readHost };
  let created: CreatedContainer;
  let relay: TerminalRelay | undefined;
  try {
    created = await createContainer(ctx, { ...opts, config, consoleSocketFd: pair?.containerEnd }, deps);
    if (pair) {
      try {
        relay = startRelay(n, receiveMaster(n, pair, opts.id));
      } catch (err) {
        await killAndCleanup(ctx, opts, created.initPid, n);
        throw err;
      }
    }
  } finally {
    if (pair) closeConsolePair(n, pair);
  }
  if (opts.detach) {
    await startContainer(ctx, { id: opts.id }, n);
    return 0;
  }
  const initPid = created.initPid;
  const stopForwarding = forwardSignals(initPid, { relay: relay !== undefined });
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
    await relay?.finish();
    relay = undefined;
    if (!opts.keep) await cleanup(ctx, opts);
    return exitStatus(w);
  } finally {
    stopForwarding();
    await relay?.finish();
  }
}

async function killAndCleanup(ctx: RuntimeContext, opts: RunOptions, initPid: number, n: Native): Promise<void> {
  try {
    process.kill(initPid, 'SIGKILL');
    await n.waitPidAsync(initPid).catch(() => undefined);
  } catch {
    // gone already
  }
  await cleanup(ctx, opts);
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
