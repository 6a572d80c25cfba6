// Crash safety, fault injection (issue 10; docs/reliability.md): tsrun is
// SIGKILLed at seeded random instants spread over the whole of `create`,
// `start`, `run` and `delete --force` (60 kill points each by default), then
// `delete --force` must leave no process, cgroup dir (every v1 hierarchy and
// the unified tree), mount or state dir of the container, and the same id
// must be creatable again. The seed is printed; TSRUN_FAULT_SEED replays a
// run, TSRUN_FAULT_KILLS and TSRUN_FAULT_LANES change its size.
import { describe, expect, it } from 'vitest';
import { containerLab, runFaultInjection } from '../helpers';

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
});
