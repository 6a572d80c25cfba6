// `start`: release a created init, then run the poststart hooks. The init's
// reply FIFO closes on a successful execve; a failing startContainer hook or
// execve comes back through it as the init's own error.
import * as fs from 'node:fs';
import { runHooks } from '../hooks/run';
import { native, type Native } from '../native';
import { log } from '../log';
import { Container, hookState } from './container';
import { InitGoneError, releaseInit } from './init-process';
import type { RuntimeContext, StartOptions } from './options';
import { assertCan, refusal } from '../state/transitions';

export async function startContainer(ctx: RuntimeContext, opts: StartOptions, n: Native = native()): Promise<number> {
  const c = Container.open(ctx, opts.id);
  try {
    const st = c.status();
    assertCan('start', st.status, c.id);
    try {
      releaseInit(n, { fifo: c.handle.startFifoPath, reply: c.handle.startReplyPath }, c.id);
    } catch (err) {
      // nobody reads the start FIFO: the init died between create and start
      if (err instanceof InitGoneError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw refusal('start', 'stopped', c.id, err);
      }
      throw err;
    } finally {
      fs.rmSync(c.handle.startFifoPath, { force: true });
      fs.rmSync(c.handle.startReplyPath, { force: true });
    }
    const state = JSON.parse(hookState(c.state, 'running', c.state.initPid)) as unknown;
    try {
      await runHooks('poststart', c.state.config.hooks?.poststart, state, { containerId: c.id });
    } catch (err) {
      // runtime-spec 1.3: a failing poststart hook stops the container
      log.warn(`poststart hook failed, killing container ${c.id}`);
      try {
        process.kill(c.state.initPid, 'SIGKILL');
      } catch {
        // gone already
      }
      throw err;
    }
    return c.state.initPid;
  } finally {
    c.release();
  }
}
