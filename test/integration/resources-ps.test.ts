// `ps` (json, table, ps(1) arguments), `kill --all` through the cgroup, and
// `events --stats` on real containers.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { tsrun } from '../helpers';
import { completeText, waitFor, type TestContainer, containerLab } from '../helpers';

const host = detectCgroupHost();
const MiB = 1024 * 1024;

/** Host pids whose /proc/<pid>/cgroup puts them in `cgroupsPath` (or below) of the pids hierarchy / cgroup2. */
function pidsInCgroup(cgroupsPath: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${e}/cgroup`, 'utf8');
    } catch {
      continue;
    }
    const line = text.split('\n').find((l) => (host.layout === 'v2' ? l.startsWith('0::') : /^\d+:pids:/.test(l)));
    const p = line?.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    if (p === cgroupsPath || p?.startsWith(`${cgroupsPath}/`)) out.push(Number(e));
  }
  return out.sort((a, b) => a - b);
}

describe.skipIf(process.getuid?.() !== 0)('ps, kill --all and events --stats on real containers', () => {
  const suite = containerLab('ps', { removeAfterEach: true });
  let c: TestContainer | undefined;

  const threeProcesses = async (resources?: Record<string, unknown>) => {
    c = await suite.start({ script: 'sleep 600 & sleep 601 & echo ready > /tmp/ready; wait', resources });
    await waitFor('the sleeps', () => completeText(c!.file('tmp/ready')));
    return c;
  };

  it('ps --format json lists exactly the pids of the container cgroup', async () => {
    await threeProcesses();
    const { pid } = await c!.state();
    const r = await c!.cli(['ps', '--format=json', c!.id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    const pids = JSON.parse(r.stdout) as number[];
    expect(pids).toHaveLength(3);
    expect(pids).toContain(pid);
    expect(pids).toEqual(pidsInCgroup(c!.cgroupsPath));
  });

  it('ps in table form keeps the PID header and the container rows; extra arguments go to ps(1)', async () => {
    await threeProcesses();
    const pids = JSON.parse((await c!.cli(['ps', '--format', 'json', c!.id])).stdout) as number[];
    const table = await c!.cli(['ps', c!.id]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    const header = lines[0]!.trim().split(/\s+/);
    expect(header).toContain('PID');
    const pidCol = header.indexOf('PID');
    expect(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[pidCol])).sort((a, b) => a - b)).toEqual(pids);

    const custom = await c!.cli(['ps', c!.id, '-o', 'pid,args']);
    expect(custom.code).toBe(0);
    const rows = custom.stdout.trimEnd().split('\n');
    expect(rows[0]!.trim().split(/\s+/)).toEqual(['PID', 'COMMAND']);
    expect(rows.slice(1).map((l) => l.trim().replace(/^\d+\s+/, '')).sort()).toEqual([
      'sh -c sleep 600 & sleep 601 & echo ready > /tmp/ready; wait',
      'sleep 600',
      'sleep 601',
    ]);

    const noPid = await c!.cli(['ps', c!.id, '-o', 'comm']);
    expect(noPid.code).toBe(1);
    expect(noPid.stderr).toContain("couldn't find PID field in ps output");
  });

  it('kill --all signals every process of the cgroup, then ps is empty', async () => {
    await threeProcesses();
    const k = await c!.cli(['kill', '--all', c!.id, '9']);
    expect(k.stderr).toBe('');
    expect(k.code).toBe(0);
    await waitFor('the container to stop', async () => (await c!.state()).status === 'stopped');
    await waitFor('an empty cgroup', async () => (await c!.cli(['ps', '--format', 'json', c!.id])).stdout === '[]\n');
    expect(pidsInCgroup(c!.cgroupsPath)).toEqual([]);
    // the shim sends it again after the exit: still success
    expect((await c!.cli(['kill', '--all', c!.id, '9'])).code).toBe(0);
  });

  it('events --stats prints one stats record of the container', async () => {
    await threeProcesses({ memory: { limit: 64 * MiB }, pids: { limit: 100 } });
    const r = await c!.cli(['events', '--stats', c!.id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(2); // one line plus the newline
    const ev = JSON.parse(r.stdout);
    expect(ev).toMatchObject({ type: 'stats', id: c!.id });
    expect(ev.data.pids).toEqual({ current: 3, limit: 100 });
    expect(ev.data.memory.usage.limit).toBe(64 * MiB);
    expect(ev.data.memory.usage.usage).toBeGreaterThan(0);
    expect(ev.data.cpu.usage.total).toBeGreaterThan(0);
  });

  it('events refuses a stopped container and ps an unknown one', async () => {
    c = await suite.start({ script: 'exit 0' });
    await waitFor('the container to stop', async () => (await c!.state()).status === 'stopped');
    const ev = await c.cli(['events', '--stats', c.id]);
    expect(ev.code).toBe(1);
    expect(ev.stderr).toContain(`container with id ${c.id} is not running`);
    const ps = await tsrun(['--root', suite.root, 'ps', 'tsrun-test-no-such-container']);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toContain('container does not exist');
  });
});
