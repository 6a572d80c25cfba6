// CVE-2024-21626 class ("Leaky Vessels"): a host fd inherited by the runtime
// (or opened by it) survives into the container; with process.cwd =
// /proc/self/fd/<N> the container process starts with its cwd on the host
// filesystem. tsrun closes every fd >= 3 (but --preserve-fds) before it
// resolves any container path, and checks after chdir that the cwd is inside.
//
// tsrun is given extra inherited fds, open on host directories and files,
// as a leaky caller would (containerd-shim 1.6 leaks its ttrpc socket as fd 3).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerLab } from '../helpers';
import type { Bundle } from '../helpers';
import { testTempDir } from '../helpers/ids';

const lab = new ContainerLab('escape-fds', { probe: true });
const leaked: number[] = [];
let hostDir = '';

beforeAll(() => {
  lab.snapshot();
  hostDir = testTempDir('hostdir');
  fs.writeFileSync(path.join(hostDir, 'HOST-SECRET'), 'host data\n');
  // fds 3..8 of tsrun: host directories, a host file, the test's own cwd
  for (const p of ['/', hostDir, '/etc', path.join(hostDir, 'HOST-SECRET'), process.cwd(), '/tmp']) leaked.push(fs.openSync(p, 'r'));
});

afterAll(async () => {
  for (const fd of leaked) fs.closeSync(fd);
  fs.rmSync(hostDir, { recursive: true, force: true });
  await lab.cleanup();
});

/** `ls -l /proc/<pid>/fd` lines -> fd number -> link target */
function fdTable(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n')) {
    const r = /^l\S+\s.*\s(\d+)(?: -> (.*))?$/.exec(line);
    if (r) m.set(Number(r[1]), r[2] ?? '');
  }
  return m;
}

const HOST_MARKERS = () => [hostDir, 'HOST-SECRET', '/etc', process.cwd(), lab.work];

function expectNoHostPath(target: string): void {
  for (const marker of HOST_MARKERS()) expect(target).not.toContain(marker);
}

describe('the init (create/run)', () => {
  it('sees only fds 0-2: ls -l /proc/self/fd, /proc/1/fd; cwd and root are the container\'s', async () => {
    const b = lab.bundle((s) => {
      s.process.args = [
        'sh',
        '-c',
        'ls -l /proc/self/fd; echo ---; ls -l /proc/1/fd; echo ---; readlink /proc/self/cwd; readlink /proc/1/cwd; readlink /proc/1/root',
      ];
      s.process.cwd = '/tmp';
    });
    const r = await lab.run(b, lab.id('fds'), { extraFds: leaked });
    // busybox ls lists its own directory fd, closed by the time it reads the link
    expect(r.stderr.replace(/^ls: \/proc\/self\/fd\/3: cannot read link.*\n/m, '')).toBe('');
    expect(r.code).toBe(0);
    const [self, init, links] = r.stdout.split('---\n');
    const selfFds = fdTable(self!);
    // ls's own directory fd (3, already closed when ls reads the link) is the only extra one
    expect([...selfFds.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect(selfFds.get(3)).toMatch(/^$|^\/proc\/\d+\/fd$/);
    const initFds = fdTable(init!);
    expect([...initFds.keys()].sort()).toEqual([0, 1, 2]);
    for (const t of [...selfFds.values(), ...initFds.values()]) expectNoHostPath(t);
    expect(links!.trim().split('\n')).toEqual(['/tmp', '/tmp', '/']);
  });

  it('the init waiting for start holds no host fd, only its start FIFOs (checked from the host)', async () => {
    const b = lab.bundle((s) => {
      s.process.args = ['true'];
    });
    const id = lab.id('waiting');
    const c = await lab.create(b, id, { extraFds: leaked });
    expect(c.code).toBe(0);
    const pid = (await lab.state(id)).pid;
    const fds = fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((x, y) => x - y);
    const targets = Object.fromEntries(fds.map((fd) => [fd, fs.readlinkSync(`/proc/${pid}/fd/${fd}`)]));
    await lab.forceDelete(id);
    expect(fds.slice(0, 3)).toEqual([0, 1, 2]);
    // the go and reply FIFOs in its state dir (close-on-exec), nothing else
    const fifos = [path.join(lab.root, id, 'start.fifo'), path.join(lab.root, id, 'start.reply')];
    expect(fds.filter((f) => f >= 3).map((fd) => targets[fd]).sort()).toEqual(fifos.sort());
  });

  it('--preserve-fds passes exactly the fds asked for, and no others', async () => {
    const b = lab.bundle((s) => {
      s.process.args = ['ls', '-l', '/proc/self/fd'];
    });
    const r = await lab.cli(['run', '--preserve-fds', '2', '--bundle', b.dir, lab.id('preserve')], { extraFds: leaked });
    const fds = fdTable(r.stdout);
    // 5: ls's own directory fd
    expect([...fds.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(fds.get(3)).toBe('/');
    expect(fds.get(4)).toBe(hostDir);
  });

  for (let n = 3; n <= 9; n++) {
    it(`process.cwd = /proc/self/fd/${n}: create fails, or the process starts inside the container`, async () => {
      const b = lab.bundle((s) => {
        s.process.cwd = `/proc/self/fd/${n}`;
        s.process.args = ['sh', '-c', 'pwd; readlink /proc/self/cwd; ls'];
      });
      const id = lab.id(`cwd-${n}`);
      const r = await lab.run(b, id, { extraFds: leaked });
      if (r.code === 0) {
        // then it must be somewhere in the container
        expect(r.stdout).not.toContain('HOST-SECRET');
        for (const line of r.stdout.split('\n')) expectNoHostPath(line);
      } else {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/chdir to cwd \/proc\/self\/fd\/\d+|cwd is outside the container|create cwd \/proc\/self\/fd\/\d+/);
        expect(r.stdout).toBe('');
      }
      expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
    });
  }

  it('process.cwd = /proc/self/fd/3 with fd 3 preserved (a host directory): refused as outside the container', async () => {
    const b = lab.bundle((s) => {
      s.process.cwd = '/proc/self/fd/3';
      s.process.args = ['ls'];
    });
    const id = lab.id('cwd-preserved');
    // fd 3 of tsrun is hostDir here
    const r = await lab.cli(['run', '--preserve-fds', '1', '--bundle', b.dir, id], { extraFds: [leaked[1]!] });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('cwd is outside the container: /proc/self/fd/3');
    expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
  });

  it('a cwd reached through a symlink out of the rootfs stays in the container', async () => {
    const b = lab.bundle((s) => {
      s.process.cwd = '/escape';
      s.process.args = ['sh', '-c', 'pwd; ls'];
    });
    fs.symlinkSync(`../../../../../../../../..${hostDir}`, path.join(b.rootfs, 'escape'));
    const r = await lab.run(b, lab.id('cwd-link'), { extraFds: leaked });
    // the link resolves inside the rootfs, where the missing cwd is made (as runc makes it)
    expect(r.stdout).not.toContain('HOST-SECRET');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(hostDir);
    expect(fs.statSync(path.join(b.rootfs, hostDir)).isDirectory()).toBe(true);
  });
});

describe('processes started by `tsrun exec`', () => {
  let b: Bundle;
  let id = '';
  let execWorks = false;
  beforeAll(async () => {
    b = lab.bundle((s) => {
      s.process.args = ['sleep', '60'];
    });
    id = lab.id('exec-target');
    const c = await lab.create(b, id, { extraFds: leaked });
    expect(c.code).toBe(0);
    expect((await lab.cli(['start', id])).code).toBe(0);
    const probe = await lab.cli(['exec', id, 'true']);
    execWorks = !/not implemented/i.test(probe.stderr);
  });
  afterAll(() => lab.forceDelete(id));

  it('an exec\'d process sees only fds 0-2, its cwd and root are the container\'s', async (ctx) => {
    if (!execWorks) return ctx.skip();
    const r = await lab.cli(['exec', '--cwd', '/tmp', id, 'sh', '-c', 'ls -l /proc/self/fd; readlink /proc/self/cwd; readlink /proc/self/root'], {
      extraFds: leaked,
    });
    expect(r.code).toBe(0);
    const fds = fdTable(r.stdout);
    expect([...fds.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const t of fds.values()) expectNoHostPath(t);
    expect(r.stdout).toContain('/tmp\n/\n');
  });

  for (const how of ['--cwd', '--process'] as const) {
    it(`exec with cwd /proc/self/fd/N (${how}) fails or stays inside`, async (ctx) => {
      if (!execWorks) return ctx.skip();
      for (let n = 3; n <= 9; n++) {
        const args =
          how === '--cwd'
            ? ['exec', '--cwd', `/proc/self/fd/${n}`, id, 'sh', '-c', 'pwd; ls']
            : ['exec', '--process', processFile(n), id];
        const r = await lab.cli(args, { extraFds: leaked });
        expect(r.stdout).not.toContain('HOST-SECRET');
        if (r.code === 0) for (const line of r.stdout.split('\n')) expectNoHostPath(line);
        else expect(r.code).toBe(255);
      }
    });
  }

  function processFile(n: number): string {
    const f = path.join(b.dir, `process-${n}.json`);
    fs.writeFileSync(
      f,
      JSON.stringify({ ...b.spec.process, terminal: false, cwd: `/proc/self/fd/${n}`, args: ['sh', '-c', 'pwd; ls'] }),
    );
    return f;
  }
});
