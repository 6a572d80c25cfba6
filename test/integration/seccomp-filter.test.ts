// Real-kernel seccomp tests: profiles compiled by buildSeccompPlan (libseccomp
// through the addon), installed by tsrun's own loader (seccomp_load.c linked
// into a C harness) and exercised by busybox and small C probes.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { defaultSeccompProfile } from '../../src/seccomp/default-profile';
import { containerProcessStateJson } from '../../src/seccomp/listener';
import { SECCOMP_FILTER_FLAG } from '../../src/native/linux-constants';
import { buildSeccompPlan } from '../../src/seccomp/plan';
import type { Int64, Seccomp as LinuxSeccomp, SeccompArg, SyscallRule as SeccompSyscall } from '../../oci-spec/runtime';
import { buildCHelpers, type CHelpers } from './helpers/cbuild';
import { testTempDir } from '../helpers/ids';

const BUSYBOX = '/bin/busybox';
const EDQUOT_TEXT = 'Disk quota exceeded';
const isRoot = process.getuid?.() === 0;

let c: CHelpers;
let work: string;
let seq = 0;

beforeAll(() => {
  if (!fs.existsSync(BUSYBOX)) throw new Error('these tests need /bin/busybox (apt-get install busybox-static)');
  c = buildCHelpers();
  work = testTempDir('seccomp-work');
});

afterAll(() => {
  c?.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Compiled {
  file: string;
  flags: number;
  listenerPath?: string;
  listenerMetadata?: string;
}

function compile(profile: LinuxSeccomp): Compiled {
  const { plan, warnings } = buildSeccompPlan(profile);
  expect(warnings).toEqual([]);
  if (!plan) throw new Error('no plan');
  const file = path.join(work, `filter-${++seq}.bpf`);
  fs.writeFileSync(file, plan.filter);
  return { file, flags: plan.flags, listenerPath: plan.listenerPath, listenerMetadata: plan.listenerMetadata };
}

function harnessArgs(f: Compiled, argv: string[], opts: { nnp?: boolean; pre?: string[] } = {}): string[] {
  return [...(opts.pre ?? []), ...(opts.nnp === false ? ['-N'] : []), f.file, String(f.flags), '--', ...argv];
}

function run(profile: LinuxSeccomp, argv: string[], opts: { nnp?: boolean } = {}): SpawnSyncReturns<string> {
  const f = compile(profile);
  return spawnSync(c.harness, harnessArgs(f, argv, opts), { encoding: 'utf8', timeout: 30_000, cwd: work });
}

function sh(profile: LinuxSeccomp, script: string): SpawnSyncReturns<string> {
  return run(profile, [BUSYBOX, 'sh', '-c', script]);
}

function fresh(name: string): string {
  return path.join(work, `${name}-${++seq}`);
}

const allowAllBut = (...syscalls: SeccompSyscall[]): LinuxSeccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls,
});

describe('actions', () => {
  it('an allowed syscall works while a denied one fails with the configured errno', () => {
    const dir = fresh('d');
    const file = fresh('f');
    const r = sh(
      allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }),
      `${BUSYBOX} touch ${file} && echo touched; ${BUSYBOX} mkdir ${dir}; echo "mkdir=$?"`,
    );
    expect(r.stdout).toContain('touched');
    expect(r.stdout).toContain('mkdir=1');
    expect(r.stderr).toContain('Function not implemented');
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('SCMP_ACT_ERRNO without errnoRet returns EPERM', () => {
    const dir = fresh('d');
    const r = run(allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }), [BUSYBOX, 'mkdir', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Operation not permitted');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it.each(['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP'] as const)(
    '%s ends the process with SIGSYS',
    (action) => {
      const dir = fresh('d');
      const r = run(allowAllBut({ names: ['mkdir', 'mkdirat'], action }), [BUSYBOX, 'mkdir', dir]);
      expect(r.signal).toBe('SIGSYS');
      expect(fs.existsSync(dir)).toBe(false);
    },
  );

  it('SCMP_ACT_LOG lets the call through', () => {
    const dir = fresh('d');
    const r = run(allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_LOG' }), [BUSYBOX, 'mkdir', dir]);
    expect(r.status).toBe(0);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });

  it('SCMP_ACT_TRACE without a tracer fails the call with ENOSYS', () => {
    const dir = fresh('d');
    const r = run(allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_TRACE', errnoRet: 7 }), [
      BUSYBOX,
      'mkdir',
      dir,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Function not implemented');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('the filter is in force after execve (Seccomp: 2 in /proc/self/status)', () => {
    const r = run(allowAllBut({ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }), [BUSYBOX, 'cat', '/proc/self/status']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
  });

  it.skipIf(!isRoot)('loads without no_new_privs while CAP_SYS_ADMIN is held', () => {
    const dir = fresh('d');
    const r = run(allowAllBut({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }), [BUSYBOX, 'mkdir', dir], {
      nnp: false,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Function not implemented');
  });
});

describe('argument filters', () => {
  // ftruncate(fd, length): length is a full 64-bit argument busybox takes from argv
  const blockTruncate = (...args: SeccompArg[]): LinuxSeccomp =>
    allowAllBut({ names: ['ftruncate'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 /* EDQUOT */, args });

  /** Which sizes `truncate -s` is refused with EDQUOT (the rule's errno) under the profile. */
  function blocked(profile: LinuxSeccomp, sizes: Array<bigint | number>, pre = ''): Map<string, boolean> {
    const file = fresh('t');
    const script =
      `${pre}for s in ${sizes.join(' ')}; do ` +
      `if ${BUSYBOX} truncate -s $s ${file} 2>${file}.err; then echo "$s ok"; else echo "$s $(${BUSYBOX} cat ${file}.err)"; fi; ` +
      `done`;
    const r = sh(profile, script);
    expect(r.status).toBe(0);
    const out = new Map<string, boolean>();
    for (const line of r.stdout.trim().split('\n')) {
      const [size, ...rest] = line.split(' ');
      out.set(size, rest.join(' ').includes(EDQUOT_TEXT));
    }
    expect([...out.keys()]).toEqual(sizes.map(String));
    return out;
  }

  it('EQ compares all 64 bits, not just the low word', () => {
    const v = 5_000_000_000; // 0x1_2A05_F200
    const res = blocked(blockTruncate({ index: 1, value: v, op: 'SCMP_CMP_EQ' }), [v, v & 0xffffffff, v + 1, v - 1]);
    expect(res.get(String(v))).toBe(true);
    expect(res.get(String(v & 0xffffffff))).toBe(false);
    expect(res.get(String(v + 1))).toBe(false);
    expect(res.get(String(v - 1))).toBe(false);
  });

  const V = 4_294_967_296; // 2^32: the comparison must cross the word boundary
  it.each([
    ['SCMP_CMP_NE', [true, false, true]],
    ['SCMP_CMP_LT', [true, false, false]],
    ['SCMP_CMP_LE', [true, true, false]],
    ['SCMP_CMP_GE', [false, true, true]],
    ['SCMP_CMP_GT', [false, false, true]],
  ] as const)('%s against 2^32 matches exactly the expected sizes', (op, expected) => {
    const sizes = [V - 1, V, V + 1];
    const res = blocked(blockTruncate({ index: 1, value: V, op }), sizes);
    expect(sizes.map((s) => res.get(String(s)))).toEqual(expected);
  });

  it('MASKED_EQ tests (arg & value) == valueTwo, high bits included', () => {
    const mask = 0xf_0000_0000; // bits 32..35
    const want = 0x3_0000_0000;
    const sizes = [want + 5, 0x2_0000_0005, 0x13_0000_0000, 0x7_0000_0000];
    const res = blocked(blockTruncate({ index: 1, value: mask, valueTwo: want, op: 'SCMP_CMP_MASKED_EQ' }), sizes);
    expect(sizes.map((s) => res.get(String(s)))).toEqual([true, false, true, false]);
  });

  it('values above 2^53 are exact when given as bigint or as a decimal string', () => {
    const v = (1n << 60n) + 1n;
    for (const value of [v, v.toString()]) {
      // a decimal string, as parsers that keep exact digits as text hand over
      const res = blocked(blockTruncate({ index: 1, value: value as Int64, op: 'SCMP_CMP_EQ' }), [v, v - 1n]);
      expect(res.get(v.toString())).toBe(true);
      // one below differs only in bit 0: the kernel's own answer, not the rule's errno
      expect(res.get((v - 1n).toString())).toBe(false);
    }
  });

  it('several conditions on one argument match if any holds (runc splits them)', () => {
    const res = blocked(
      blockTruncate({ index: 1, value: 1000, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2000, op: 'SCMP_CMP_EQ' }),
      [1000, 2000, 3000],
    );
    expect([res.get('1000'), res.get('2000'), res.get('3000')]).toEqual([true, true, false]);
  });

  it('conditions on different arguments must all hold', () => {
    // busybox truncate opens the file as fd 3, or 4 when the shell already holds 3
    const profile = blockTruncate({ index: 0, value: 3, op: 'SCMP_CMP_EQ' }, { index: 1, value: 1000, op: 'SCMP_CMP_EQ' });
    expect(blocked(profile, [1000, 2000]).get('1000')).toBe(true);
    expect(blocked(profile, [1000], 'exec 3</dev/null; ').get('1000')).toBe(false);
  });
});

describe('default profile', () => {
  const profile = () => defaultSeccompProfile();

  function probe(p: LinuxSeccomp): Record<string, string> {
    const r = run(p, [c.nsprobe]);
    expect(r.status).toBe(0);
    return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  }

  it('runs a busybox shell session', () => {
    const dir = fresh('d');
    const r = sh(
      profile(),
      [
        'echo hello',
        `${BUSYBOX} mkdir ${dir} && ${BUSYBOX} touch ${dir}/f && ${BUSYBOX} ls ${dir}`,
        `echo data | ${BUSYBOX} tee ${dir}/g >/dev/null && ${BUSYBOX} cat ${dir}/g`,
        `${BUSYBOX} linux32 ${BUSYBOX} true && echo linux32-ok`,
        `${BUSYBOX} sleep 0.01 & wait && echo waited`,
        `${BUSYBOX} grep Seccomp: /proc/self/status`,
      ].join('; '),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual(
      expect.arrayContaining(['hello', 'f', 'data', 'linux32-ok', 'waited', expect.stringMatching(/^Seccomp:\s+2$/)]),
    );
  });

  it('blocks mount and umount with EPERM (run in a private mount namespace, in case it did not)', () => {
    const target = fresh('mnt');
    fs.mkdirSync(target);
    const f = compile(profile());
    const inPrivateNs = (argv: string[]) =>
      spawnSync('unshare', ['-m', '--propagation', 'private', c.harness, ...harnessArgs(f, argv)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
    const bb = inPrivateNs([BUSYBOX, 'mount', '-t', 'tmpfs', 'none', target]);
    expect(bb.status).not.toBe(0);
    expect(bb.stderr).toContain('permission denied'); // busybox's words for EPERM
    const raw = inPrivateNs([c.nsprobe, target]);
    expect(raw.stdout).toMatch(/^mount EPERM$/m);
    expect(raw.stdout).toMatch(/^umount2 EPERM$/m);
  });

  it('blocks unshare -U with EPERM', () => {
    const r = run(profile(), [BUSYBOX, 'unshare', '-U', BUSYBOX, 'true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Operation not permitted');
  });

  it('answers the raw probes as documented', () => {
    expect(probe(profile())).toEqual({
      clone: 'ok',
      clone_newuser: 'EPERM',
      clone_newns: 'EPERM',
      clone3: 'ENOSYS',
      unshare_newuser: 'EPERM',
      personality_linux32: 'ok',
      personality_query: 'ok',
      personality_no_randomize: 'ENOSYS',
      keyctl: 'EPERM',
      bpf: 'EPERM',
      socket_inet: 'ok',
      socket_alg: 'EAFNOSUPPORT',
      socket_vsock: 'EAFNOSUPPORT',
      io_uring_setup: 'ENOSYS',
      getrandom: 'ok',
      raw_1000: 'ENOSYS',
    });
  });

  it('refuses the AF_ALG and AF_VSOCK socket families only', () => {
    // this kernel may lack AF_ALG (EAFNOSUPPORT either way): give the rules an errno of their own
    const p = profile();
    for (const r of p.syscalls ?? []) if (r.names[0] === 'socket' && r.action === 'SCMP_ACT_ERRNO') r.errnoRet = 122;
    const res = probe(p);
    expect([res.socket_inet, res.socket_alg, res.socket_vsock]).toEqual(['ok', 'EDQUOT', 'EDQUOT']);
  });

  it('with an EPERM default, syscalls newer than the profile still get ENOSYS (runc stub)', () => {
    const p = { ...profile(), defaultErrnoRet: 1 };
    const res = probe(p);
    expect(res.io_uring_setup).toBe('EPERM'); // not listed, but older than the newest listed syscall
    expect(res.raw_1000).toBe('ENOSYS'); // beyond every listed syscall
    expect(res.clone3).toBe('ENOSYS'); // listed explicitly
  });
});

describe('user notification (SCMP_ACT_NOTIFY)', () => {
  interface NotifyResult {
    status: number | null;
    stderr: string;
    responder: string;
    responderStatus: number | null;
    harnessPid: number;
    data: string;
    fdTarget: string;
    state: string;
  }

  function waitExit(p: ReturnType<typeof spawn>): Promise<number | null> {
    return new Promise((resolve) => p.on('close', (code) => resolve(code)));
  }

  async function notifyRun(opts: {
    direct?: boolean;
    extra?: LinuxSeccomp['syscalls'];
    respond: string[];
    argv: string[];
  }): Promise<NotifyResult> {
    const n = native();
    const sock = fresh('agent.sock');
    const lfd = n.listenUnix(sock);
    try {
      const f = compile({
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: sock,
        listenerMetadata: 'MKDIR=1',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }, ...(opts.extra ?? [])],
      });
      expect(f.flags & SECCOMP_FILTER_FLAG.NEW_LISTENER).toBeTruthy();
      expect(f.listenerPath).toBe(sock);
      const state = containerProcessStateJson({
        ociVersion: '1.3.0',
        pid: 4242,
        metadata: f.listenerMetadata,
        state: { ociVersion: '1.3.0', id: 'tsrun-test', status: 'creating', pid: 4242, bundle: work },
      });
      const stateFile = fresh('state.json');
      fs.writeFileSync(stateFile, state);

      const pre = ['-l', sock, '-s', stateFile, ...(opts.direct ? ['-d'] : [])];
      const harness = spawn(c.harness, harnessArgs(f, opts.argv, { pre }), { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      harness.stderr!.on('data', (d) => (stderr += d));
      const harnessExit = waitExit(harness);

      let conn: number;
      try {
        conn = n.acceptUnix(lfd, 10_000);
      } catch (e) {
        await harnessExit;
        throw new Error(`no connection from the harness: ${stderr}`, { cause: e });
      }
      let got: { fd: number; data: string };
      try {
        got = n.recvFd(conn, 10_000);
      } catch (e) {
        const status = await harnessExit;
        return { status, stderr, responder: '', responderStatus: null, harnessPid: harness.pid!, data: '', fdTarget: '', state };
      } finally {
        fs.closeSync(conn);
      }
      const fdTarget = fs.readlinkSync(`/proc/self/fd/${got.fd}`);
      const responder = spawn(c.responder, opts.respond, { stdio: ['ignore', 'pipe', 'pipe', got.fd] });
      fs.closeSync(got.fd);
      let out = '';
      responder.stdout!.on('data', (d) => (out += d));
      const [status, responderStatus] = await Promise.all([harnessExit, waitExit(responder)]);
      return { status, stderr, responder: out, responderStatus, harnessPid: harness.pid!, data: got.data, fdTarget, state };
    } finally {
      fs.closeSync(lfd);
    }
  }

  it('the agent receives the state and the listener fd, and its errno answers the syscall', async () => {
    const dir = fresh('d');
    const r = await notifyRun({ respond: ['errno', '30'], argv: [BUSYBOX, 'mkdir', dir] });
    expect(JSON.parse(r.data)).toEqual(JSON.parse(r.state));
    expect(JSON.parse(r.data)).toMatchObject({ fds: ['seccompFd'], metadata: 'MKDIR=1' });
    expect(r.fdTarget).toBe('anon_inode:seccomp notify');
    expect(r.responder).toContain(`nr=83 pid=${r.harnessPid}`); // __NR_mkdir on x86_64, from busybox itself
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Read-only file system');
    expect(r.responderStatus).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('a faked success is what the process sees (the kernel never ran mkdir)', async () => {
    const dir = fresh('d');
    const r = await notifyRun({ respond: ['value', '0'], argv: [BUSYBOX, 'mkdir', dir] });
    expect(r.status).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('CONTINUE lets the kernel run it', async () => {
    const dir = fresh('d');
    const r = await notifyRun({ respond: ['continue'], argv: [BUSYBOX, 'mkdir', dir] });
    expect(r.status).toBe(0);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });

  it('the direct send after install works when the profile allows sendmsg', async () => {
    const dir = fresh('d');
    const r = await notifyRun({ direct: true, respond: ['errno', '30'], argv: [BUSYBOX, 'mkdir', dir] });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Read-only file system');
  });

  const denySend: SeccompSyscall[] = [{ names: ['sendmsg', 'sendto'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }];

  it('the helper hand-off still delivers the fd when the profile denies sendmsg', async () => {
    const dir = fresh('d');
    const r = await notifyRun({ extra: denySend, respond: ['errno', '30'], argv: [BUSYBOX, 'mkdir', dir] });
    expect(r.fdTarget).toBe('anon_inode:seccomp notify');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Read-only file system');
  });

  it('while a direct send under such a profile fails (why the helper exists)', async () => {
    const r = await notifyRun({ direct: true, extra: denySend, respond: ['continue'], argv: [BUSYBOX, 'true'] });
    expect(r.status).toBe(125);
    expect(r.stderr).toContain('harness: send listener: Operation not permitted');
    expect(r.data).toBe('');
  });
});
