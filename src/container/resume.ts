// `resume`: thaw a paused container.
import { assertCan } from '../state/transitions';
import { Container } from './container';
import type { ResumeOptions, RuntimeContext } from './options';

export function resumeContainer(ctx: RuntimeContext, opts: ResumeOptions): void {
  const c = Container.open(ctx, opts.id);
  try {
    assertCan('resume', c.status().status, c.id);
    c.cgroup().thaw();
  } finally {
    c.release();
  }
}
