// CVE-2019-5736 class: a process in the container opens /proc/<pid>/exe of a
// runtime process that has entered the container's pid namespace (runc's
// init; here a fork of node: /proc/<pid>/exe is the host's node binary) and
// rewrites it, or reads its memory. tsrun's children are non-dumpable from
// their first instruction until execve, so none of /proc/<pid>/{exe,mem,
// map_files,fd,cwd,root} is reachable without CAP_SYS_PTRACE.
//
// Attacker: the static escape probe, running as container A's init, scanning
// /proc in a loop. Victims: the init of container B while it waits for
// `start` (B joins A's pid namespace, so A sees it), and the processes
// `tsrun exec` starts in A.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerLab, devIno, nsPid, PROBE_IN_CONTAINER, waitFor } from '../helpers';
import type { Bundle, TsrunResult } from '../helpers';

const lab = containerLab('escape-exe', { probe: true });

const NODE = fs.realpathSync(process.execPath);

/** The container executables the probe may legitimately reach. */
function allowed(...bundles: Bundle[]): string {
  return bundles.flatMap((b) => [devIno(path.join(b.rootfs, 'bin', 'busybox')), devIno(path.join(b.rootfs, PROBE_IN_CONTAINER))]).join(',');
}

interface Watch {
  id: string;
  bundle: Bundle;
  initPid: number;
  /** what the probe printed so far (its stdout goes to a file, read while it runs) */
  output: () => string;
  /** tells the probe to finish its scan and print its summary; resolves with tsrun's result */
  stop: () => Promise<TsrunResult>;
}

/** The probe's upper bound on watching: a safety net, the tests stop it when they have seen what they need. */
const WATCH_LIMIT_MS = 180_000;
const STOP_FILE = '/stop-watching';

/** Container A: the probe as init, watching /proc until told to stop. */
async function startWatcher(user = { uid: 0, gid: 0 }, others: Bundle[] = []): Promise<Watch> {
  const bundle = lab.bundle((s) => {
    s.process.user = user;
    s.process.args = [PROBE_IN_CONTAINER, 'watch', String(WATCH_LIMIT_MS), 'placeholder', STOP_FILE];
  });
  bundle.spec.process.args[3] = allowed(bundle, ...others);
  bundle.writeConfig();
  const id = lab.id('watcher');
  const outFile = path.join(bundle.dir, 'probe.out');
  const fd = fs.openSync(outFile, 'w');
  const result = lab.run(bundle, id, { timeout: WATCH_LIMIT_MS + 60_000, stdout: fd });
  fs.closeSync(fd);
  let initPid = 0;
  await waitFor('the watcher to run', () => {
    const f = path.join(lab.root, id, 'state.json');
    if (!fs.existsSync(f)) return false;
    initPid = (JSON.parse(fs.readFileSync(f, 'utf8')) as { initPid: number }).initPid;
    return initPid > 0 && fs.existsSync(`/proc/${initPid}`) && !fs.existsSync(path.join(lab.root, id, 'start.fifo'));
  }, 60_000);
  const output = () => fs.readFileSync(outFile, 'utf8');
  const stop = async () => {
    fs.writeFileSync(path.join(bundle.rootfs, STOP_FILE), '');
    const r = await result;
    return { ...r, stdout: output() };
  };
  return { id, bundle, initPid, output, stop };
}

function parse(out: string) {
  const lines = out.trim().split('\n');
  const reached = lines.filter((l) => l.startsWith('reached '));
  const denied = new Map(lines.filter((l) => l.startsWith('denied ')).map((l) => [Number(l.split(' ')[1]), l.split(' ')[2]]));
  const done = lines.find((l) => l.startsWith('done '));
  return { reached, denied, done };
}

describe('the init of another container waiting in our pid namespace', () => {
  async function attackWaitingInit(victimUser: { uid: number; gid: number }, watcherUser: { uid: number; gid: number }, caps?: string[]) {
    const victim = lab.bundle((s) => {
      s.process.user = victimUser;
      s.process.args = ['sleep', '1'];
      if (caps) s.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
    });
    const w = await startWatcher(watcherUser, [victim]);
    victim.spec.linux.namespaces = victim.spec.linux.namespaces.map((n) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${w.initPid}/ns/pid` } : n));
    victim.writeConfig();
    const vid = lab.id('victim');
    const created = await lab.create(victim, vid);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const victimPid = (await lab.state(vid)).pid;
    const inWatcherNs = nsPid(victimPid);
    // the init sits before execve (a node fork) while the probe hammers it, until the probe met it
    await waitFor('the probe to try the waiting init', () => w.output().includes(`denied ${inWatcherNs} `), 60_000);
    expect(fs.realpathSync(`/proc/${victimPid}/exe`)).toBe(NODE);
    const started = await lab.cli(['start', vid]);
    expect(started.code).toBe(0);
    const r = await w.stop();
    await lab.forceDelete(vid);
    expect(r.stderr).toContain('ready');
    const p = parse(r.stdout);
    expect(p.reached).toEqual([]);
    // it did see the victim, and was refused
    expect(p.denied.get(inWatcherNs)).toBe('EACCES');
    expect(p.done).toMatch(/^done \d+ \d+$/);
    expect(Number(p.done!.split(' ')[2])).toBeGreaterThan(100);
  }

  it('as root without CAP_SYS_PTRACE: exe, mem, map_files, fd, cwd and root are all refused', async () => {
    await attackWaitingInit({ uid: 0, gid: 0 }, { uid: 0, gid: 0 });
  });

  describe('with fs.suid_dumpable=1 (a debugging host setting)', () => {
    // Changing uid resets dumpability to fs.suid_dumpable: with 1, a victim
    // running as the attacker's uid, with no capabilities, would become
    // dumpable again before execve unless the init re-asserts it.
    const file = '/proc/sys/fs/suid_dumpable';
    let saved = '';
    beforeAll(() => {
      saved = fs.readFileSync(file, 'utf8').trim();
      fs.writeFileSync(file, '1');
    });
    afterAll(() => fs.writeFileSync(file, saved));

    it('same uid (1000), no capabilities: still refused', async () => {
      await attackWaitingInit({ uid: 1000, gid: 1000 }, { uid: 1000, gid: 1000 }, []);
    });
  });
});

describe('processes started by `tsrun exec`', () => {
  it('are out of reach until they exec', async () => {
    const w = await startWatcher();
    // exec until the probe has caught some of them before their execve (each exec is a chance)
    let runs = 0;
    const caughtOne = () => /^denied /m.test(w.output());
    const giveUp = Date.now() + 120_000;
    while (runs < 4 || (!caughtOne() && Date.now() < giveUp)) {
      const r = await lab.cli(['exec', w.id, 'sh', '-c', 'exit 0']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      runs++;
    }
    const r = await w.stop();
    const p = parse(r.stdout);
    expect(p.reached).toEqual([]);
    expect(p.denied.size).toBeGreaterThan(0);
    expect([...p.denied.values()].every((e) => e === 'EACCES')).toBe(true);
    expect(p.done).toMatch(/^done \d+ \d+$/);
  });
});
