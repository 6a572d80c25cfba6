// scripts/vagrant/sandbox.sh, the private network and libvirt of the VM stage:
// whatever way it ends (the command returns, the script is SIGKILLed, an
// earlier run was killed before its reaper could act) its network namespace,
// every process in it (libvirtd, virtlogd, the command) and its run directory
// are gone, and nothing of it ever appears in this machine's network namespace.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers';

const SANDBOX = path.join(PROJECT_ROOT, 'scripts', 'vagrant', 'sandbox.sh');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-sandbox-'));
// the tests' own libvirt cache: the host's stays untouched
const env = { ...process.env, TSRUN_VAGRANT_CACHE: path.join(work, 'cache') };

const netnsList = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
const hostLinks = (): string => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).replace(/\s+link\/.*$/gm, '');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls until `cond` holds; the deadline only bounds a failure, it never decides a pass. */
async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** sandbox.sh RUN -- sh -c 'echo $$ > RUN.inner; exec sleep 1000', and waits until the command runs. */
async function startSandbox(run: string): Promise<{ child: ChildProcess; ns: string; inner: number }> {
  const marker = `${run}.inner`;
  const child = spawn(SANDBOX, [run, '--', 'sh', '-c', `echo $$ > ${marker}; exec sleep 1000`], { env, stdio: 'ignore' });
  await until(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').endsWith('\n'), 'the command inside the sandbox');
  return { child, ns: `tsrun-vagrant-${child.pid}`, inner: Number(fs.readFileSync(marker, 'utf8')) };
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the VM stage sandbox (scripts/vagrant/sandbox.sh)', () => {
  it('keeps libvirt and the command in a namespace of its own and removes it when the command ends', async () => {
    const before = hostLinks();
    const run = path.join(work, 'run-ok');
    const r = spawnSync(SANDBOX, [run, '--', 'sh', '-c', 'ip -o link show | wc -l; [ -S /run/libvirt/libvirt-sock ] && echo libvirtd-up'], {
      env,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    // only lo inside: the command saw its own namespace, with its own libvirtd's socket
    expect(r.stdout.trim().split('\n')).toEqual(['1', 'libvirtd-up']);
    expect(hostLinks()).toBe(before);
    expect(netnsList()).not.toContain(`tsrun-vagrant-${r.pid}`);
    expect(fs.existsSync(run)).toBe(false);
  });

  it('is swept by its reaper when sandbox.sh is SIGKILLed: namespace, processes and run directory', async () => {
    const run = path.join(work, 'run-killed');
    const { child, ns, inner } = await startSandbox(run);
    expect(netnsList()).toContain(ns);
    expect(alive(inner)).toBe(true);
    const daemons = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    expect(daemons.length).toBeGreaterThanOrEqual(3); // libvirtd, virtlogd, the command
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await until(() => !netnsList().includes(ns), `${ns} to be removed`);
    for (const pid of daemons) await until(() => !alive(pid), `pid ${pid} of ${ns} to be killed`);
    expect(fs.existsSync(run)).toBe(false);
  });

  it('removes a namespace that a killed run left behind, and only such', async () => {
    const stale = 'tsrun-vagrant-4194304'; // above pid_max's ceiling: no live process has it
    const other = `tsrun-test-sandbox-${process.pid}`; // not the sandbox's: never touched
    execFileSync('ip', ['netns', 'add', stale]);
    execFileSync('ip', ['netns', 'add', other]);
    try {
      execFileSync(SANDBOX, [path.join(work, 'run-stale'), '--', 'true'], { env, stdio: 'ignore' });
      expect(netnsList()).not.toContain(stale);
      expect(netnsList()).toContain(other);
    } finally {
      for (const n of [stale, other]) if (netnsList().includes(n)) execFileSync('ip', ['netns', 'del', n]);
    }
  });
});
