// `resume`: thaw a paused container.
import { assertCan } from '../state/transitions';
import { Container } from './container';
import { cgroupOf } from './cgroup-of';
import type { ResumeOptions, RuntimeContext } from './options';

export function resumeContainer(ctx: RuntimeContext, opts: ResumeOptions): void {
  const c = Container.open(ctx, opts.id);
  try {
    assertCan('resume', c.status().status, c.id);
    cgroupOf(c).thaw();
  } finally {
    c.release();
  }
}
