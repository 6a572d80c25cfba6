// pause/resume on real containers (this host: the v1 freezer), the `paused`
// status in state and list, runc's wording for the wrong states, and the
// hybrid fallback to the unified tree's cgroup.freeze / cgroup.kill when a
// host has no v1 freezer (exercised on this host's real cgroup2 tree).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { isFrozen } from '../../src/cgroups/freezer-probe';
import { cgroupManagerFor, type CgroupManager } from '../../src/cgroups/manager';
import { uniqueId } from '../helpers';
import { lastCount, sleep, waitFor, type TestContainer, containerLab } from '../helpers';
import { testTempDir } from '../helpers/ids';

const host = detectCgroupHost();
const root = process.getuid?.() === 0;
const hasV1Freezer = host.v1.some((h) => h.controllers.includes('freezer'));
const hybridUnified = host.layout === 'hybrid' && host.unified !== undefined;

describe.skipIf(!root || !hasV1Freezer)('pause and resume real containers', () => {
  const suite = containerLab('freezer', { removeAfterEach: true });
  let c: TestContainer | undefined;

  const counter = 'i=0; while :; do i=$((i+1)); echo $i >> /tmp/count; sleep 0.05; done';

  it('pause freezes the counter and state/list say paused; resume continues it', async () => {
    c = await suite.start({ script: counter });
    const count = () => lastCount(c!.file('tmp/count'));
    await waitFor('the counter to run', () => count() > 3);

    const p = await c.cli(['pause', c.id]);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(fs.readFileSync(path.join(c.cgroupDir('freezer'), 'freezer.state'), 'utf8').trim()).toBe('FROZEN');
    expect((await c.state()).status).toBe('paused');
    const list = JSON.parse((await c.cli(['list', '--format', 'json'])).stdout) as { id: string; status: string }[];
    expect(list.find((e) => e.id === c!.id)?.status).toBe('paused');
    const frozenAt = count();
    await sleep(700);
    expect(count()).toBe(frozenAt);

    // runc's wording for the wrong states
    const again = await c.cli(['pause', c.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('container not running');
    const del = await c.cli(['delete', c.id]);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain(`cannot delete container ${c.id} that is not stopped: paused`);

    const r = await c.cli(['resume', c.id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await c.state()).status).toBe('running');
    await waitFor('the counter to advance again', () => count() > frozenAt + 3);
    const notPaused = await c.cli(['resume', c.id]);
    expect(notPaused.code).toBe(1);
    expect(notPaused.stderr).toContain('container not paused');
  });

  it('a created container can be paused (start is refused until resumed); kill 9 stops a paused container', async () => {
    c = await suite.start({ script: counter, startIt: false });
    expect((await c.state()).status).toBe('created');
    expect((await c.cli(['pause', c.id])).code).toBe(0);
    expect((await c.state()).status).toBe('paused');
    const s = await c.cli(['start', c.id]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('cannot start a container in the paused state');
    expect((await c.cli(['resume', c.id])).code).toBe(0);
    expect((await c.state()).status).toBe('created');
    expect((await c.cli(['start', c.id])).code).toBe(0);
    await waitFor('the counter to run', () => lastCount(c!.file('tmp/count')) > 0);

    expect((await c.cli(['pause', c.id])).code).toBe(0);
    const k = await c.cli(['kill', c.id, '9']);
    expect(k.code).toBe(0);
    await waitFor('the container to stop', async () => (await c!.state()).status === 'stopped');
    const p = await c.cli(['pause', c.id]);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('container not running');
    const r = await c.cli(['resume', c.id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('container not paused');
    expect((await c.cli(['delete', c.id])).code).toBe(0);
  });

  it('kill --all with a signal other than KILL leaves a paused container paused, and delete --force removes it', async () => {
    c = await suite.start({ script: "trap 'echo term >> /tmp/got' TERM; " + counter });
    await waitFor('the counter to run', () => lastCount(c!.file('tmp/count')) > 0);
    expect((await c.cli(['pause', c.id])).code).toBe(0);
    expect((await c.cli(['kill', '--all', c.id, 'TERM'])).code).toBe(0);
    expect((await c.state()).status).toBe('paused');
    expect((await c.cli(['resume', c.id])).code).toBe(0);
    // the trap runs once the shell is thawed
    await waitFor('the TERM trap', () => fs.existsSync(c!.file('tmp/got')));
    const d = await c.cli(['delete', '--force', c.id]);
    expect(d.code).toBe(0);
    expect(fs.existsSync(c.cgroupDir('freezer'))).toBe(false);
  });
});

/** A shell that counts into `file` after joining a cgroup (it waits on stdin first). */
function gatedCounter(file: string): { child: ChildProcess; go(): void; gone: Promise<void> } {
  const child = spawn('sh', ['-c', `read _; i=0; while :; do i=$((i+1)); echo $i >> ${file}; sleep 0.05; done`], { stdio: ['pipe', 'ignore', 'ignore'] });
  const gone = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, go: () => child.stdin!.end('go\n'), gone };
}

describe.skipIf(!root || !hybridUnified)('hybrid host without a v1 freezer: the unified tree freezes and kills', () => {
  // this host's real hierarchies, minus the v1 freezer
  const noFreezer = { ...host, v1: host.v1.filter((h) => !h.controllers.includes('freezer')) };
  let m: CgroupManager | undefined;
  let child: ChildProcess | undefined;
  const work = testTempDir('hybridfreeze');

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    m?.destroy();
    if (m) for (const h of m.dirs()) expect(fs.existsSync(h.dir), `${h.dir} left behind`).toBe(false);
    m = undefined;
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('pause writes cgroup.freeze in the unified dir, the probe sees it, resume thaws; kill --all 9 uses cgroup.kill', async () => {
    const id = uniqueId('hyfreeze');
    const writes: string[] = [];
    m = cgroupManagerFor({ containerId: id, cgroupsPath: `/${id}`, host: noFreezer, trace: (p, v) => writes.push(`${p}=${v}`) });
    m.create();
    const unified = m.dirs().find((h) => h.key === '')!.dir;
    const file = path.join(work, 'count');
    const g = gatedCounter(file);
    child = g.child;
    m.apply(child.pid!);
    g.go();
    await waitFor('the counter', () => lastCount(file) > 3);

    m.freeze();
    expect(fs.readFileSync(path.join(unified, 'cgroup.freeze'), 'utf8').trim()).toBe('1');
    expect(fs.readFileSync(path.join(unified, 'cgroup.events'), 'utf8')).toMatch(/^frozen 1$/m);
    expect(m.isFrozen()).toBe(true);
    expect(isFrozen(m.descriptor())).toBe(true);
    const at = lastCount(file);
    await sleep(500);
    expect(lastCount(file)).toBe(at);

    m.thaw();
    expect(m.isFrozen()).toBe(false);
    expect(isFrozen(m.descriptor())).toBe(false);
    await waitFor('the counter to continue', () => lastCount(file) > at + 3);

    m.killAll(9);
    expect(writes.at(-1)).toBe(`${unified}/cgroup.kill=1`);
    await g.gone;
    expect(child.signalCode).toBe('SIGKILL');
    await waitFor('an empty cgroup', () => m!.pids().length === 0);
  });
});
