// `pause`: freeze every process of a created or running container (v1
// freezer.state, v2 cgroup.freeze). The `paused` status is read back from the
// freezer by `state`/`list`, so nothing else needs to be stored.
import { assertCan } from '../state/transitions';
import { Container } from './container';
import { cgroupOf } from './cgroup-of';
import type { PauseOptions, RuntimeContext } from './options';

export function pauseContainer(ctx: RuntimeContext, opts: PauseOptions): void {
  const c = Container.open(ctx, opts.id);
  try {
    assertCan('pause', c.status().status, c.id);
    cgroupOf(c).freeze();
  } finally {
    c.release();
  }
}
