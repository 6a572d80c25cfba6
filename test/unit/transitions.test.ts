// The one table of what each operation may do in each status.
import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../src/errors';
import type { ContainerStatus } from '../../src/state/status';
import { assertCan, can, refusal, type Operation } from '../../src/state/transitions';

const STATUSES: ContainerStatus[] = ['created', 'running', 'paused', 'stopped'];

/** runc's rules (libcontainer's state machine and the commands' own checks). */
const ALLOWED: Record<Operation, ContainerStatus[]> = {
  start: ['created'],
  kill: ['created', 'running', 'paused'],
  pause: ['created', 'running'],
  resume: ['paused'],
  delete: ['created', 'stopped'],
  exec: ['created', 'running'],
  update: ['created', 'running', 'paused'],
  events: ['created', 'running', 'paused'],
};

describe('transitions', () => {
  it('allows each operation in exactly runc\'s statuses', () => {
    for (const [op, allowed] of Object.entries(ALLOWED) as [Operation, ContainerStatus[]][]) {
      for (const status of STATUSES) expect([op, status, can(op, status)]).toEqual([op, status, allowed.includes(status)]);
    }
  });

  it('lifts a refusal only with its flag', () => {
    expect(can('delete', 'running', ['force'])).toBe(true);
    expect(can('delete', 'paused', ['force'])).toBe(true);
    expect(can('delete', 'running', ['all'])).toBe(false);
    expect(can('exec', 'paused', ['ignorePaused'])).toBe(true);
    expect(can('exec', 'stopped', ['ignorePaused'])).toBe(false);
    expect(can('kill', 'stopped', ['all'])).toBe(true);
    expect(can('start', 'running', ['force', 'all', 'ignorePaused'])).toBe(false);
  });

  it('refuses with runc\'s wording', () => {
    const message = (op: Operation, status: ContainerStatus) => refusal(op, status, 'c1').message;
    expect(message('start', 'stopped')).toBe('cannot start a container that has stopped');
    expect(message('start', 'running')).toBe('cannot start an already running container');
    expect(message('start', 'paused')).toBe('cannot start a container in the paused state');
    expect(message('kill', 'stopped')).toBe('container not running');
    expect(message('pause', 'stopped')).toBe('container not running');
    expect(message('pause', 'paused')).toBe('container not running');
    expect(message('resume', 'running')).toBe('container not paused');
    expect(message('delete', 'running')).toBe('cannot delete container c1 that is not stopped: running');
    expect(message('delete', 'paused')).toBe('cannot delete container c1 that is not stopped: paused');
    expect(message('exec', 'stopped')).toBe('cannot exec in a stopped container');
    expect(message('exec', 'paused')).toBe('cannot exec in a paused container (use --ignore-paused to override)');
    expect(message('update', 'stopped')).toBe('container not running');
    expect(message('events', 'stopped')).toBe('container with id c1 is not running');
  });

  it('assertCan throws an InvalidStateError naming the container', () => {
    expect(() => assertCan('resume', 'created', 'c1')).toThrow(InvalidStateError);
    try {
      assertCan('resume', 'created', 'c1');
    } catch (e) {
      expect((e as InvalidStateError).containerId).toBe('c1');
    }
    expect(() => assertCan('start', 'created', 'c1')).not.toThrow();
  });
});
