// `pause`: freeze every process of a created or running container (v1
// freezer.state, v2 cgroup.freeze). The `paused` status is read back from the
// freezer by `state`/`list`, so nothing else needs to be stored.
import { InvalidStateError } from '../errors';
import { Container } from './container';
import type { PauseOptions, RuntimeContext } from './operations';

export function pauseContainer(ctx: RuntimeContext, opts: PauseOptions): void {
  const c = Container.open(ctx, opts.id);
  try {
    const { status } = c.status();
    // runc: only created and running containers can be paused
    if (status !== 'running' && status !== 'created') throw new InvalidStateError('container not running', { containerId: c.id });
    c.cgroup().freeze();
  } finally {
    c.release();
  }
}
