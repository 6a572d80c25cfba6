// What is wrong with a stored document, in words: the damage `state`, `list`
// and `delete --force` report (src/state/shape.ts).
import { describe, expect, it } from 'vitest';
import { descriptorProblem, journalProblem, stateProblem } from '../../src/state/shape';
import { storedState } from '../helpers/stored-state';

const sound = storedState('c1', { initPid: 42, initStartTime: 7 });

describe('stateProblem', () => {
  it('accepts a sound state', () => {
    expect(stateProblem(JSON.parse(JSON.stringify(sound)), 'c1')).toBeUndefined();
  });

  it('names the first thing wrong', () => {
    expect(stateProblem([], 'c1')).toBe('it holds an array, not an object');
    expect(stateProblem(null, 'c1')).toBe('it holds null, not an object');
    expect(stateProblem({ ...sound, id: 'c2' }, 'c1')).toBe('it belongs to "c2", not "c1"');
    expect(stateProblem({ ...sound, formatVersion: 99 }, 'c1')).toBe('it has format 99; this tsrun reads up to 1');
    expect(stateProblem({ ...sound, initPid: 'abc' }, 'c1')).toBe('initPid is "abc", expected a pid');
    expect(stateProblem({ ...sound, initPid: -1 }, 'c1')).toBe('initPid is number -1, expected a pid');
    const { bundle: _, ...noBundle } = sound;
    expect(stateProblem(noBundle, 'c1')).toBe('bundle is missing, expected a path');
    expect(stateProblem({ ...sound, config: null }, 'c1')).toBe('config is null, expected the OCI config');
    expect(stateProblem({ ...sound, cgroup: 5 }, 'c1')).toBe('the cgroup descriptor is number 5');
  });
});

describe('descriptorProblem', () => {
  const desc = sound.cgroup;
  it('keeps every path strictly below its mount point, so a damaged one cannot send rmdir elsewhere', () => {
    expect(descriptorProblem(desc)).toBeUndefined();
    const h = desc.hierarchies[0]!;
    expect(descriptorProblem({ ...desc, hierarchies: [{ ...h, dir: '/etc' }] })).toBe('cgroup dir "/etc" is not below "/sys/fs/cgroup/pids"');
    expect(descriptorProblem({ ...desc, hierarchies: [{ ...h, dir: '/sys/fs/cgroup/pids/../../../etc' }] })).toMatch(/is not below/);
    expect(descriptorProblem({ ...desc, hierarchies: [{ ...h, dir: '/sys/fs/cgroup/pids' }] })).toMatch(/is not below/);
    expect(descriptorProblem({ ...desc, created: ['/usr/lib'] })).toBe('cgroup dir "/usr/lib" is not below a hierarchy of the descriptor');
    expect(descriptorProblem({ ...desc, hierarchies: [] })).toBe('the cgroup descriptor lists no hierarchy');
    expect(descriptorProblem({ ...desc, layout: 'v3' })).toBe('the cgroup layout is "v3"');
  });
});

describe('journalProblem', () => {
  const journal = { formatVersion: 1, id: 'c1', bundle: '/b', cgroup: sound.cgroup, processes: [{ role: 'init', pid: 42, startTime: 7 }] };
  it('accepts a sound journal and refuses a damaged process entry', () => {
    expect(journalProblem(journal, 'c1')).toBeUndefined();
    expect(journalProblem({ ...journal, processes: [{ role: 'init', pid: '42', startTime: 7 }] }, 'c1')).toBe('a process entry is not {role, pid, startTime}');
    expect(journalProblem({ ...journal, processes: 'x' }, 'c1')).toBe('processes is "x", expected a list');
    expect(journalProblem({ ...journal, id: 'c9' }, 'c1')).toBe('it belongs to "c9", not "c1"');
  });
});
