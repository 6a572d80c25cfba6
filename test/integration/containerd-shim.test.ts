// containerd-shim-tsrun-v2 behind a private containerd (Debian's 1.6, its own
// root/state/sockets in a temp dir, nothing on TCP): `ctr run --runtime
// io.containerd.tsrun.v2` with a runtime config that puts tsrun's state in a
// temp root. The checks of containerd.test.ts (which drives tsrun through
// containerd-shim-runc-v2) hold here too; then what only a shared shim has:
// one shim for a namespace's containers, one per pod, and the cleanup after
// the shim is killed (by containerd's `delete`, or by the next shim).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCgroupDirs, procStatus, PROJECT_ROOT, sleep, tsrun, waitFor } from '../helpers';
import { encode } from '../../src/shim/proto/codec';
import { UpdateTaskRequest } from '../../src/shim/proto/messages';
import { TtrpcClient } from '../../src/shim/ttrpc/client';
import {
  buildBusyboxImage,
  containerProcesses,
  ensureContainerd,
  IMAGE_REF,
  mountsUnder,
  shq,
  SIZE_LOOP,
  startContainerd,
  taskStatus,
  underPty,
  waitTask,
  type PrivateContainerd,
} from './helpers/containerd';

const BIN = path.join(PROJECT_ROOT, 'bin');
const SHIM = path.join(BIN, 'containerd-shim-tsrun-v2');
const available = ensureContainerd();
if (!available.ok) console.warn(`\n*** containerd-shim.test.ts SKIPPED: ${available.reason} ***\n`);

const namespace = `tsrun-test-shim-${process.pid.toString(36)}`;
let cd: PrivateContainerd;
/** tsrun's state root for the shim's containers (the runtime config's "root") */
let stateRoot: string;
let runtimeConfig: string;
/** every shim socket seen, to check they are gone at the end */
const socketsSeen = new Set<string>();

const runtimeFlags = () => ['--runtime', 'io.containerd.tsrun.v2', '--runtime-config-path', runtimeConfig];
const nsRoot = () => path.join(stateRoot, namespace);



/** The launchers' keepers (the subreaper above each shim) of this containerd. */
function keepers(): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('containerd-shim-tsrun-v2') && argv.includes(cd.socket)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

/** The tsrun shims serving this containerd: pid -> their -socket. */
function tsrunShims(): Map<number, string> {
  const out = new Map<number, string>();
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (!argv.some((a) => a.endsWith('/dist/src/shim/entry.js')) || !argv.includes(cd.socket) || !argv.includes('daemon')) continue;
      const socket = argv[argv.indexOf('-socket') + 1]!;
      socketsSeen.add(socket);
      out.set(Number(p), socket);
    } catch {
      // gone
    }
  }
  return out;
}

const parentOf = (pid: number): number => Number(procStatus(pid)!['PPid']);

/** What the test's containers left behind: state dirs, processes, cgroups, mounts. */
function leftovers(ids?: string[]) {
  const state = fs.existsSync(nsRoot()) ? fs.readdirSync(nsRoot()).filter((d) => !d.startsWith('.')) : [];
  const mine = (s: string) => !ids || ids.some((id) => s.endsWith(`/${id}`) || s === id);
  return {
    state: state.filter(mine),
    processes: ids ? [] : containerProcesses(namespace),
    cgroups: findCgroupDirs(namespace).filter((d) => d.includes(`/${namespace}/`) && mine(d)),
    mounts: mountsUnder(cd.dir).filter((m) => m.endsWith('/rootfs') && mine(path.dirname(m))),
  };
}

const nothing = { state: [], processes: [], cgroups: [], mounts: [] };

async function removeAll(): Promise<void> {
  const tasks = (await cd.ctr(['task', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  for (const t of tasks) {
    await cd.ctr(['task', 'kill', '-a', '-s', 'SIGKILL', t]);
    await cd.ctr(['task', 'rm', '-f', t]);
  }
  for (const c of (await cd.ctr(['containers', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await cd.ctr(['containers', 'rm', c]);
}

describe.skipIf(!available.ok)('containerd-shim-tsrun-v2 (ctr run --runtime io.containerd.tsrun.v2)', () => {
  beforeAll(async () => {
    // containerd finds the shim on its PATH
    cd = await startContainerd(namespace, { env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? '/usr/bin:/bin'}` } });
    stateRoot = path.join(cd.dir, 'tsrun');
    runtimeConfig = path.join(cd.dir, 'tsrun-shim.json');
    // an idle shim exits at once (after the launcher's reservation)
    fs.writeFileSync(runtimeConfig, JSON.stringify({ root: stateRoot, shimIdleTimeout: 0 }));
    const image = buildBusyboxImage(cd.dir);
    const imp = await cd.ctr(['images', 'import', image]);
    expect(imp.code, imp.stderr).toBe(0);
    fs.rmSync(image);
  }, 180_000);

  afterAll(async () => {
    if (!cd) return;
    await removeAll();
    // the shims leave by themselves once idle
    const shimsGone = await waitFor('the shims to exit', () => tsrunShims().size === 0 && keepers().length === 0, 40_000).catch(() => false);
    const left = leftovers();
    const sockets = [...socketsSeen].filter((s) => fs.existsSync(s) || fs.existsSync(s.replace(/\.sock$/, '.tasks')));
    await cd.stop();
    for (const d of findCgroupDirs(namespace).reverse()) {
      try {
        fs.rmdirSync(d);
      } catch {
        // reported below
      }
    }
    expect({ shimsGone, left, sockets }).toEqual({ shimsGone: true, left: { ...nothing, mounts: [] }, sockets: [] });
    expect(findCgroupDirs(namespace)).toEqual([]);
    expect(fs.existsSync(cd.dir)).toBe(false);
  }, 120_000);

  it('ctr run --rm: the output, the exit code, the cgroup placement; nothing left afterwards', async () => {
    const r = await cd.ctr(['run', '--rm', ...runtimeFlags(), IMAGE_REF, 'rm1', 'sh', '-c', 'echo hello from tsrun; grep -c "/rm1$" /proc/self/cgroup; exit 3']);
    expect(r.code, r.stderr).toBe(3);
    const [hello, cgroupLines] = r.stdout.trim().split('\n');
    expect(hello).toBe('hello from tsrun');
    expect(Number(cgroupLines)).toBeGreaterThanOrEqual(2);
    expect((await cd.ctr(['containers', 'ls', '-q'])).stdout).not.toContain('rm1');
    expect(leftovers(['rm1'])).toEqual(nothing);
  });

  it('stdin reaches the container, and its end is the container\'s end of file', async () => {
    const r = await cd.ctr(['run', '--rm', ...runtimeFlags(), IMAGE_REF, 'in1', 'sh', '-c', 'wc -c; echo done'], { input: 'twelve bytes' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.trim())).toEqual(['12', 'done', '']);
  });

  it('file:// and binary:// log URIs: the output goes to the file, or to the logging binary', async () => {
    const file = path.join(cd.dir, 'log-file.txt');
    let r = await cd.ctr(['run', '--rm', ...runtimeFlags(), '--log-uri', `file://${file}`, IMAGE_REF, 'log1', 'sh', '-c', 'echo out; echo err >&2']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8').split('\n').sort()).toEqual(['', 'err', 'out']);
    // a logger as containerd starts them: fds 3 and 4 are the streams, closing fd 5 says ready
    const logger = path.join(cd.dir, 'logger.sh');
    const outDir = path.join(cd.dir, 'logged');
    fs.mkdirSync(outDir);
    fs.writeFileSync(logger, '#!/bin/sh\nexec 5>&-\necho "$CONTAINER_NAMESPACE/$CONTAINER_ID" > "$1/who"\n/bin/cat <&3 > "$1/out" & /bin/cat <&4 > "$1/err" & wait\ntouch "$1/done"\n', { mode: 0o755 });
    r = await cd.ctr(['run', '--rm', ...runtimeFlags(), '--log-uri', `binary://${logger}?${encodeURIComponent(outDir)}`, IMAGE_REF, 'log2', 'sh', '-c', 'echo out2; echo err2 >&2; exit 6']);
    expect(r.code, r.stderr).toBe(6);
    await waitFor('the logger to finish', () => fs.existsSync(path.join(outDir, 'done')));
    expect(['who', 'out', 'err'].map((f) => fs.readFileSync(path.join(outDir, f), 'utf8'))).toEqual([`${namespace}/log2\n`, 'out2\n', 'err2\n']);
  });

  it('a failing create reaches the user as "OCI runtime create failed: <tsrun\'s error>"', async () => {
    const r = await cd.ctr(['run', '--rm', ...runtimeFlags(), IMAGE_REF, 'bad1', 'no-such-program']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('OCI runtime create failed');
    expect(r.stderr).toContain('exec: "no-such-program": executable file not found in $PATH');
    await cd.ctr(['containers', 'rm', 'bad1']);
    expect(leftovers(['bad1'])).toEqual(nothing);
  });

  it('ctr run --rm -t: a real pty of the container devpts, sized like the client\'s', async () => {
    const ctrArgs = ['ctr', '-a', cd.socket, '-n', namespace, 'run', '--rm', '-t', ...runtimeFlags(), IMAGE_REF, 'tty1', 'sh', '-c', `tty; ${SIZE_LOOP}; exit 4`];
    const r = await underPty(`stty rows 33 cols 99; ${ctrArgs.map(shq).join(' ')}`);
    expect(r.code, r.out).toBe(4);
    const lines = r.out.split(/\r*\n/).map((l) => l.replace(/^\0/, ''));
    expect(lines).toContain('/dev/pts/0');
    expect(lines).toContain('size=33 99');
  });

  describe('a detached task', () => {
    let pid: number;

    it('runs detached, in the right cgroups, with the FIFOs as its stdio; tsrun state sees it', async () => {
      const r = await cd.ctr(['run', '-d', ...runtimeFlags(), IMAGE_REF, 'd1', 'sleep', '1000']);
      expect(r.code, r.stderr).toBe(0);
      ({ pid } = await waitTask(cd, 'd1', 'RUNNING'));
      const state = await tsrun(['--root', nsRoot(), 'state', 'd1']);
      expect(JSON.parse(state.stdout)).toMatchObject({ id: 'd1', pid, status: 'running' });
      const list = await tsrun(['--root', nsRoot(), 'list', '-q']);
      expect(list.stdout.split('\n')).toContain('d1');
      const cgroups = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
      for (const line of cgroups.filter((l) => !l.includes('name=systemd'))) expect(line).toMatch(new RegExp(`:/${namespace}/d1$`));
      // nothing of the shim's reached the container: 0-2 only, and they are the client's FIFOs
      expect(fs.readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['0', '1', '2']);
      for (const fd of ['0', '1', '2']) expect(fs.readlinkSync(`/proc/${pid}/fd/${fd}`)).toMatch(/^\/.*d1-std(in|out|err)$/);
      // the shim is its parent (the subreaper) and runs as one of this containerd's shims
      expect([...tsrunShims().keys()]).toContain(parentOf(pid));
    });

    it('ctr task exec: output and exit code', async () => {
      const r = await cd.ctr(['task', 'exec', '--exec-id', 'e1', 'd1', 'sh', '-c', 'echo exec-out; cat /proc/1/cmdline | tr "\\0" " "; exit 5']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stdout).toBe('exec-out\nsleep 1000 ');
    });

    it('ctr task exec -t: a real pty', async () => {
      const args = ['ctr', '-a', cd.socket, '-n', namespace, 'task', 'exec', '-t', '--exec-id', 'e2', 'd1', 'sh', '-c', `tty; ${SIZE_LOOP}; exit 9`];
      const r = await underPty(`stty rows 20 cols 70; ${args.map(shq).join(' ')}`);
      expect(r.code, r.out).toBe(9);
      const lines = r.out.split(/\r*\n/).map((l) => l.replace(/^\0/, ''));
      expect(lines.some((l) => /^\/dev\/pts\/\d+$/.test(l))).toBe(true);
      expect(lines).toContain('size=20 70');
    });

    it('ctr task exec of a missing program fails with tsrun\'s message', async () => {
      const r = await cd.ctr(['task', 'exec', '--exec-id', 'e3', 'd1', 'no-such-program']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('OCI runtime exec failed');
      expect(r.stderr).toContain('executable file not found in $PATH');
    });

    it('ctr task ps lists the init, and an exec with its exec id', async () => {
      const exec = spawn('ctr', ['-a', cd.socket, '-n', namespace, 'task', 'exec', '--exec-id', 'ps1', 'd1', 'sleep', '30'], { stdio: 'ignore' });
      try {
        const r = await waitFor('the exec in ctr task ps', async () => {
          const out = await cd.ctr(['task', 'ps', 'd1']);
          return out.stdout.includes('ps1') ? out : undefined;
        });
        expect(r.code, r.stderr).toBe(0);
        const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s+/));
        expect(rows.map((f) => f[0])).toContain(String(pid));
        expect(rows.find((f) => f[1]?.includes('ps1'))).toBeDefined();
      } finally {
        await cd.ctr(['task', 'kill', '--exec-id', 'ps1', '-s', 'SIGKILL', 'd1']);
        await new Promise((r) => exec.on('close', r));
      }
    });

    it('pause and resume show in ctr task ls', async () => {
      let r = await cd.ctr(['task', 'pause', 'd1']);
      expect(r.code, r.stderr).toBe(0);
      await waitTask(cd, 'd1', 'PAUSED');
      expect(JSON.parse((await tsrun(['--root', nsRoot(), 'state', 'd1'])).stdout).status).toBe('paused');
      r = await cd.ctr(['task', 'resume', 'd1']);
      expect(r.code, r.stderr).toBe(0);
      await waitTask(cd, 'd1', 'RUNNING');
    });

    it('ctr task metrics: containerd\'s cgroup metrics of the container', async () => {
      const r = await cd.ctr(['task', 'metrics', 'd1']);
      expect(r.code, r.stderr).toBe(0);
      const metrics = new Map(
        r.stdout
          .split('\n')
          .map((l) => l.trim().split(/\s{2,}/))
          .filter((f) => f.length >= 2)
          .map((f) => [f[0]!, f[1]!]),
      );
      expect(Number(metrics.get('pids.current'))).toBeGreaterThanOrEqual(1);
      const usage = metrics.get('memory.usage_in_bytes') ?? metrics.get('memory.usage');
      expect(Number(usage)).toBeGreaterThan(0);
    });

    it('Update (ctr 1.6 has no `task update`: called on the shim\'s socket) changes the cgroup limits', async () => {
      const socket = tsrunShims().get(parentOf(pid))!;
      const client = new TtrpcClient(socket);
      try {
        const resources = { memory: { limit: 64 * 1024 * 1024 } };
        const req = encode(UpdateTaskRequest, { id: 'd1', resources: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources', value: Buffer.from(JSON.stringify(resources)) } });
        await client.call('containerd.task.v2.Task', 'Update', req, { timeoutMs: 10_000 });
        // an unknown container answers NotFound
        const missing = encode(UpdateTaskRequest, { id: 'nope', resources: { typeUrl: 'x', value: Buffer.from('{}') } });
        await expect(client.call('containerd.task.v2.Task', 'Update', missing, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 5 });
      } finally {
        client.close();
      }
      const state = JSON.parse(fs.readFileSync(path.join(nsRoot(), 'd1', 'state.json'), 'utf8')) as { cgroup: { resources: { memory?: { limit?: number } } } };
      expect(state.cgroup.resources.memory?.limit).toBe(64 * 1024 * 1024);
    });

    it('kill and delete', async () => {
      let r = await cd.ctr(['task', 'kill', '-s', 'SIGKILL', 'd1']);
      expect(r.code, r.stderr).toBe(0);
      await waitTask(cd, 'd1', 'STOPPED');
      r = await cd.ctr(['task', 'rm', 'd1']);
      expect(r.code, r.stderr).toBe(0);
      r = await cd.ctr(['containers', 'rm', 'd1']);
      expect(r.code, r.stderr).toBe(0);
      expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
      expect(leftovers(['d1'])).toEqual(nothing);
    });
  });

  it('an init that ignores SIGTERM survives kill and is stopped by kill -a SIGKILL', async () => {
    let r = await cd.ctr(['run', '-d', ...runtimeFlags(), IMAGE_REF, 'term1', 'sh', '-c', 'trap "" TERM; while :; do sleep 1; done']);
    expect(r.code, r.stderr).toBe(0);
    const { pid } = await waitTask(cd, 'term1', 'RUNNING');
    r = await cd.ctr(['task', 'kill', 'term1']); // SIGTERM
    expect(r.code, r.stderr).toBe(0);
    await sleep(1000);
    expect(taskStatus((await cd.ctr(['task', 'ls'])).stdout, 'term1')?.status).toBe('RUNNING');
    r = await cd.ctr(['task', 'kill', '-a', '-s', 'SIGKILL', 'term1']);
    expect(r.code, r.stderr).toBe(0);
    await waitTask(cd, 'term1', 'STOPPED');
    r = await cd.ctr(['task', 'rm', 'term1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/exit code 137|^$/);
    expect((await cd.ctr(['containers', 'rm', 'term1'])).code).toBe(0);
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    expect(leftovers(['term1'])).toEqual(nothing);
  });

  it('publishes the task events containerd expects, an OOM kill included', async () => {
    const events = spawn('ctr', ['-a', cd.socket, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    events.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // subscribed once an event of our own comes through (no fixed wait: loaded machines are slow)
      const probeNs = `${namespace}-probe`;
      await waitFor('ctr events to be subscribed', async () => {
        await cd.ctr(['namespaces', 'create', probeNs]);
        await cd.ctr(['namespaces', 'remove', probeNs]);
        return out.includes(probeNs);
      }, 30_000);
      let r = await cd.ctr(['run', '-d', ...runtimeFlags(), IMAGE_REF, 'ev1', 'sleep', '1000']);
      expect(r.code, r.stderr).toBe(0);
      await waitTask(cd, 'ev1', 'RUNNING');
      r = await cd.ctr(['task', 'exec', '--exec-id', 'evx', 'ev1', 'true']);
      expect(r.code, r.stderr).toBe(0);
      expect((await cd.ctr(['task', 'pause', 'ev1'])).code).toBe(0);
      expect((await cd.ctr(['task', 'resume', 'ev1'])).code).toBe(0);
      expect((await cd.ctr(['task', 'kill', '-s', 'SIGKILL', 'ev1'])).code).toBe(0);
      await waitTask(cd, 'ev1', 'STOPPED');
      expect((await cd.ctr(['task', 'rm', 'ev1'])).code).toBe(0);
      expect((await cd.ctr(['containers', 'rm', 'ev1'])).code).toBe(0);
      // 16 MiB, and a process that wants 64: the kernel's OOM killer ends it
      r = await cd.ctr(['run', '--rm', ...runtimeFlags(), '--memory-limit', String(16 << 20), IMAGE_REF, 'oom1', 'sh', '-c', 'head -c 67108864 /dev/zero | tail']);
      expect(r.code).toBe(137);
      const topics = (id: string) =>
        out
          .split('\n')
          .filter((l) => l.includes(` ${namespace} `) && l.includes(`"${id}"`))
          .map((l) => / (\/tasks\/[a-z-]+) /.exec(l)?.[1])
          .filter((t) => t !== undefined);
      await waitFor('the events', () => topics('oom1').includes('/tasks/delete'), 30_000);
      expect(topics('ev1')).toEqual([
        '/tasks/create',
        '/tasks/start',
        '/tasks/exec-added',
        '/tasks/exec-started',
        '/tasks/exit',
        '/tasks/paused',
        '/tasks/resumed',
        '/tasks/exit',
        '/tasks/delete',
      ]);
      // the OOM is reported before the exit it caused; the kernel may OOM-kill more than one of
      // the pipeline's processes, and each kill is one TaskOOM (as containerd-shim-runc-v2 does)
      const seq = topics('oom1');
      const ooms = seq.filter((t) => t === '/tasks/oom').length;
      expect(ooms).toBeGreaterThanOrEqual(1);
      expect(seq).toEqual(['/tasks/create', '/tasks/start', ...Array(ooms).fill('/tasks/oom'), '/tasks/exit', '/tasks/delete']);
    } finally {
      events.kill();
    }
  });

  it('10 containers started at once in one namespace share one shim process', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `many${i}`);
    const runs = await Promise.all(ids.map((id) => cd.ctr(['run', '-d', ...runtimeFlags(), IMAGE_REF, id, 'sleep', '1000'])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const pids = await Promise.all(ids.map(async (id) => (await waitTask(cd, id, 'RUNNING')).pid));
    const parents = new Set(pids.map(parentOf));
    expect(parents.size).toBe(1);
    const shims = tsrunShims();
    expect(shims.size).toBe(1);
    expect(shims.has([...parents][0]!)).toBe(true);
    await removeAll();
    expect(leftovers(ids)).toEqual(nothing);
  }, 120_000);

  it('one shim per pod: containers of one sandbox share it, another sandbox gets its own', async () => {
    const pod = (id: string, sandbox: string) => cd.ctr(['run', '-d', ...runtimeFlags(), '--annotation', `io.kubernetes.cri.sandbox-id=${sandbox}`, IMAGE_REF, id, 'sleep', '1000']);
    for (const [id, sandbox] of [['poda1', 'sandbox-a'], ['poda2', 'sandbox-a'], ['podb1', 'sandbox-b']] as const) {
      const r = await pod(id, sandbox);
      expect(r.code, r.stderr).toBe(0);
    }
    const [a1, a2, b1] = await Promise.all(['poda1', 'poda2', 'podb1'].map(async (id) => parentOf((await waitTask(cd, id, 'RUNNING')).pid)));
    expect(a1).toBe(a2);
    expect(b1).not.toBe(a1);
    expect(tsrunShims().has(a1!) && tsrunShims().has(b1!)).toBe(true);
    await removeAll();
  }, 120_000);

  it('kill -9 of the shim while containers run: ctr task ls and containerd\'s cleanup leave nothing', async () => {
    const ids = ['crash1', 'crash2', 'crash3'];
    for (const id of ids) expect((await cd.ctr(['run', '-d', ...runtimeFlags(), IMAGE_REF, id, 'sleep', '1000'])).code).toBe(0);
    const pids = await Promise.all(ids.map(async (id) => (await waitTask(cd, id, 'RUNNING')).pid));
    const shim = parentOf(pids[0]!);
    expect(tsrunShims().has(shim)).toBe(true);
    process.kill(shim, 'SIGKILL');
    // containerd sees the shim's connections close, runs our `delete` for each task
    await waitFor('the tasks to go', async () => (await cd.ctr(['task', 'ls', '-q'])).stdout.trim() === '', 30_000);
    await waitFor('the cleanup', () => JSON.stringify(leftovers(ids)) === JSON.stringify(nothing) && pids.every((p) => !fs.existsSync(`/proc/${p}`)), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(leftovers(ids))}\ncontainerd's log:\n${cd.log().split('\n').filter((l) => /shim|clean|delete/.test(l)).slice(-30).join('\n')}`);
    });
    for (const id of ids) await cd.ctr(['containers', 'rm', id]);
    // and the group gets a new shim
    const r = await cd.ctr(['run', '--rm', ...runtimeFlags(), IMAGE_REF, 'after1', 'echo', 'after']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('after\n');
  }, 120_000);

  it('a shim started after one died cleans up what it held when containerd could not', async () => {
    const ids = ['orphan1', 'orphan2'];
    for (const id of ids) expect((await cd.ctr(['run', '-d', ...runtimeFlags(), IMAGE_REF, id, 'sleep', '1000'])).code).toBe(0);
    const pids = await Promise.all(ids.map(async (id) => (await waitTask(cd, id, 'RUNNING')).pid));
    const shim = parentOf(pids[0]!);
    const bundle = path.join(cd.state, 'io.containerd.runtime.v2.task', namespace, 'orphan1');
    // containerd is stopped: nobody runs `delete` when the shim dies
    process.kill(cd.pid, 'SIGSTOP');
    try {
      process.kill(shim, 'SIGKILL');
      await waitFor('the shim to die', () => !fs.existsSync(`/proc/${shim}`));
      // what containerd would run for the group's next container: a new shim starts
      const start = spawnSync(SHIM, ['-namespace', namespace, '-address', cd.socket, '-publish-binary', 'containerd', '-id', 'next1', 'start'], {
        cwd: bundle,
        env: { ...process.env, TTRPC_ADDRESS: `${cd.socket}.ttrpc` },
        encoding: 'utf8',
        input: '',
      });
      expect(start.status, start.stderr).toBe(0);
      expect(start.stdout).toMatch(/^unix:\/\/\/run\/containerd\/tsrun-shim\/[0-9a-f]{64}\.sock$/);
      await waitFor('the new shim to clean up', () => JSON.stringify(leftovers(ids)) === JSON.stringify(nothing) && pids.every((p) => !fs.existsSync(`/proc/${p}`)), 30_000);
    } finally {
      process.kill(cd.pid, 'SIGCONT');
    }
    await waitFor('containerd to drop the tasks', async () => (await cd.ctr(['task', 'ls', '-q'])).stdout.trim() === '', 30_000);
    for (const id of ids) await cd.ctr(['containers', 'rm', id]);
  }, 120_000);
});
