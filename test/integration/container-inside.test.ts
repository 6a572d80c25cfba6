// What a process sees from inside a real container (foreground `tsrun run`,
// busybox commands), compared with exactly what config.json asked for.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  capMask,
  CLI_ENTRY,
  cliEnv,
  containerLab,
  parseStatus,
  type SpecDoc,
  type SpecOverride,
} from '../helpers';
import { testTempDir } from '../helpers/ids';
import { sleep } from '../helpers';

const lab = containerLab('inside');
const { work, bundles } = lab;
/** runs tsrun with CAP_SYS_RESOURCE out of its bounding set, and so out of every set after exec */
const WITHOUT_SYS_RESOURCE = ['setpriv', '--bounding-set=-sys_resource', '--'];

/** Run `sh -c script` in a fresh container; expects success and returns stdout. */
async function inside(script: string, override?: SpecOverride, flags: string[] = []): Promise<string> {
  const b = lab.shBundle(script, override);
  const r = await lab.runBundle(b, { flags });
  if (r.code !== 0) throw new Error(`container failed (exit ${r.code}): ${r.stderr}\nstdout: ${r.stdout}`);
  return r.stdout;
}

/** mountinfo lines as { point, opts (per mount), fstype, source, super (per superblock), optional } */
interface MountLine {
  root: string;
  point: string;
  opts: string[];
  optional: string;
  fstype: string;
  source: string;
  super: string[];
}

function parseMountinfo(text: string): MountLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pre, post = ''] = line.split(' - ');
      const f = pre!.split(' ');
      const g = post.split(' ');
      return {
        root: f[3]!,
        point: f[4]!,
        opts: f[5]!.split(','),
        optional: f.slice(6).join(' '),
        fstype: g[0]!,
        source: g[1]!,
        super: (g[2] ?? '').split(','),
      };
    });
}

function mountAt(mounts: MountLine[], point: string): MountLine {
  const all = mounts.filter((m) => m.point === point);
  if (all.length === 0) throw new Error(`no mount at ${point}: ${mounts.map((m) => m.point).join(' ')}`);
  return all.at(-1)!; // the top one
}

describe('the process and its view of the system', () => {
  it('is PID 1, and /proc shows only the container\'s processes', async () => {
    // the glob is expanded by the shell itself: no other process exists at that moment
    // (a trailing builtin keeps busybox sh from exec'ing its last command)
    const script = 'echo $$; echo /proc/[0-9]*; tr "\\0" " " < /proc/1/cmdline; echo';
    const out = await inside(script);
    expect(out).toBe(`1\n/proc/1\nsh -c ${script} \n`);
  });

  it('has its own hostname and domainname; the host keeps its own', async () => {
    const hostBefore = os.hostname();
    const out = await inside('hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname', {
      hostname: 'box-1',
      domainname: 'example.test',
    });
    expect(out).toBe('box-1\nbox-1\nexample.test\n');
    expect(os.hostname()).toBe(hostBefore);
  });

  it('a kernel.domainname sysctl wins over domainname, as in runc (sysctls are written after the names)', async () => {
    const out = await inside('cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname', {
      hostname: 'from-hostname',
      domainname: 'from-domainname',
      linux: { sysctl: { 'kernel.domainname': 'sysctl.test' } },
    });
    expect(out).toBe('from-hostname\nsysctl.test\n');
  });

  it('cannot see the host\'s files: / is exactly the rootfs', async () => {
    const marker = path.join(work, 'host-only-marker');
    fs.writeFileSync(marker, 'secret');
    const out = await inside(`ls -a /; test -e ${marker} && echo VISIBLE; test -e /usr/bin/node && echo NODE; echo done`);
    expect(out).toBe(['.', '..', 'bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp', 'done', ''].join('\n'));
  });

  it('has the environment and working directory from config.json, and HOME from /etc/passwd (as runc)', async () => {
    // /proc/1/environ is what execve got, before the shell adds PWD/SHLVL
    const out = await inside('tr "\\0" "\\n" < /proc/1/environ; echo ---; pwd; readlink /proc/1/cwd', {
      process: { env: ['PATH=/bin', 'A=1', 'B=with space', 'EMPTY=', 'A=2'], cwd: '/tmp' },
    });
    // one entry per name, the last one winning; HOME is root's home in the image's /etc/passwd
    expect(out).toBe('PATH=/bin\nB=with space\nEMPTY=\nA=2\nHOME=/root\n---\n/tmp\n/tmp\n');
  });

  it('a HOME in process.env stays; a user /etc/passwd does not know gets HOME=/', async () => {
    // "; true": the shell stays PID 1 (an exec'd tr would read the environ of the mm it replaced)
    const given = await inside('tr "\\0" "\\n" < /proc/1/environ; true', { process: { env: ['PATH=/bin', 'HOME=/data'] } });
    expect(given).toBe('PATH=/bin\nHOME=/data\n');
    const unknown = await inside('tr "\\0" "\\n" < /proc/1/environ; true', { process: { env: ['PATH=/bin'], user: { uid: 4321, gid: 4321 } } });
    expect(unknown).toBe('PATH=/bin\nHOME=/\n');
  });

  it('makes a cwd that does not exist (as runc), inside the rootfs', async () => {
    const b = lab.shBundle('pwd', { process: { cwd: '/does/not/exist' } });
    const r = await lab.runBundle(b);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('/does/not/exist\n');
    expect(fs.statSync(path.join(b.rootfs, 'does', 'not', 'exist')).mode & 0o777).toBe(0o755);
  });

  it('fails create with a clear error when cwd is not a directory', async () => {
    const b = lab.shBundle('true', { process: { cwd: '/bin/busybox' } });
    const r = await lab.runBundle(b);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('chdir to cwd /bin/busybox: not a directory (ENOTDIR)');
  });
});

describe('process user, capabilities, limits', () => {
  it('runs as the configured uid, gid, additional groups and umask', async () => {
    const out = await inside('id; umask; grep -E "^(Uid|Gid|Groups):" /proc/self/status', {
      process: { user: { uid: 1000, gid: 1000, additionalGids: [5, 65534], umask: 0o027 } },
    });
    expect(out).toBe(
      [
        'uid=1000(user) gid=1000(user) groups=5(tty),65534(nogroup)',
        '0027',
        'Uid:\t1000\t1000\t1000\t1000',
        'Gid:\t1000\t1000\t1000\t1000',
        'Groups:\t5 65534 ',
        '',
      ].join('\n'),
    );
  });

  it('without additionalGids the process has no supplementary groups; the default umask is 0022', async () => {
    const out = await inside('grep "^Groups:" /proc/self/status; umask', { process: { user: { uid: 0, gid: 0 } } });
    expect(out).toBe('Groups:\t \n0022\n');
  });

  it('root gets exactly the configured capability sets', async () => {
    // for uid 0 the kernel recomputes permitted = inheritable | bounding at execve
    // (and effective = permitted), so a root config has them equal, as runc's default does
    const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SETUID', 'CAP_SYS_ADMIN'];
    const out = await inside('grep -E "^(Cap|NoNewPrivs)" /proc/self/status', {
      process: {
        capabilities: { bounding: caps, permitted: caps, effective: caps, inheritable: ['CAP_KILL', 'CAP_NET_RAW'], ambient: [] },
      },
    });
    const st = parseStatus(out);
    expect(st).toEqual({
      CapInh: capMask(['CAP_KILL', 'CAP_NET_RAW']),
      CapPrm: capMask(caps),
      CapEff: capMask(caps),
      CapBnd: capMask(caps),
      CapAmb: capMask([]),
      NoNewPrivs: '1',
    });
  });

  it('a non-root user keeps bounding, inheritable and ambient; ambient becomes permitted and effective', async () => {
    // the kernel's execve rule for a non-root user without file capabilities:
    // permitted' = effective' = ambient (the pre-exec sets are checked exactly in lifecycle.test.ts)
    const out = await inside('grep -E "^(Cap|NoNewPrivs)" /proc/self/status', {
      process: {
        user: { uid: 1000, gid: 1000 },
        noNewPrivileges: false,
        capabilities: {
          bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE'],
          permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          effective: ['CAP_CHOWN', 'CAP_KILL'],
          inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
          ambient: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        },
      },
    });
    expect(parseStatus(out)).toEqual({
      CapInh: capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']),
      CapPrm: capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE']),
      CapEff: capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE']),
      CapBnd: capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE']),
      CapAmb: capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE']),
      NoNewPrivs: '0',
    });
  });

  it('a capability the host lacks is a warning, not a failure', async () => {
    const b = lab.shBundle('grep CapBnd /proc/self/status', {
      process: { capabilities: { bounding: ['CAP_KILL', 'CAP_SYS_RESOURCE'], permitted: ['CAP_KILL'], effective: ['CAP_KILL'] } },
    });
    bundles.push(b);
    // tsrun's own bounding set without CAP_SYS_RESOURCE (some hosts lack it already)
    const r = await lab.runBundle(b, { wrapper: WITHOUT_SYS_RESOURCE });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`CapBnd:\t${capMask(['CAP_KILL'])}\n`);
    expect(r.stderr).toContain('level=warning');
    expect(r.stderr).toContain('CAP_SYS_RESOURCE');
  });

  it('has exactly the configured rlimits', async () => {
    const out = await inside('cat /proc/self/limits', {
      process: {
        rlimits: [
          { type: 'RLIMIT_NOFILE', soft: 333, hard: 444 },
          { type: 'RLIMIT_STACK', soft: 4194304, hard: 8388608 },
          { type: 'RLIMIT_CORE', soft: 0, hard: 1048576 },
          { type: 'RLIMIT_NPROC', soft: 500, hard: 600 },
          { type: 'RLIMIT_MSGQUEUE', soft: 4096, hard: 8192 },
        ],
      },
    });
    const limits = new Map(
      out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => {
          const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(l)!;
          return [m[1]!, [m[2], m[3]]] as const;
        }),
    );
    expect(limits.get('Max open files')).toEqual(['333', '444']);
    expect(limits.get('Max stack size')).toEqual(['4194304', '8388608']);
    expect(limits.get('Max core file size')).toEqual(['0', '1048576']);
    expect(limits.get('Max processes')).toEqual(['500', '600']);
    expect(limits.get('Max msgqueue size')).toEqual(['4096', '8192']);
  });

  it('refuses an rlimit above the host\'s hard limit, naming it and its values', async () => {
    // tsrun's hard limit is this process's; without CAP_SYS_RESOURCE it cannot be raised
    const ownHard = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))![1]);
    const above = ownHard + 1;
    const b = lab.shBundle('true', { process: { rlimits: [{ type: 'RLIMIT_NOFILE', soft: above, hard: above }] } });
    const r = await lab.runBundle(b, { wrapper: WITHOUT_SYS_RESOURCE });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('RLIMIT_NOFILE');
    expect(r.stderr).toContain(String(above));
    expect(r.stderr).toContain(String(ownHard));
  });

  it('sets noNewPrivileges and oomScoreAdj as configured', async () => {
    let out = await inside('grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj', {
      process: { noNewPrivileges: true, oomScoreAdj: 123 },
    });
    expect(out).toBe('NoNewPrivs:\t1\n123\n');
    out = await inside('grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj', {
      process: { noNewPrivileges: false, oomScoreAdj: 0 },
    });
    expect(out).toBe('NoNewPrivs:\t0\n0\n');
  });
});

describe('file descriptors', () => {
  it('leaks no fd of tsrun into the container (fds 3.. given to tsrun are closed)', async () => {
    const b = lab.shBundle('ls /proc/1/fd; exit 0');
    const file = fs.openSync(path.join(work, 'extra-fd'), 'w');
    try {
      // tsrun gets extra open fds 3, 4 and 5 (a file and two pipes), as the shim's fd 3
      const r = await lab.runBundle(b, { extraStdio: [file, 'pipe', 'pipe'] });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('0\n1\n2\n');
    } finally {
      fs.closeSync(file);
    }
  });

  it('--preserve-fds N keeps exactly fds 3 .. 2+N, which still work', async () => {
    const b = lab.shBundle('ls /proc/1/fd; echo to-three >&3; echo to-four >&4');
    const r = await lab.runBundle(b, { extraStdio: ['pipe', 'pipe', 'pipe'], flags: ['--preserve-fds', '2'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0\n1\n2\n3\n4\n');
    expect(r.extra).toEqual(['to-three\n', 'to-four\n', '']);
  });
});

/** In a user namespace the container's root is an unprivileged host uid: it must be able to reach the bundle. */
function userNamespace(spec: SpecDoc, hostId: number): void {
  spec.linux.namespaces.push({ type: 'user' });
  Object.assign(spec.linux, {
    uidMappings: [{ containerID: 0, hostID: hostId, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: hostId, size: 65536 }],
  });
}

/** Run in a user namespace mapping container 0 to `hostId`: the rootfs is chowned like an engine does. */
async function insideUserns(script: string, hostId: number, override: (spec: SpecDoc) => void): Promise<string> {
  // in the tmp dir itself: the mapped root must be able to reach the bundle
  const b = lab.shBundle(
    script,
    (spec) => {
      userNamespace(spec, hostId);
      override(spec);
    },
    { parent: os.tmpdir() },
  );
  fs.chmodSync(b.dir, 0o755);
  execFileSync('chown', ['-R', `${hostId}:${hostId}`, b.rootfs]);
  const r = await lab.runBundle(b);
  if (r.code !== 0) throw new Error(`container failed (exit ${r.code}): ${r.stderr}\nstdout: ${r.stdout}`);
  return r.stdout;
}

describe('namespaces', () => {
  it('a user namespace with mappings: root inside is 100000 outside', async () => {
    const scratch = testTempDir('userns-scratch');
    fs.chmodSync(scratch, 0o777);
    const out = await insideUserns(
      'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; echo x > /scratch/made-inside; grep -E "^Cap(Eff|Bnd)" /proc/self/status; grep -c -E " - cgroup2? " /proc/self/mountinfo',
      100000,
      (spec) => {
        spec.mounts.push({ destination: '/scratch', type: 'bind', source: scratch, options: ['rbind'] });
        (spec.process.capabilities as Record<string, string[]>).bounding = ['CAP_SYS_ADMIN', 'CAP_KILL'];
        (spec.process.capabilities as Record<string, string[]>).effective = ['CAP_SYS_ADMIN', 'CAP_KILL'];
        (spec.process.capabilities as Record<string, string[]>).permitted = ['CAP_SYS_ADMIN', 'CAP_KILL'];
      },
    );
    const norm = (s: string) => s.trim().split(/\s+/).join(' ');
    const lines = out.split('\n');
    expect(norm(lines[0]!)).toBe('0 100000 65536');
    expect(norm(lines[1]!)).toBe('0 100000 65536');
    expect(lines.slice(2, 4)).toEqual(['0', '0']);
    expect(parseStatus(lines.slice(4, 6).join('\n'))).toEqual({
      CapEff: capMask(['CAP_SYS_ADMIN', 'CAP_KILL']),
      CapBnd: capMask(['CAP_SYS_ADMIN', 'CAP_KILL']),
    });
    // the cgroup mount works in a user namespace too: one per host v1 hierarchy
    // (a hybrid host's cgroup2 tree is not exposed, as in runc), or the one cgroup2 tree
    const hostV1 = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - cgroup /.test(l) && l.split(' ')[4]!.startsWith('/sys/fs/cgroup/'));
    expect(Number(lines[6])).toBe(hostV1.length > 0 ? hostV1.length : 1);
    const st = fs.statSync(path.join(scratch, 'made-inside'));
    expect([st.uid, st.gid]).toEqual([100000, 100000]);
    fs.rmSync(scratch, { recursive: true });
  });

  it('a user namespace without a network namespace still gets a read-only /sys (bind fallback)', async () => {
    const out = await insideUserns('cat /proc/self/uid_map; ls /sys/class >/dev/null && echo has-sys; cat /proc/self/mountinfo', 200000, (spec) => {
      spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network');
    });
    const lines = out.split('\n');
    expect(lines[0]!.trim().split(/\s+/)).toEqual(['0', '200000', '65536']);
    expect(lines[1]).toBe('has-sys');
    const sys = mountAt(parseMountinfo(lines.slice(2).join('\n')), '/sys');
    expect(sys.fstype).toBe('sysfs');
    expect(sys.opts).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
  });

  it('a user namespace gets a hard rlimit above tsrun\'s own where the host lets root raise it (runc sets them from its privileged parent)', async () => {
    // tsrun runs with RLIMIT_CORE 0:0; the config asks 0:1048576. Raising a
    // hard limit takes CAP_SYS_RESOURCE of the host's user namespace, which
    // the container's root lacks: tsrun raises it before entering the user
    // namespace. Hosts whose root lacks CAP_SYS_RESOURCE (as some sandboxes)
    // refuse it for runc too: then tsrun names the limit before creating anything.
    const hostCanRaise = (BigInt(`0x${parseStatus(fs.readFileSync('/proc/self/status', 'utf8')).CapEff}`) >> 24n) & 1n;
    const b = lab.shBundle(
      'grep "core file" /proc/self/limits',
      (spec) => {
        userNamespace(spec, 300000);
        spec.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 1048576 }];
      },
      { parent: os.tmpdir() },
    );
    fs.chmodSync(b.dir, 0o755);
    execFileSync('chown', ['-R', '300000:300000', b.rootfs]);
    const id = lab.id('rlimit-userns');
    const r = spawnSync('prlimit', ['--core=0:0', '--', process.execPath, CLI_ENTRY, '--root', lab.root, 'run', '--bundle', b.dir, id], {
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (hostCanRaise) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split(/\s{2,}/).slice(1, 3)).toEqual(['0', '1048576']);
    } else {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('process.rlimits[0].hard: RLIMIT_CORE hard limit 1048576 is above tsrun\'s own hard limit 0');
    }
  });

  it('a time namespace applies linux.timeOffsets', async () => {
    const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const out = await inside('cat /proc/self/timens_offsets; cut -d" " -f1 /proc/uptime', (spec) => {
      spec.linux.namespaces.push({ type: 'time' });
      Object.assign(spec.linux, { timeOffsets: { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 172800, nanosecs: 500 } } });
    });
    const lines = out.split('\n');
    const offsets = Object.fromEntries(lines.slice(0, 2).map((l) => { const [k, s, n] = l.trim().split(/\s+/); return [k, [s, n]]; }));
    expect(offsets).toEqual({ monotonic: ['86400', '0'], boottime: ['172800', '500'] });
    // /proc/uptime is boottime: the container's is two days ahead
    const uptime = Number(lines[2]);
    expect(uptime - hostUptime).toBeGreaterThan(172800 - 60);
    expect(uptime - hostUptime).toBeLessThan(172800 + 60);
  });

  describe('joined by path', () => {
    const nsName = `tsrun-test-ns-${process.pid}`;
    let holder: { pid: number; kill: () => void } | undefined;
    beforeAll(() => {
      execFileSync('ip', ['netns', 'add', nsName]);
      execFileSync('ip', ['netns', 'exec', nsName, 'ip', 'link', 'set', 'lo', 'up']);
    });
    afterAll(() => {
      holder?.kill();
      execFileSync('ip', ['netns', 'delete', nsName]);
    });

    it('joins a network namespace given as /var/run/netns/<name>', async () => {
      const nsPath = `/var/run/netns/${nsName}`;
      const ino = fs.statSync(nsPath).ino;
      const out = await inside('readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate', (spec) => {
        spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: nsPath } : n));
      });
      expect(out).toBe(`net:[${ino}]\nunknown\n`);
    });

    it('joins the uts and ipc namespaces of another process through /proc/<pid>/ns', async () => {
      const { spawn } = await import('node:child_process');
      const p = spawn('unshare', ['--uts', '--ipc', 'sh', '-c', 'hostname held-by-holder; exec sleep 60'], { stdio: 'ignore' });
      holder = { pid: p.pid!, kill: () => p.kill('SIGKILL') };
      // wait for the holder's exec (its uts namespace is then the new one)
      const hostUts = fs.readlinkSync('/proc/self/ns/uts');
      for (let i = 0; i < 500; i++) {
        try {
          if (fs.readlinkSync(`/proc/${p.pid}/ns/uts`) !== hostUts && fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() === 'sleep') break;
        } catch {
          // not yet
        }
        await sleep(10);
      }
      const uts = fs.readlinkSync(`/proc/${p.pid}/ns/uts`);
      const ipc = fs.readlinkSync(`/proc/${p.pid}/ns/ipc`);
      const out = await inside('readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc; hostname', (spec) => {
        delete (spec as Record<string, unknown>).hostname;
        spec.linux.namespaces = spec.linux.namespaces.map((n) =>
          n.type === 'uts' || n.type === 'ipc' ? { type: n.type, path: `/proc/${p.pid}/ns/${n.type}` } : n,
        );
      });
      expect(out).toBe(`${uts}\n${ipc}\nheld-by-holder\n`);
    });
  });

  it('joins the pid namespace of another process: the container is not PID 1 there', async () => {
    const { spawn } = await import('node:child_process');
    // unshare forks: its child is PID 1 of the new pid namespace
    const p = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sleep', '60'], { stdio: 'ignore' });
    let inner = 0;
    try {
      const hostPid = fs.readlinkSync('/proc/self/ns/pid');
      for (let i = 0; i < 500 && !inner; i++) {
        for (const c of fs.readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').trim().split(' ').filter(Boolean)) {
          try {
            if (fs.readlinkSync(`/proc/${c}/ns/pid`) !== hostPid && fs.readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'sleep') inner = Number(c);
          } catch {
            // not yet
          }
        }
        if (!inner) await sleep(10);
      }
      expect(inner).toBeGreaterThan(0);
      const nsPath = `/proc/${inner}/ns/pid`;
      const out = await inside('echo $$; tr "\\0" " " < /proc/1/cmdline; echo; readlink /proc/self/ns/pid', (spec) => {
        spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'pid' ? { type: 'pid', path: nsPath } : n));
      });
      const [pid, cmdline, ns] = out.split('\n');
      expect(Number(pid)).toBeGreaterThan(1);
      expect(cmdline).toBe('sleep 60 ');
      expect(ns).toBe(fs.readlinkSync(nsPath));
    } finally {
      if (inner) process.kill(inner, 'SIGKILL'); // the namespace's init: the rest of it goes with it
      p.kill('SIGKILL');
    }
  });

  it('every new namespace differs from the host\'s', async () => {
    const types = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup'];
    const out = await inside(types.map((t) => `readlink /proc/self/ns/${t}`).join('; '), (spec) => {
      spec.linux.namespaces.push({ type: 'cgroup' });
    });
    const inner = out.trim().split('\n');
    const host = types.map((t) => fs.readlinkSync(`/proc/self/ns/${t}`));
    expect(inner).toHaveLength(types.length);
    inner.forEach((v, i) => expect(v).not.toBe(host[i]));
  });

  it('without a cgroup namespace /proc/self/cgroup shows host paths; with one, "/"', async () => {
    // the pids hierarchy's line where the host has v1 pids, else the cgroup2 line
    const v1Pids = /^\d+:pids:/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'));
    const prefix = v1Pids ? v1Pids[0] : '0::';
    const out = await inside(`grep -E "^${prefix}" /proc/self/cgroup`, (spec) => {
      spec.linux.namespaces.push({ type: 'cgroup' });
    });
    expect(out).toBe(`${prefix}/\n`);
  });
});

describe('filesystem', () => {
  it('masks maskedPaths: files read empty, directories are empty and read-only', async () => {
    expect(fs.readdirSync('/sys/firmware').length).toBeGreaterThan(0);
    const out = await inside(
      'wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; ls -A /proc/acpi | wc -l; touch /sys/firmware/x 2>&1 || echo refused',
    );
    expect(out).toMatch(/^0\n0\n0\n0\ntouch: \/sys\/firmware\/x: Read-only file system\nrefused\n$/);
  });

  it('makes readonlyPaths read-only', async () => {
    const out = await inside('echo 1 > /proc/sysrq-trigger || echo refused-1; echo x > /proc/sys/kernel/domainname || echo refused-2; cat /proc/sys/kernel/ostype');
    expect(out).toBe('refused-1\nrefused-2\nLinux\n');
  });

  it('a read-only root refuses writes; a writable one accepts them', async () => {
    let out = await inside('touch /etc/new 2>&1; echo rc=$?', { root: { readonly: true } });
    expect(out).toBe('touch: /etc/new: Read-only file system\nrc=1\n');
    out = await inside('touch /etc/new && echo ok', { root: { readonly: false } });
    expect(out).toBe('ok\n');
  });

  it('mounts proc, tmpfs /dev, devpts, shm, mqueue, sysfs and cgroup with the default options', async () => {
    const mounts = parseMountinfo(await inside('cat /proc/self/mountinfo'));
    expect(mounts[0]!.point).toBe('/');
    expect(mounts[0]!.opts).toContain('ro');
    const proc = mountAt(mounts, '/proc');
    expect(proc.fstype).toBe('proc');
    const dev = mountAt(mounts, '/dev');
    expect([dev.fstype, dev.opts.includes('nosuid')]).toEqual(['tmpfs', true]);
    expect(dev.super).toEqual(expect.arrayContaining(['size=65536k', 'mode=755']));
    const pts = mountAt(mounts, '/dev/pts');
    expect(pts.fstype).toBe('devpts');
    expect(pts.opts).toEqual(expect.arrayContaining(['nosuid', 'noexec']));
    expect(pts.super).toEqual(expect.arrayContaining(['gid=5', 'mode=620', 'ptmxmode=666']));
    const shm = mountAt(mounts, '/dev/shm');
    expect(shm.opts).toEqual(expect.arrayContaining(['nosuid', 'noexec', 'nodev']));
    expect(shm.super).toEqual(expect.arrayContaining(['size=65536k']));
    expect(mountAt(mounts, '/dev/mqueue').fstype).toBe('mqueue');
    const sys = mountAt(mounts, '/sys');
    expect([sys.fstype, ...['ro', 'nosuid', 'noexec', 'nodev'].map((o) => sys.opts.includes(o))]).toEqual(['sysfs', true, true, true, true]);
    // the tmpfs holding the hierarchies stays writable, as runc leaves it;
    // one read-only cgroup mount per host v1 hierarchy, each showing the container's own cgroup
    const cg = mountAt(mounts, '/sys/fs/cgroup');
    expect([cg.fstype, cg.opts.includes('rw')]).toEqual(['tmpfs', true]);
    const hostHierarchies = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => / - cgroup /.test(l) && l.split(' ')[4]!.startsWith('/sys/fs/cgroup/'))
      .map((l) => l.split(' ')[4]!);
    const inner = mounts.filter((m) => m.fstype === 'cgroup');
    expect(inner.map((m) => m.point).sort()).toEqual(hostHierarchies.sort());
    for (const m of inner) {
      expect(m.opts).toContain('ro');
      expect(m.root).toMatch(/\/tsrun-test-run-[^/]+$/);
    }
  });

  it('applies bind mount options: ro, nosuid, nodev, noexec, rbind vs bind, rro, file binds', async () => {
    const src = fs.mkdtempSync(path.join(work, 'bind-src-'));
    fs.writeFileSync(path.join(src, 'f'), 'content\n');
    fs.mkdirSync(path.join(src, 'sub'));
    const subSrc = fs.mkdtempSync(path.join(work, 'bind-sub-'));
    fs.writeFileSync(path.join(subSrc, 'g'), 'in-submount\n');
    execFileSync('mount', ['--bind', subSrc, path.join(src, 'sub')]);
    try {
      const out = await inside(
        'cat /mnt/ro/f; touch /mnt/ro/x 2>/dev/null || echo ro-refused; cat /mnt/rbind/sub/g; ls /mnt/bind/sub | wc -l; touch /mnt/rro/sub/y 2>/dev/null || echo rro-refused; cat /etc/bound-file; echo ---; cat /proc/self/mountinfo',
        (spec) => {
          spec.mounts.push(
            { destination: '/mnt/ro', type: 'bind', source: src, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] },
            { destination: '/mnt/rbind', type: 'bind', source: src, options: ['rbind'] },
            { destination: '/mnt/bind', type: 'bind', source: src, options: ['bind'] },
            { destination: '/mnt/rro', type: 'bind', source: src, options: ['rbind', 'rro'] },
            { destination: '/etc/bound-file', type: 'bind', source: path.join(src, 'f'), options: ['bind', 'ro'] },
          );
        },
      );
      const [head, info] = out.split('---\n');
      expect(head).toBe('content\nro-refused\nin-submount\n0\nrro-refused\ncontent\n');
      const mounts = parseMountinfo(info!);
      const ro = mountAt(mounts, '/mnt/ro');
      expect(['ro', 'nosuid', 'nodev', 'noexec'].every((o) => ro.opts.includes(o))).toBe(true);
      expect(mountAt(mounts, '/mnt/rbind').opts).toContain('rw');
      expect(mountAt(mounts, '/mnt/rbind/sub').opts).toContain('rw');
      expect(mounts.some((m) => m.point === '/mnt/bind/sub')).toBe(false);
      expect(mountAt(mounts, '/mnt/rro').opts).toContain('ro');
      expect(mountAt(mounts, '/mnt/rro/sub').opts).toContain('ro');
      expect(mountAt(mounts, '/etc/bound-file').opts).toContain('ro');
      // the mount points were created inside the rootfs, nothing outside it
      expect(fs.statSync(path.join(bundles.at(-1)!.rootfs, 'etc', 'bound-file')).isFile()).toBe(true);
    } finally {
      execFileSync('umount', [path.join(src, 'sub')]);
      fs.rmSync(src, { recursive: true });
      fs.rmSync(subSrc, { recursive: true });
    }
  });

  it('a tmpfs with size, mode, uid/gid and noexec options', async () => {
    const out = await inside('stat -c "%a %u %g" /data; grep " /data " /proc/self/mountinfo', (spec) => {
      spec.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'size=1m', 'mode=1750', 'uid=1000', 'gid=1000'] });
    });
    const [statLine, info] = [out.split('\n')[0], out.split('\n').slice(1).join('\n')];
    expect(statLine).toBe('1750 1000 1000');
    const m = parseMountinfo(info)[0]!;
    expect(m.fstype).toBe('tmpfs');
    expect(m.opts).toEqual(expect.arrayContaining(['noexec', 'nosuid']));
    expect(m.super).toEqual(expect.arrayContaining(['size=1024k', 'mode=1750', 'uid=1000', 'gid=1000']));
  });

  it('propagation options on a mount and rootfsPropagation on /', async () => {
    let mounts = parseMountinfo(
      await inside('cat /proc/self/mountinfo', (spec) => {
        spec.mounts.push({ destination: '/shared', type: 'tmpfs', source: 'tmpfs', options: ['rshared'] });
        spec.mounts.push({ destination: '/unbind', type: 'tmpfs', source: 'tmpfs', options: ['unbindable'] });
        Object.assign(spec.linux, { rootfsPropagation: 'shared' });
      }),
    );
    expect(mounts[0]!.optional).toMatch(/shared:\d+/);
    expect(mountAt(mounts, '/shared').optional).toMatch(/shared:\d+/);
    expect(mountAt(mounts, '/unbind').optional).toBe('unbindable');
    mounts = parseMountinfo(await inside('cat /proc/self/mountinfo', { linux: { rootfsPropagation: 'private' } }));
    expect(mounts[0]!.optional).toBe('');
  });

  it('never unmounts or mounts anything on the host, whatever rootfsPropagation (bundle on a shared mount)', async () => {
    // two shared host mounts (as on a systemd host): one holds the bundles, one is a bystander
    const shared = testTempDir('hostshared');
    const bystander = testTempDir('bystander');
    for (const d of [shared, bystander]) {
      execFileSync('mount', ['-t', 'tmpfs', 'tsrun-test-shared', d]);
      execFileSync('mount', ['--make-shared', d]);
    }
    const hostMounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(shared) || l.includes(bystander));
    try {
      const mountsBefore = hostMounts();
      expect(mountsBefore).toHaveLength(2);
      for (const m of mountsBefore) expect(m).toMatch(/ shared:\d+ /);
      for (const prop of [undefined, 'private', 'slave', 'unbindable', 'shared', 'rshared', 'rprivate', 'rslave']) {
        const b = lab.shBundle('cat /proc/self/mountinfo | wc -l', undefined, { parent: shared });
        if (prop) {
          Object.assign(b.spec.linux, { rootfsPropagation: prop });
          b.writeConfig();
        }
        const r = await lab.runBundle(b);
        expect({ prop, code: r.code, stderr: r.stderr }).toEqual({ prop, code: 0, stderr: '' });
        // the container's mounts stayed in the container, the shared mount is still there
        expect({ prop, mounts: hostMounts() }).toEqual({ prop, mounts: mountsBefore });
        b.cleanup();
      }
    } finally {
      for (const d of [shared, bystander]) {
        execFileSync('umount', ['-R', d]);
        fs.rmSync(d, { recursive: true });
      }
    }
  });

  it('--no-pivot: the rootfs is / via MS_MOVE + chroot, and the host is still not visible', async () => {
    const out = await inside('ls -a /; echo $$; head -1 /proc/self/mountinfo', undefined, ['--no-pivot']);
    const lines = out.split('\n');
    expect(lines.slice(0, 9)).toEqual(['.', '..', 'bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp']);
    expect(lines[9]).toBe('1');
  });

  it('/dev has the default devices, the standard links and linux.devices', async () => {
    const out = await inside('cd /dev && for f in null zero full random urandom tty mydev myblk; do stat -c "%n %F %t:%T %a %u:%g" $f; done; for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink $l)"; done; test -e /dev/console || echo no-console', {
      linux: {
        devices: [
          { path: '/dev/mydev', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 1000, gid: 5 },
          { path: '/dev/myblk', type: 'b', major: 7, minor: 200, fileMode: 0o640, uid: 0, gid: 0 },
        ],
      },
    });
    expect(out).toBe(
      [
        'null character special file 1:3 666 0:0',
        'zero character special file 1:5 666 0:0',
        'full character special file 1:7 666 0:0',
        'random character special file 1:8 666 0:0',
        'urandom character special file 1:9 666 0:0',
        'tty character special file 5:0 666 0:0',
        'mydev character special file 1:3 600 1000:5',
        'myblk block special file 7:c8 640 0:0',
        'fd -> /proc/self/fd',
        'stdin -> /proc/self/fd/0',
        'stdout -> /proc/self/fd/1',
        'stderr -> /proc/self/fd/2',
        'ptmx -> pts/ptmx',
        'no-console',
        '',
      ].join('\n'),
    );
  });

  it('writes linux.sysctl inside the container only', async () => {
    const key = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
    const hostValue = fs.readFileSync(key, 'utf8');
    const out = await inside(`cat ${key} /proc/sys/kernel/msgmax`, {
      linux: { sysctl: { 'net.ipv4.ip_unprivileged_port_start': '42', 'kernel.msgmax': '9000' } },
    });
    expect(out).toBe('42\n9000\n');
    expect(fs.readFileSync(key, 'utf8')).toBe(hostValue);
  });
});

describe('exit status of run', () => {
  it('propagates the exit code', async () => {
    const b = lab.shBundle('exit 7');
    expect((await lab.runBundle(b)).code).toBe(7);
  });

  it('is 128+signal when the process is killed by a signal', async () => {
    // without a pid namespace the shell can signal itself
    const b = lab.shBundle('kill -SEGV $$', (spec) => {
      spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'pid');
    });
    bundles.push(b);
    expect((await lab.runBundle(b)).code).toBe(128 + 11);
  });
});
