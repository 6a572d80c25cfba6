// `resume`: thaw a paused container.
import { InvalidStateError } from '../errors';
import { Container } from './container';
import type { ResumeOptions, RuntimeContext } from './operations';

export function resumeContainer(ctx: RuntimeContext, opts: ResumeOptions): void {
  const c = Container.open(ctx, opts.id);
  try {
    if (c.status().status !== 'paused') throw new InvalidStateError('container not paused', { containerId: c.id });
    c.cgroup().thaw();
  } finally {
    c.release();
  }
}
