// linux.seccomp through real containers: tsrun compiles the profile before
// the fork and the init installs it last, before execve. The container's
// processes (busybox and the static escape probe) see the result.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { SECCOMP_CACHE_DIR } from '../../src/state/types';
import { defaultSeccompProfile } from '../../src/seccomp/default-profile';
import type { Seccomp as LinuxSeccomp, SeccompFlag, SeccompOperator, SyscallRule as SeccompSyscall } from '../../oci-spec/runtime';
import { buildCHelpers, type CHelpers } from './helpers/cbuild';
import { ContainerLab, PROBE_IN_CONTAINER } from '../helpers';
import type { Bundle } from '../helpers';

const x64 = process.arch === 'x64';
const lab = new ContainerLab('seccomp-ct', { probe: true });
let c: CHelpers;

beforeAll(() => {
  c = buildCHelpers();
  lab.snapshot();
});

afterAll(async () => {
  c?.cleanup();
  await lab.cleanup();
});

function withSeccomp(seccomp: LinuxSeccomp, args: string[], more: (b: Bundle) => void = () => {}): Bundle {
  return lab.bundle((s) => {
    s.process.args = args;
    s.root.readonly = false;
    (s.linux as Record<string, unknown>).seccomp = seccomp;
    more(s as unknown as Bundle);
  });
}

const allowAllBut = (...syscalls: NonNullable<LinuxSeccomp['syscalls']>): LinuxSeccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls,
});

/** probe syscall lines -> ["ok", "err EPERM", ...] without return values */
const outcomes = (stdout: string): string[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => (l.startsWith('ok ') ? 'ok' : l));

describe('actions', () => {
  it('a denied syscall returns the configured errno (38: ENOSYS) while allowed ones work', async () => {
    const b = withSeccomp(allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }), [
      'sh',
      '-c',
      'touch /tmp/f && echo touched; mkdir /tmp/d; echo "mkdir=$?"; grep "^Seccomp:" /proc/self/status',
    ]);
    const r = await lab.run(b, lab.id('errno'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('touched\nmkdir=1\nSeccomp:\t2\n');
    expect(r.stderr).toContain("mkdir: can't create directory '/tmp/d': Function not implemented");
    expect(fs.existsSync(path.join(b.rootfs, 'tmp', 'f'))).toBe(true);
    expect(fs.existsSync(path.join(b.rootfs, 'tmp', 'd'))).toBe(false);
  });

  it('SCMP_ACT_ERRNO without errnoRet is EPERM; defaultErrnoRet applies to the default action', async () => {
    const b = withSeccomp(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 95, // EOPNOTSUPP
        syscalls: [
          { names: ['getppid'], action: 'SCMP_ACT_ERRNO' },
          // everything the static probe needs to start, print and exit
          {
            names: ['execve', 'brk', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'uname'],
            action: 'SCMP_ACT_ALLOW',
          },
          { names: ['readlink', 'readlinkat', 'mprotect', 'write', 'exit_group', 'getrandom', 'newfstatat', 'fstat'], action: 'SCMP_ACT_ALLOW' },
        ],
      },
      [PROBE_IN_CONTAINER, 'syscall', '110', '+', '111'],
    );
    const r = await lab.run(b, lab.id('default-errno'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('err EPERM\nerr EOPNOTSUPP\n');
    expect(r.code).toBe(0);
  });

  it('SCMP_ACT_KILL_PROCESS kills the process (SIGSYS: run exits 159)', async () => {
    const b = withSeccomp(allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }), ['mkdir', '/tmp/k']);
    const r = await lab.run(b, lab.id('kill'));
    expect(r.code).toBe(128 + 31);
    expect(fs.existsSync(path.join(b.rootfs, 'tmp', 'k'))).toBe(false);
  });

  for (const action of ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP'] as const) {
    it(`${action} ends the (single-threaded) process with SIGSYS`, async () => {
      const b = withSeccomp(allowAllBut({ names: ['mkdir', 'mkdirat'], action }), ['mkdir', '/tmp/k']);
      const r = await lab.run(b, lab.id('sigsys'));
      expect(r.code).toBe(128 + 31);
    });
  }

  it('SCMP_ACT_KILL_PROCESS in a child: the shell sees it killed and goes on', async () => {
    const b = withSeccomp(allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }), [
      'sh',
      '-c',
      '/bin/mkdir /tmp/k; echo "status=$?"',
    ]);
    const r = await lab.run(b, lab.id('kill-child'));
    expect(r.stdout).toBe('status=159\n');
    expect(r.code).toBe(0);
  });

  it('SCMP_ACT_LOG and SCMP_ACT_ALLOW let the call through', async () => {
    const b = withSeccomp(allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_LOG' }), ['mkdir', '/tmp/logged']);
    const r = await lab.run(b, lab.id('log'));
    expect(r.code).toBe(0);
    expect(fs.statSync(path.join(b.rootfs, 'tmp', 'logged')).isDirectory()).toBe(true);
  });
});

describe.runIf(x64)('argument filters (x86_64 syscall numbers)', () => {
  // syscalls nothing else in the probe makes, one per operator, each with its errno
  const OPS: { op: SeccompOperator; nr: number; errno: number; name: string; value: bigint | number; valueTwo?: number | bigint }[] = [
    { op: 'SCMP_CMP_EQ', nr: 110 /* getppid */, errno: 42, name: 'ENOMSG', value: 5 },
    { op: 'SCMP_CMP_NE', nr: 111 /* getpgrp */, errno: 43, name: 'EIDRM', value: 5 },
    { op: 'SCMP_CMP_LT', nr: 24 /* sched_yield */, errno: 44, name: 'ECHRNG', value: 5 },
    { op: 'SCMP_CMP_LE', nr: 162 /* sync */, errno: 45, name: 'EL2NSYNC', value: 5 },
    { op: 'SCMP_CMP_GT', nr: 152 /* munlockall */, errno: 46, name: 'EL3HLT', value: 5 },
    { op: 'SCMP_CMP_GE', nr: 253 /* inotify_init */, errno: 47, name: 'EL3RST', value: 5 },
  ];
  const calls = (nr: number, values: (string | number)[]): string[] => values.flatMap((v, i) => [...(i ? ['+'] : []), String(nr), String(v)]);

  it('every comparison operator matches exactly the values it should (unsigned 64-bit)', async () => {
    const values = [4, 5, 6, '9223372036854775808' /* 2^63: negative if compared signed */];
    const b = withSeccomp(
      allowAllBut(...OPS.map((o): SeccompSyscall => ({ names: [o.nr === 110 ? 'getppid' : o.nr === 111 ? 'getpgrp' : o.nr === 24 ? 'sched_yield' : o.nr === 162 ? 'sync' : o.nr === 152 ? 'munlockall' : 'inotify_init'], action: 'SCMP_ACT_ERRNO', errnoRet: o.errno, args: [{ index: 0, value: o.value, op: o.op }] }))),
      [PROBE_IN_CONTAINER, 'syscall', ...OPS.flatMap((o, i) => [...(i ? ['+'] : []), ...calls(o.nr, values)])],
    );
    const r = await lab.run(b, lab.id('ops'));
    expect(r.stderr).toBe('');
    const got = outcomes(r.stdout);
    const expected = (match: boolean[], name: string) => match.map((m) => (m ? `err ${name}` : 'ok'));
    expect(got).toEqual([
      ...expected([false, true, false, false], 'ENOMSG'), // EQ 5
      ...expected([true, false, true, true], 'EIDRM'), // NE 5
      ...expected([true, false, false, false], 'ECHRNG'), // LT 5
      ...expected([true, true, false, false], 'EL2NSYNC'), // LE 5
      ...expected([false, false, true, true], 'EL3HLT'), // GT 5
      ...expected([false, true, true, true], 'EL3RST'), // GE 5
    ]);
  });

  it('MASKED_EQ tests (arg & value) == valueTwo over all 64 bits', async () => {
    const b = withSeccomp(
      allowAllBut({
        names: ['umask'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 42,
        args: [{ index: 0, value: 0xff00000000000000n, valueTwo: 0x1200000000000000n, op: 'SCMP_CMP_MASKED_EQ' }],
      }),
      [PROBE_IN_CONTAINER, 'syscall', ...calls(95, ['0x1200000000000022', '0x12ffffffffffffff', '0x1300000000000022', '0x22'])],
    );
    const r = await lab.run(b, lab.id('masked'));
    expect(outcomes(r.stdout)).toEqual(['err ENOMSG', 'err ENOMSG', 'ok', 'ok']);
  });

  it('values above 2^53 in config.json reach the filter exactly (2^64-2^32+1 vs its rounded neighbour)', async () => {
    const exact = 18446744069414584321n; // as a double this is 18446744069414584320
    const b = withSeccomp(
      allowAllBut({ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 42, args: [{ index: 0, value: exact, op: 'SCMP_CMP_EQ' }] }),
      [PROBE_IN_CONTAINER, 'syscall', ...calls(110, [String(exact), String(exact - 1n), '1'])],
    );
    expect(fs.readFileSync(b.configPath, 'utf8')).toContain('"value": 18446744069414584321');
    const r = await lab.run(b, lab.id('u64'));
    expect(r.stderr).toBe('');
    expect(outcomes(r.stdout)).toEqual(['err ENOMSG', 'ok', 'ok']);
  });

  it('conditions on two arguments must both hold; the second argument is checked too', async () => {
    const b = withSeccomp(
      allowAllBut({
        names: ['getppid'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 42,
        args: [
          { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
          { index: 5, value: 0xffffffff00000000n, op: 'SCMP_CMP_GE' },
        ],
      }),
      [PROBE_IN_CONTAINER, 'syscall', '110', '1', '0', '0', '0', '0', '0xffffffff00000000', '+', '110', '1', '0', '0', '0', '0', '0xfffffffe00000000', '+', '110', '2', '0', '0', '0', '0', '0xffffffff00000000'],
    );
    const r = await lab.run(b, lab.id('two-args'));
    expect(outcomes(r.stdout)).toEqual(['err ENOMSG', 'ok', 'ok']);
  });
});

describe('flags', () => {
  for (const flags of [
    [],
    ['SECCOMP_FILTER_FLAG_TSYNC'],
    ['SECCOMP_FILTER_FLAG_LOG'],
    ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
  ] as SeccompFlag[][]) {
    it(`flags ${JSON.stringify(flags)}: the filter is installed and enforced`, async () => {
      const b = withSeccomp({ ...allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }), flags }, [
        'sh',
        '-c',
        'mkdir /tmp/d 2>/dev/null; echo "mkdir=$?"',
      ]);
      const r = await lab.run(b, lab.id('flags'));
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('mkdir=1\n');
    });
  }
});

describe('the compiled-filter cache in the state root', () => {
  it('is not taken for a container: list stays clean, and any valid id can still be used', async () => {
    const b = withSeccomp(allowAllBut({ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }), ['true']);
    expect((await lab.run(b, lab.id('cache'))).code).toBe(0);
    expect(fs.readdirSync(lab.root)).toContain(SECCOMP_CACHE_DIR);
    const list = await lab.cli(['list', '--format', 'json']);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    // the old cache name, a valid container id
    const id = '.seccomp-cache';
    const created = await lab.create(b, id);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    await lab.forceDelete(id);
  });
});

describe('syscall names unknown here', () => {
  it('are skipped with a warning naming them; the rest of the profile applies', async () => {
    const b = withSeccomp(
      allowAllBut({ names: ['mkdir', 'tsrun_no_such_syscall', 'mkdirat', 'another_made_up_one'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }),
      ['sh', '-c', 'mkdir /tmp/d 2>/dev/null; echo "mkdir=$?"'],
    );
    const log = path.join(b.dir, 'log.json');
    const r = await lab.cli(['--log', log, '--log-format', 'json', 'run', '--bundle', b.dir, lab.id('unknown')]);
    expect(r.stdout).toBe('mkdir=1\n');
    expect(r.stderr).toBe('');
    const records = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    const warning = records.find((w) => w.msg.includes('tsrun_no_such_syscall'));
    expect(warning).toMatchObject({ level: 'warning' });
    expect(warning!.msg).toContain('another_made_up_one');
  });
});

describe('the default profile written by `tsrun spec`', () => {
  async function specBundle(args: string[], terminal = false): Promise<Bundle> {
    const b = lab.bundle();
    fs.rmSync(b.configPath);
    const r = await lab.cli(['spec', '--bundle', b.dir]);
    expect(r.code).toBe(0);
    const spec = JSON.parse(fs.readFileSync(b.configPath, 'utf8')) as Bundle['spec'];
    expect(spec.linux.seccomp).toEqual(defaultSeccompProfile());
    spec.process.args = args;
    spec.process.terminal = terminal;
    spec.root.readonly = false;
    b.spec = spec;
    b.writeConfig();
    return b;
  }

  it('lets a busybox shell session (stdin script) work', async () => {
    const b = await specBundle(['sh']);
    const script = [
      'set -e',
      'cd /tmp && mkdir -p work/sub && cd work',
      'echo "line one" > a.txt; printf "b\\na\\nc\\n" | sort > b.txt',
      'cat a.txt b.txt | wc -l',
      'ln -s a.txt link && readlink link && rm link',
      'sed -e s/one/two/ a.txt',
      'ls -la >/dev/null && find /tmp/work -type f | sort',
      '(sleep 0.1; echo from-subshell) & wait',
      'trap "echo trapped" USR1; kill -USR1 $$',
      'id -u; hostname; date +%Y >/dev/null; ps | grep -c sh >/dev/null',
      'tar -cf /tmp/t.tar -C /tmp work && tar -tf /tmp/t.tar | head -1',
      'cp a.txt c.txt && chmod 600 c.txt && stat -c %a c.txt && mv c.txt d.txt && rm d.txt',
      'echo "$((6 * 7))"',
      'exit 0',
    ].join('\n');
    // warnings (names this libseccomp lacks) go to the log, not the container's stderr
    const log = path.join(b.dir, 'log.json');
    const r = await lab.cli(['--log', log, 'run', '--bundle', b.dir, lab.id('default-session')], { input: `${script}\n` });
    expect(r.stderr).toBe('');
    expect(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').not.toContain('level=error');
    expect(r.stdout.split('\n')).toEqual([
      '4',
      'a.txt',
      'line two',
      '/tmp/work/a.txt',
      '/tmp/work/b.txt',
      'from-subshell',
      'trapped',
      '0',
      'tsrun',
      'work/',
      '600',
      '42',
      '',
    ]);
    expect(r.code).toBe(0);
  });

  it('blocks mount and unshare -U inside (EPERM), and the usual escape syscalls', async () => {
    const b = await specBundle([
      'sh',
      '-c',
      [
        'mount -t tmpfs none /mnt; echo "mount=$?"',
        'unshare -U true; echo "unshare=$?"',
        'unshare -m true; echo "unshare-m=$?"',
        `${PROBE_IN_CONTAINER} syscall 246 0 0 0 0 + 250 0 0 + 321 0 0 0 + 308 0 0 + 175 0 0 0 + 304 0 0 0 + 323 0 + 248 0 0 0 0 0 + 298 0 0 0 0 0 + 425 1 0 + 272 0x10000000 + 56 0x10000011 0 0 0 0 + 166 0`,
      ].join('; '),
    ]);
    const r = await lab.run(b, lab.id('default-deny'));
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['mount=1', 'unshare=1', 'unshare-m=1']);
    expect(r.stderr).toContain('mount: permission denied');
    expect(r.stderr).toContain('unshare(0x10000000): Operation not permitted');
    expect(lines.slice(3)).toEqual([
      'err EPERM', // kexec_load
      'err EPERM', // keyctl
      'err EPERM', // bpf
      'err EPERM', // setns
      'err EPERM', // init_module
      'err EPERM', // open_by_handle_at
      'err EPERM', // userfaultfd
      'err EPERM', // add_key
      'err EPERM', // perf_event_open
      'err ENOSYS', // io_uring_setup: not in the profile
      'err EPERM', // unshare(CLONE_NEWUSER)
      'err EPERM', // clone(CLONE_NEWUSER | SIGCHLD)
      'err EPERM', // umount2
    ]);
  });

  it('lets an interactive shell work on a terminal (console socket)', async () => {
    const b = await specBundle(['sh'], true);
    const n = native();
    const sock = path.join(b.dir, 'console.sock');
    const lfd = n.listenUnix(sock);
    let master = -1;
    try {
      const run = lab.cli(['run', '--console-socket', sock, '--bundle', b.dir, lab.id('default-tty')]);
      const conn = n.acceptUnix(lfd, 20_000);
      const got = n.recvFd(conn, 20_000);
      fs.closeSync(conn);
      master = got.fd;
      expect(got.data).toMatch(/^\/dev\/pts\/\d+$/);
      fs.writeSync(master, 'tty; echo "sum=$((40 + 2))"; mount -t tmpfs x /mnt 2>&1; unshare -U true 2>&1; exit 7\n');
      let out = '';
      const reader = new Promise<void>((resolve) => {
        const buf = Buffer.alloc(4096);
        const next = (): void =>
          fs.read(master, buf, 0, buf.length, null, (err, nb) => {
            if (err || nb === 0) return resolve();
            out += buf.subarray(0, nb).toString();
            next();
          });
        next();
      });
      const r = await run;
      await reader;
      expect(r.code).toBe(7);
      expect(out).toContain('/dev/pts/0\r\n');
      expect(out).toContain('sum=42\r\n');
      expect(out).toContain('mount: permission denied');
      expect(out).toContain('Operation not permitted');
    } finally {
      fs.closeSync(lfd);
      if (master >= 0) fs.closeSync(master);
    }
  });
});

describe('user notification (listenerPath)', () => {
  function respond(fd: number, args: string[]): Promise<{ out: string; code: number | null }> {
    const p = spawn(c.responder, args, { stdio: ['ignore', 'pipe', 'inherit', fd] });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    return new Promise((resolve) => p.on('close', (code) => resolve({ out, code })));
  }

  for (const flags of [undefined, ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']] as Array<SeccompFlag[] | undefined>) {
    it(`the agent receives the state and the notify fd, and answers mkdir (flags ${JSON.stringify(flags)})`, async () => {
      const n = native();
      const b0 = lab.bundle();
      const sock = path.join(b0.dir, 'agent.sock');
      const b = withSeccomp(
        {
          ...allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }),
          listenerPath: sock,
          listenerMetadata: 'tsrun-test-metadata',
          ...(flags ? { flags } : {}),
        },
        ['mkdir', '/tmp/notified'],
      );
      const id = lab.id('notify');
      const lfd = n.listenUnix(sock);
      try {
        const run = lab.run(b, id);
        const conn = n.acceptUnix(lfd, 20_000);
        const got = n.recvFd(conn, 20_000);
        fs.closeSync(conn);
        expect(fs.readlinkSync(`/proc/self/fd/${got.fd}`)).toBe('anon_inode:seccomp notify');
        const answer = respond(got.fd, ['errno', '30']); // EROFS
        fs.closeSync(got.fd);
        const [r, agent] = await Promise.all([run, answer]);
        const state = JSON.parse(got.data) as { fds: string[]; pid: number; metadata: string; state: { id: string; status: string; bundle: string } };
        expect(state).toMatchObject({ fds: ['seccompFd'], metadata: 'tsrun-test-metadata', state: { id, bundle: b.dir } });
        expect(agent.out).toContain(`nr=83 pid=${state.pid}`);
        expect(agent.code).toBe(0);
        expect(r.stderr).toContain("mkdir: can't create directory '/tmp/notified': Read-only file system");
        expect(r.code).toBe(1);
        expect(fs.existsSync(path.join(b.rootfs, 'tmp', 'notified'))).toBe(false);
      } finally {
        fs.closeSync(lfd);
      }
    });
  }

  it('an exec\'d process is under the same filter, and its notifications reach the agent too', async () => {
    const n = native();
    const b0 = lab.bundle();
    const sock = path.join(b0.dir, 'agent.sock');
    const b = withSeccomp(
      {
        ...allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }, { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }),
        listenerPath: sock,
      },
      ['sleep', '30'],
    );
    const id = lab.id('notify-exec');
    const lfd = n.listenUnix(sock);
    try {
      expect((await lab.create(b, id)).code).toBe(0);
      const start = lab.cli(['start', id]);
      const initConn = n.acceptUnix(lfd, 20_000);
      const initFd = n.recvFd(initConn, 20_000);
      fs.closeSync(initConn);
      expect((await start).code).toBe(0);
      const exec = lab.cli(['exec', id, 'sh', '-c', 'rmdir /tmp; echo "rmdir=$?"; mkdir /tmp/from-exec; echo "mkdir=$?"']);
      const conn = n.acceptUnix(lfd, 20_000);
      const got = n.recvFd(conn, 20_000);
      fs.closeSync(conn);
      expect(JSON.parse(got.data)).toMatchObject({ fds: ['seccompFd'], state: { id, status: 'running' } });
      const answer = respond(got.fd, ['errno', '30']);
      fs.closeSync(got.fd);
      const [r, agent] = await Promise.all([exec, answer]);
      expect(r.stdout).toBe('rmdir=1\nmkdir=1\n');
      expect(r.stderr).toContain('Function not implemented');
      expect(r.stderr).toContain('Read-only file system');
      expect(agent.out).toMatch(/nr=83 /);
      fs.closeSync(initFd.fd);
    } finally {
      fs.closeSync(lfd);
      await lab.forceDelete(id);
    }
  });

  it('CONTINUE lets the kernel run the notified syscall', async () => {
    const n = native();
    const b0 = lab.bundle();
    const sock = path.join(b0.dir, 'agent.sock');
    const b = withSeccomp({ ...allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }), listenerPath: sock }, ['mkdir', '/tmp/continued']);
    const lfd = n.listenUnix(sock);
    try {
      const run = lab.run(b, lab.id('notify-continue'));
      const conn = n.acceptUnix(lfd, 20_000);
      const got = n.recvFd(conn, 20_000);
      fs.closeSync(conn);
      const answer = respond(got.fd, ['continue']);
      fs.closeSync(got.fd);
      const [r] = await Promise.all([run, answer]);
      expect(r.code).toBe(0);
      expect(fs.statSync(path.join(b.rootfs, 'tmp', 'continued')).isDirectory()).toBe(true);
    } finally {
      fs.closeSync(lfd);
    }
  });

  it('a listenerPath nobody listens on fails create, naming it, and leaves nothing behind', async () => {
    const b0 = lab.bundle();
    const sock = path.join(b0.dir, 'nobody.sock');
    const b = withSeccomp({ ...allowAllBut({ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }), listenerPath: sock }, ['true']);
    const id = lab.id('notify-none');
    const r = await lab.create(b, id);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`linux.seccomp.listenerPath: cannot reach the seccomp agent: connect ${sock}: no such file or directory`);
    expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
  });
});

describe('a malformed linux.seccomp fails create naming the JSON path, and leaves nothing behind', () => {
  const cases: { what: string; seccomp: Record<string, unknown>; path: string }[] = [
    {
      what: 'unknown action',
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_EXPLODE' }] },
      path: 'linux.seccomp.syscalls[0].action',
    },
    { what: 'unknown default action', seccomp: { defaultAction: 'SCMP_ACT_MAYBE' }, path: 'linux.seccomp.defaultAction' },
    {
      what: 'bad operator',
      seccomp: {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }, { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 9, op: 'SCMP_CMP_ABOUT' }] }],
      },
      path: 'linux.seccomp.syscalls[1].args[0].op',
    },
    {
      what: 'argument index out of range',
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 9, op: 'SCMP_CMP_EQ' }] }] },
      path: 'linux.seccomp.syscalls[0].args[0].index',
    },
    {
      what: 'unknown architecture',
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_PDP11'] },
      path: 'linux.seccomp.architectures[1]',
    },
    { what: 'unknown flag', seccomp: { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_FAST'] }, path: 'linux.seccomp.flags[0]' },
    {
      what: 'value above 2^64',
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2n ** 64n, op: 'SCMP_CMP_EQ' }] }] },
      path: 'linux.seccomp.syscalls[0].args[0].value',
    },
  ];
  for (const t of cases) {
    it(t.what, async () => {
      const b = lab.bundle((s) => {
        (s.linux as Record<string, unknown>).seccomp = t.seccomp;
      });
      const id = lab.id('bad-seccomp');
      const log = path.join(b.dir, 'log.json');
      const r = await lab.create(b, id, { global: ['--log', log, '--log-format', 'json'] });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const last = JSON.parse(fs.readFileSync(log, 'utf8').trim().split('\n').at(-1)!) as { level: string; msg: string };
      expect(last.level).toBe('error');
      expect(last.msg).toContain(t.path);
      expect(r.stderr).toContain(t.path);
      expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
      const st = await lab.cli(['state', id]);
      expect(st.code).toBe(1);
    });
  }
});
