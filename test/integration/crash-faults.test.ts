// Crash safety, fault injection (issue 10; docs/reliability.md): tsrun is
// SIGKILLed at seeded random instants spread over the whole of `create`,
// `start`, `run` and `delete --force` (60 kill points each by default), then
// `delete --force` must leave no process, cgroup dir (every v1 hierarchy and
// the unified tree), mount or state dir of the container, and the same id
// must be creatable again. The seed is printed; TSRUN_FAULT_SEED replays a
// run, TSRUN_FAULT_KILLS and TSRUN_FAULT_LANES change its size.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerLab, containerLeftovers, isAlive, runFaultInjection, tsrunSpawn, waitFor } from '../helpers';

const seed = Number(process.env.TSRUN_FAULT_SEED ?? 20261205);
const kills = Number(process.env.TSRUN_FAULT_KILLS ?? 60);
const lanes = Number(process.env.TSRUN_FAULT_LANES ?? 3);

describe('a tsrun killed at any instant leaves nothing delete --force cannot clean', () => {
  const lab = containerLab('faults');

  it(`create, start, run and delete --force, ${kills} kill points each (seed ${seed})`, async () => {
    const report = await runFaultInjection(lab, { killsPerCommand: kills, lanes, seed, log: (l) => console.log(l) });
    console.log(`fault injection, seed ${seed}:\n  ${report.summary.join('\n  ')}`);
    for (const c of ['create', 'start', 'run', 'delete'] as const) {
      expect(report.kills[c]).toBe(kills);
      // the points must reach into the commands, not land after them
      expect(report.killedMidway[c]).toBeGreaterThan(0);
    }
    expect(report.failures).toEqual([]);
  }, 30 * 60_000);

  it('the init dies with a create killed before its commit, even while busy (parent-death signal), and only then', async () => {
    // a createContainer hook runs in the init: the init waits for it, not on the sync channel
    const b = lab.bundle((spec) => {
      spec.process.args = ['sleep', '600'];
      (spec as { hooks?: unknown }).hooks = { createContainer: [{ path: '/bin/sleep', args: ['sleep', '300'] }] };
    });
    const id = lab.id('lifeline');
    const create = tsrunSpawn(['--root', lab.root, 'create', '--bundle', b.dir, id]);
    const journal = path.join(lab.root, id, 'journal.json');
    const initPid = await waitFor('the init in the journal', () => {
      try {
        const j = JSON.parse(fs.readFileSync(journal, 'utf8')) as { processes: Array<{ role: string; pid: number }> };
        return j.processes.find((p) => p.role === 'init')?.pid;
      } catch {
        return undefined;
      }
    }, 30_000, 20);
    // the hook is running (a child of the init, in the container's cgroups)
    await waitFor('the createContainer hook', () => childrenOf(initPid).length > 0, 30_000, 20);
    create.child.kill('SIGKILL');
    await create.exited;
    // without the signal it would wait 300 s for its hook
    await waitFor('the init to die with tsrun', () => !isAlive(initPid), 10_000, 20);
    const del = await lab.forceDelete(id);
    expect(del.code, del.stderr).toBe(0);
    expect(await containerLeftovers(id, lab.root, [b.dir])).toEqual([]);

    // once create has returned, the init outlives it
    const id2 = lab.id('lifeline');
    const quick = lab.bundle((spec) => void (spec.process.args = ['sleep', '600']));
    expect((await lab.create(quick, id2)).code).toBe(0);
    const pid = (await lab.state(id2)).pid;
    expect(isAlive(pid)).toBe(true);
    expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^PPid:\s+\d+$/m);
    expect((await lab.forceDelete(id2)).code).toBe(0);
  }, 120_000);
});

function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
