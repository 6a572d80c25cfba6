// `tsrun exec` against real containers: namespaces and cgroups joined, the
// process spec applied (flags and --process files), no host fd inside, exit
// codes, runc's refusals, detach/pid-file, preserved fds, the container's
// seccomp filter.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { CLI_MAIN, cliEnv, containerLab, isAlive, makeBundle, tsrun, type Bundle } from '../helpers';
import { sleep } from '../helpers';

const lab = containerLab('exec');
const { root, bundles } = lab;
let id: string;
let initPid: number;

function bundle(override?: Parameters<typeof makeBundle>[0]): Bundle {
  const b = makeBundle(override, { parent: lab.work });
  lab.bundles.push(b);
  return b;
}

/** A running container whose init sleeps. */
async function startSleeper(override?: Parameters<typeof makeBundle>[0]): Promise<{ id: string; pid: number; bundle: Bundle }> {
  const b = bundle(override);
  b.spec.process.args = ['sleep', '1000'];
  b.writeConfig();
  const cid = lab.id('exec');
  const r = await lab.runDetached(['run', '-d', '--bundle', b.dir, cid], b.dir);
  expect(r.code, r.stderr()).toBe(0);
  const s = await lab.state(cid);
  expect(s.status).toBe('running');
  return { id: cid, pid: s.pid, bundle: b };
}

function exec(args: string[], input?: string) {
  return tsrun(['--root', root, 'exec', ...args], { input });
}

beforeAll(async () => {
  ({ id, pid: initPid } = await startSleeper());
});

describe('exec joins the container', () => {
  it("sees the init's pid, mount, uts, net and ipc namespaces from inside and from the host", async () => {
    const r = await exec([id, 'sh', '-c', 'for n in pid mnt uts net ipc; do readlink /proc/self/ns/$n; done; hostname; echo pid=$$']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const expected = ['pid', 'mnt', 'uts', 'net', 'ipc'].map((n) => fs.readlinkSync(`/proc/${initPid}/ns/${n}`));
    expect(lines.slice(0, 5)).toEqual(expected);
    expect(lines[5]).toBe('tsrun'); // the container's hostname
    // a member of the container's pid namespace: a small pid there, not the host's
    expect(Number(lines[6]!.slice(4))).toBeLessThan(100);
  });

  it("is in the container's cgroups (host view of a detached exec)", async () => {
    const dir = bundles[0]!.dir;
    const pidFile = path.join(dir, 'cg.pid');
    // the detached process keeps tsrun's stdio: give it files, not pipes to wait on
    const r = await lab.runDetached(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '1000'], dir, 'cg');
    expect(r.code, r.stderr()).toBe(0);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(fs.readFileSync(`/proc/${initPid}/cgroup`, 'utf8'));
      for (const n of ['pid', 'mnt', 'uts', 'net', 'ipc', 'cgroup', 'user']) {
        expect(fs.readlinkSync(`/proc/${pid}/ns/${n}`), n).toBe(fs.readlinkSync(`/proc/${initPid}/ns/${n}`));
      }
      // the process holds only its stdio: no host fd made it inside
      expect(fs.readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['0', '1', '2']);
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      // two pid namespaces: the host's and the container's
      expect(/^NSpid:\s+(\d+)\s+(\d+)$/m.test(status)).toBe(true);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('`ls -l /proc/self/fd` inside shows no host file', async () => {
    const r = await exec([id, 'sh', '-c', 'ls -l /proc/self/fd/ 2>/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    // only the caller's stdio resolve to anything; the one other fd is the
    // directory ls opened to list /proc/self/fd (gone by the time it reads the link)
    const entries = r.stdout.split('\n').filter((l) => /^[lrwx-]{10}\s/.test(l));
    const links = entries.filter((l) => l.includes(' -> '));
    expect(links.map((l) => / (\d+) -> /.exec(l)?.[1])).toEqual(['0', '1', '2']);
    expect(links[1]).toMatch(/ -> (pipe|socket):\[\d+\]$/);
    expect(entries.length).toBeLessThanOrEqual(4);
    expect(r.stdout).not.toMatch(/tsrun|\.node|state|bundle/);
  });
});

describe('exec --cgroup', () => {
  it('moves the process into existing sub-cgroups of the named controllers', async () => {
    const dirs = lab.storedState(id).cgroup.hierarchies;
    const made = dirs.filter((h) => h.controllers.includes('pids') || h.controllers.includes('memory')).map((h) => path.join(h.dir, 'sub'));
    expect(made.length).toBeGreaterThan(0);
    for (const d of made) fs.mkdirSync(d);
    try {
      const r = await exec(['--cgroup', 'pids,memory:sub', id, 'cat', '/proc/self/cgroup']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      for (const l of lines) {
        const ctrl = l.split(':')[1]!;
        if (ctrl === 'pids' || ctrl === 'memory') expect(l).toMatch(new RegExp(`/${id}/sub$`));
        else if (ctrl !== 'name=systemd') expect(l).toMatch(new RegExp(`/${id}$`));
      }
      const missing = await exec(['--cgroup', 'pids:no-such-sub', id, 'true']);
      expect(missing.code).toBe(255);
      expect(missing.stderr).toContain('--cgroup no-such-sub: cannot join');
      const escape = await exec(['--cgroup', 'pids:../..', id, 'true']);
      expect(escape.code).toBe(255);
      expect(escape.stderr).toContain("must stay below the container's cgroup");
    } finally {
      for (const d of made) fs.rmdirSync(d);
    }
  });
});

describe('the process spec', () => {
  it('applies -u uid:gid, -g, -e, --cwd, --no-new-privs', async () => {
    const r = await exec([
      '-u', '1000:1000', '-g', '5', '--additional-gids', '27', '--cap', 'CAP_NET_ADMIN', '-e', 'FOO=bar', '--cwd', '/tmp', '--no-new-privs',
      id, 'sh', '-c', 'id -u; id -g; id -G; pwd; echo $FOO; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status; umask',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [uid, gid, groups, cwd, foo, capEff, capBnd, nnp, umask] = r.stdout.trim().split('\n');
    expect([uid, gid, cwd, foo]).toEqual(['1000', '1000', '/tmp', 'bar']);
    expect(groups!.split(' ').sort()).toEqual(['1000', '27', '5']);
    // a non-root program keeps no effective capability across execve (no ambient set); the bounding set shows --cap
    expect(capEff).toBe('CapEff:\t0000000000000000');
    expect((BigInt(`0x${capBnd!.split(/\s+/)[1]}`) >> 12n) & 1n).toBe(1n);
    expect(nnp).toMatch(/^NoNewPrivs:\s+1$/);
    expect(umask).toBe('0022');
  });

  it('--cap adds to the capabilities of a root process; the rest are the config\'s', async () => {
    const caps = (bits: string) => BigInt(`0x${bits}`);
    const spec = bundles[0]!.spec.process.capabilities as { effective: string[] };
    const base = await exec([id, 'sh', '-c', 'grep CapEff /proc/self/status']);
    const added = await exec(['--cap', 'CAP_NET_ADMIN', id, 'sh', '-c', 'grep CapEff /proc/self/status']);
    const baseMask = caps(base.stdout.trim().split(/\s+/)[1]!);
    const addedMask = caps(added.stdout.trim().split(/\s+/)[1]!);
    expect(addedMask).toBe(baseMask | (1n << 12n));
    expect(baseMask & (1n << 12n)).toBe(0n);
    // as many bits as the config grants
    expect(baseMask.toString(2).replace(/0/g, '').length).toBe(spec.effective.length);
  });

  it('takes the whole process from --process (the flags are ignored), like runc', async () => {
    const file = path.join(bundles[0]!.dir, 'process.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        terminal: false,
        user: { uid: 1000, gid: 1000, additionalGids: [5] },
        args: ['sh', '-c', 'id -u; id -G; pwd; echo "$FOO"; grep CapBnd /proc/self/status; ulimit -n; ulimit -Hn'],
        env: ['PATH=/bin', 'FOO=from-file'],
        cwd: '/proc',
        capabilities: { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] },
        rlimits: [{ type: 'RLIMIT_NOFILE', hard: 512, soft: 256 }],
        noNewPrivileges: true,
      }),
    );
    const r = await exec(['--process', file, '--cwd', '/etc', '-e', 'FOO=from-flag', '-u', '0', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['1000', '1000 5', '/proc', 'from-file', 'CapBnd:\t0000000000000001', '256', '512']);
  });

  it('a bad --process file is refused before anything runs, naming the file and the JSON path', async () => {
    const file = path.join(bundles[0]!.dir, 'bad-process.json');
    fs.writeFileSync(file, JSON.stringify({ args: ['sh'], cwd: 'relative', user: { uid: 0, gid: 0 } }));
    let r = await exec(['--process', file, id]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain(`${file}: cwd: must be an absolute path`);
    fs.writeFileSync(file, JSON.stringify({ args: ['sh'], cwd: '/', user: { uid: 'root', gid: 0 } }));
    r = await exec(['--process', file, id]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('user.uid');
  });

  it('runs under the container seccomp filter', async () => {
    const c = await startSleeper((spec) => {
      (spec.linux as Record<string, unknown>).seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    });
    const r = await exec([c.id, 'sh', '-c', 'grep ^Seccomp: /proc/self/status; mkdir /dev/shm/x && echo made || echo refused']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Seccomp:\t2\nrefused\n');
    expect(r.stderr).toContain('Operation not permitted');
    // without a filter the same mkdir works
    const ok = await exec([id, 'sh', '-c', 'mkdir /dev/shm/x && echo made; rmdir /dev/shm/x']);
    expect(ok.stdout).toBe('made\n');
  });
});

describe('exit status', () => {
  it('a foreground exec exits with the process status, or 128+signal', async () => {
    expect((await exec([id, 'sh', '-c', 'exit 42'])).code).toBe(42);
    expect((await exec([id, 'sh', '-c', 'kill -9 $$'])).code).toBe(137);
    expect((await exec([id, 'true'])).code).toBe(0);
  });

  it('stdin, stdout and stderr are passed through', async () => {
    const r = await exec([id, 'sh', '-c', 'read l; echo "out:$l"; echo "err:$l" >&2'], 'hello\n');
    expect(r.stdout).toBe('out:hello\n');
    expect(r.stderr).toBe('err:hello\n');
  });

  it('a missing program fails the exec with 255 and names it', async () => {
    const r = await exec([id, 'no-such-program']);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('exec: \\"no-such-program\\": executable file not found in $PATH');
  });

  it('--detach --pid-file: atomic pid file without newline; the process reparents to the caller, which reaps its status', async () => {
    const n = native();
    const pidFile = path.join(bundles[0]!.dir, 'd.pid');
    n.setChildSubreaper(true); // stand in for the shim
    try {
      const r = await exec(['--detach', '--pid-file', pidFile, id, 'sh', '-c', 'sleep 0.3; exit 4']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      const text = fs.readFileSync(pidFile, 'utf8');
      expect(text).toMatch(/^\d+$/);
      expect(fs.existsSync(path.join(path.dirname(pidFile), '.d.pid'))).toBe(false);
      const pid = Number(text);
      expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]).toBe(String(process.pid));
      const w = await n.waitPidAsync(pid);
      expect(w.exitCode).toBe(4);
    } finally {
      n.setChildSubreaper(false);
    }
  });

  it('--preserve-fds N passes fds 3..2+N and nothing above', async () => {
    const dir = bundles[0]!.dir;
    const file = path.join(dir, 'preserved.txt');
    fs.writeFileSync(file, 'preserved data\n');
    const fd3 = fs.openSync(file, 'r');
    const fd4 = fs.openSync(file, 'r');
    try {
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI_MAIN, '--root', root, 'exec', '--preserve-fds', '1', id, 'sh', '-c', 'cat <&3; ls /proc/$$/fd; true'], {
          env: cliEnv(),
          stdio: ['ignore', 'pipe', 'pipe', fd3, fd4],
        });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(out.code, out.stderr).toBe(0);
      const [data, ...rest] = out.stdout.trim().split('\n');
      expect(data).toBe('preserved data');
      expect(rest.join(' ').split(/\s+/).sort()).toEqual(['0', '1', '2', '3']);
    } finally {
      fs.closeSync(fd3);
      fs.closeSync(fd4);
    }
  });
});

describe("runc's refusals", () => {
  it('a stopped container: "cannot exec in a stopped container", exit 255', async () => {
    const b = bundle();
    b.spec.process.args = ['true'];
    b.writeConfig();
    const cid = lab.id('stopped');
    const r = await lab.runDetached(['run', '-d', '--bundle', b.dir, cid], b.dir);
    expect(r.code, r.stderr()).toBe(0);
    await lab.waitForStatus(cid, 'stopped');
    const e = await exec([cid, 'echo', 'hi']);
    expect(e.code).toBe(255);
    expect(e.stdout).toBe('');
    expect(e.stderr).toContain('cannot exec in a stopped container');
  });

  it('an unknown container: "container does not exist", exit 255', async () => {
    const e = await exec(['no-such-container', 'true']);
    expect(e.code).toBe(255);
    expect(e.stderr).toContain('container does not exist');
  });

  it('a paused container needs --ignore-paused', async () => {
    const freezer = lab.freezerDir(id);
    if (!freezer) throw new Error('this test needs the v1 freezer (hybrid host)');
    fs.writeFileSync(path.join(freezer, 'freezer.state'), 'FROZEN');
    try {
      const e = await exec([id, 'echo', 'hi']);
      expect(e.code).toBe(255);
      expect(e.stderr).toContain('cannot exec in a paused container (use --ignore-paused to override)');
      // with --ignore-paused the process starts frozen and runs once thawed
      const pending = exec(['--ignore-paused', id, 'echo', 'ran after thaw']);
      await sleep(500);
      fs.writeFileSync(path.join(freezer, 'freezer.state'), 'THAWED');
      const r = await pending;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('ran after thaw\n');
    } finally {
      fs.writeFileSync(path.join(freezer, 'freezer.state'), 'THAWED');
    }
  });

  it('terminal and console socket must pair up (runc checkTerminal)', async () => {
    let e = await exec(['-d', '-t', id, 'sh']);
    expect(e.code).toBe(255);
    expect(e.stderr).toContain('cannot allocate tty if tsrun will detach without setting console socket');
    e = await exec(['--console-socket', '/tmp/tsrun-test-none.sock', id, 'true']);
    expect(e.code).toBe(255);
    expect(e.stderr).toContain('cannot use console socket if tsrun will not detach or allocate tty');
  });

  it('leaves the container as it was after a failed exec', async () => {
    await exec([id, 'no-such-program']);
    expect(await lab.state(id)).toMatchObject({ status: 'running', pid: initPid });
    expect(isAlive(lab.storedState(id).initPid)).toBe(true);
  });
});
