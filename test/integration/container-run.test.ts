// `tsrun container` on the real kernel: images built here, loaded from an OCI
// layout into the test's own image root, run on an overlayfs rootfs mounted
// inside the container's mount namespace; volumes, users, env and limits;
// the states of `container ls -a`; and nothing left behind.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCgroupDirs, makeRootfs, makeTestRoot, testTempDir, tsrunSpawn, type TestRoot } from '../helpers';
import { imageCli, type ImageCli } from './helpers/images';
import { buildImage, tarDir, writeLayout } from './helpers/oci-image';

let dir: string;
let root: TestRoot;
let cli: ImageCli;
let busyboxLayer: Buffer;

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * tsrun container/volume with the test's --root and image root. run and create
 * get --network none unless the test names one: the default network (bridge)
 * would put a bridge and iptables rules into this machine's namespace; the
 * networks are tested inside a namespace of their own (network-run.test.ts).
 */
function c(args: string[], opts: { input?: string; timeout?: number } = {}) {
  const creates = args[0] === 'container' && (args[1] === 'run' || args[1] === 'create') && !args.some((a) => a === '--network' || a.startsWith('--network='));
  const argv = creates ? [...args.slice(0, 2), '--network', 'none', ...args.slice(2)] : args;
  return cli.run(['--root', root.root, ...argv], { timeout: opts.timeout ?? 60_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
}

async function ok(args: string[]): Promise<string> {
  const r = await c(args);
  if (r.code !== 0) throw new Error(`tsrun ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Build an image from layer trees and load it under `name` (OCI layout tar through image load). */
async function loadImage(name: string, layers: Buffer[], runConfig?: Record<string, unknown>): Promise<void> {
  const img = buildImage(layers, { runConfig: runConfig ?? { Env: [PATH_ENV], Cmd: ['sh'] } });
  const layout = path.join(dir, `layout-${name.replace(/[^a-z0-9]/g, '-')}`);
  writeLayout(layout, [{ tag: name, descriptor: img.descriptor }], img.blobs);
  const tarFile = `${layout}.tar`;
  execFileSync('tar', ['-C', layout, '-cf', tarFile, '.']);
  await ok(['image', 'load', '-q', '-i', tarFile]);
}

function layerOf(files: Record<string, string>): Buffer {
  const d = fs.mkdtempSync(path.join(dir, 'layer-'));
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, p)), { recursive: true });
    fs.writeFileSync(path.join(d, p), text);
  }
  return tarDir(d);
}

function containerDirs(): string[] {
  const d = path.join(cli.root, 'containers');
  return fs.existsSync(d) ? fs.readdirSync(d) : [];
}

/** overlayfs mounts under the image root in this (the host's) mount namespace; a network namespace pin (nsfs) is not one */
function overlayMounts(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(cli.root) && / - overlay /.test(l));
}

beforeAll(async () => {
  dir = testTempDir('ctr-run');
  root = makeTestRoot('ctr-run');
  cli = imageCli(path.join(dir, 'cli'));
  cli.setConfig({});
  const rootfs = path.join(dir, 'busybox-rootfs');
  makeRootfs(rootfs);
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n');
  fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nextra:x:2000:app\n');
  fs.mkdirSync(path.join(rootfs, 'data'));
  fs.writeFileSync(path.join(rootfs, 'data/seed'), 'from the image\n');
  busyboxLayer = tarDir(rootfs);
  await loadImage('busybox:test', [busyboxLayer]);
}, 120_000);

afterAll(async () => {
  if (cli) {
    const ids = (await c(['container', 'ls', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await c(['container', 'rm', '-f', '-v', ...ids]);
  }
  root?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('container run', () => {
  it('run --rm echo hi prints hi and leaves nothing: no container, upper dir, mount or cgroup', async () => {
    const r = await c(['container', 'run', '--rm', 'busybox:test', 'echo', 'hi']);
    expect(r.stderr).not.toMatch(/level=error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hi\n');
    expect(containerDirs()).toEqual([]);
    expect(fs.readdirSync(path.join(cli.root, 'in-use'))).toEqual([]);
    expect(overlayMounts()).toEqual([]);
    expect((await c(['list', '-q'])).stdout).toBe('');
  });

  it('exits with the container status and ls -a shows it exited with that code', async () => {
    const r = await c(['container', 'run', '--name', 'exit7', 'busybox:test', 'sh', '-c', 'exit 7']);
    expect(r.code).toBe(7);
    const ls = (await ok(['container', 'ls', '-a', '--format', 'json'])).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Names: string; State: string; Status: string; ExitCode: number });
    const row = ls.find((x) => x.Names === 'exit7');
    expect(row?.State).toBe('exited');
    expect(row?.Status).toMatch(/^Exited \(7\) /);
    const id = JSON.parse(await ok(['container', 'inspect', 'exit7']))[0].Id as string;
    expect(findCgroupDirs(id)).toEqual([]);
    await ok(['container', 'rm', id.slice(0, 10)]);
    expect(containerDirs()).not.toContain(id);
    const again = await c(['container', 'rm', 'exit7']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/No such container: exit7/);
  });

  it('two containers share the layers, do not see each other\'s writes, and rm removes only its own upper dir', async () => {
    await ok(['container', 'run', '--name', 'w1', 'busybox:test', 'sh', '-c', 'echo one > /written; ls /']);
    await ok(['container', 'run', '--name', 'w2', 'busybox:test', 'sh', '-c', 'test ! -e /written && echo two > /written2']);
    const inspect = async (n: string) => JSON.parse(await ok(['container', 'inspect', n]))[0] as { Id: string; GraphDriver: { Data: { UpperDir: string } }; Tsrun: { Spec: { annotations: Record<string, string> } } };
    const a = await inspect('w1');
    const b = await inspect('w2');
    expect(fs.readFileSync(path.join(a.GraphDriver.Data.UpperDir, 'written'), 'utf8')).toBe('one\n');
    expect(fs.existsSync(path.join(b.GraphDriver.Data.UpperDir, 'written'))).toBe(false);
    expect(fs.readFileSync(path.join(b.GraphDriver.Data.UpperDir, 'written2'), 'utf8')).toBe('two\n');
    // each names the layers through links of its own (containers/<id>/lower/<n>) to the same trees
    const lowerA = (JSON.parse(a.Tsrun.Spec.annotations['org.tsrun.rootfs.overlay'] as string).lowerDirs as string[]).map((l) => fs.realpathSync(l));
    const lowerB = (JSON.parse(b.Tsrun.Spec.annotations['org.tsrun.rootfs.overlay'] as string).lowerDirs as string[]).map((l) => fs.realpathSync(l));
    expect(lowerA).toEqual(lowerB);
    expect(lowerA[0]).toMatch(new RegExp(`^${cli.root}/`));
    expect(fs.statSync(path.join(lowerA[0] as string, 'bin/busybox')).ino).toBe(fs.statSync(path.join(lowerB[0] as string, 'bin/busybox')).ino);
    expect(overlayMounts()).toEqual([]);
    await ok(['container', 'rm', 'w1']);
    expect(fs.existsSync(a.GraphDriver.Data.UpperDir)).toBe(false);
    expect(fs.existsSync(b.GraphDriver.Data.UpperDir)).toBe(true);
    await ok(['container', 'rm', 'w2']);
  });
});

describe('config from the image and the flags', () => {
  beforeAll(async () => {
    await loadImage('cfg:test', [busyboxLayer, layerOf({ 'srv/here': 'x' })], {
      Env: [PATH_ENV, 'FROM_IMAGE=img'],
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo "$FROM_IMAGE $(pwd) $(id -u):$(id -g) $(hostname)"'],
      WorkingDir: '/srv',
      User: 'app',
    });
  }, 60_000);

  it('uses the image Entrypoint, Cmd, Env, WorkingDir and User when no flag overrides them', async () => {
    const out = await ok(['container', 'run', '--rm', '--hostname', 'h1', 'cfg:test']);
    expect(out).toBe('img /srv 1000:1000 h1\n');
    // -h is the host name, as in Docker (not help): the UTS name and /etc/hostname
    expect(await ok(['container', 'run', '--rm', '-h', 'h2', '--entrypoint', 'sh', 'cfg:test', '-c', 'hostname; cat /etc/hostname'])).toBe('h2\nh2\n');
  });

  it('-e, --env-file, -w, -u and a command override them; --entrypoint replaces the entrypoint', async () => {
    const envFile = path.join(dir, 'env.list');
    fs.writeFileSync(envFile, '# comment\nFROM_FILE=file\nFROM_IMAGE=file\n');
    const out = await ok(['container', 'run', '--rm', '-e', 'FROM_IMAGE=flag', '--env-file', envFile, '-w', '/bin', '-u', '1000:1000', 'cfg:test', 'echo "$FROM_IMAGE $FROM_FILE $(pwd) $(id -u):$(id -g)"']);
    expect(out).toBe('flag file /bin 1000:1000\n');
    expect(await ok(['container', 'run', '--rm', '-u', 'nobody', '--entrypoint', 'id', 'cfg:test', '-u'])).toBe('65534\n');
    expect(await ok(['container', 'run', '--rm', '-u', 'nobody', '--entrypoint', 'id', 'cfg:test', '-g'])).toBe('65534\n');
  });

  it('refuses an unknown user naming it, and leaves nothing', async () => {
    const r = await c(['container', 'run', '--rm', '-u', 'ghost', 'cfg:test']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unable to find user ghost/);
    expect(containerDirs()).toEqual([]);
  });
});

describe('volumes, binds, tmpfs and --read-only', () => {
  it('-v NAME:/data is filled from the image, and keeps a file for the next container after rm', async () => {
    const vol = `mydata-${process.pid}`;
    expect(await ok(['container', 'run', '--rm', '-v', `${vol}:/data`, 'busybox:test', 'sh', '-c', 'cat /data/seed; echo kept > /data/file'])).toBe('from the image\n');
    expect(await ok(['container', 'run', '--rm', '-v', `${vol}:/data:ro`, 'busybox:test', 'cat', '/data/file'])).toBe('kept\n');
    expect((await ok(['volume', 'ls', '-q'])).split('\n')).toContain(vol);
    // in use by a container that exists (exited): volume rm fails; after container rm it works
    await ok(['container', 'run', '--name', 'voluser', '-v', `${vol}:/data`, 'busybox:test', 'true']);
    const busy = await c(['volume', 'rm', vol]);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toMatch(/volume is in use/);
    await ok(['container', 'rm', 'voluser']);
    expect(await ok(['volume', 'rm', vol])).toBe(`${vol}\n`);
    expect(fs.existsSync(path.join(cli.root, 'volumes', vol))).toBe(false);
  });

  it('-v /host:/dst writes land on the host; a missing host path is refused and nothing is left', async () => {
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    await ok(['container', 'run', '--rm', '-v', `${logs}:/var/log/app`, 'busybox:test', 'sh', '-c', 'echo line > /var/log/app/out.log']);
    expect(fs.readFileSync(path.join(logs, 'out.log'), 'utf8')).toBe('line\n');
    const r = await c(['container', 'run', '--rm', '-v', `${dir}/absent:/x`, 'busybox:test', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bind source path does not exist/);
    expect(containerDirs()).toEqual([]);
  });

  it('--read-only refuses writes outside volumes and tmpfs', async () => {
    const r = await c(['container', 'run', '--rm', '--read-only', '--tmpfs', '/tmp', '-v', '/scratch', 'busybox:test', 'sh', '-c', 'echo a > /tmp/a && echo b > /scratch/b && echo ok; echo c > /c']);
    expect(r.stdout).toBe('ok\n');
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.code).not.toBe(0);
    // the anonymous volume of --rm went with it
    expect((await ok(['volume', 'ls', '-q'])).trim()).toBe('');
  });
});

describe('resources', () => {
  it('--memory 200m --cpus 0.5 --pids-limit 50 are set in the container\'s cgroup and the pids limit holds', async () => {
    const script = [
      'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
      'cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"',
      'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max',
      // tail keeps /dev/zero in memory (no newline ever comes) until the limit OOM-kills it
      'tail /dev/zero; echo "tail:$?"',
      // sh exits at the first fork that fails
      'n=0; while [ $n -lt 60 ]; do sleep 5 & n=$((n+1)); done; echo spawned',
    ].join('\n');
    const r = await c(['container', 'run', '--rm', '--memory', '200m', '--cpus', '0.5', '--pids-limit', '50', 'busybox:test', 'sh', '-c', script]);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual(['209715200', '50000 100000', '50', 'tail:137']);
    expect(r.stdout).not.toContain('spawned');
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable|Cannot allocate/i);
  });
});

interface LsRow {
  ID: string;
  Names: string;
  State: string;
  Status: string;
  ExitCode?: number;
}

async function lsAll(): Promise<LsRow[]> {
  return (await ok(['container', 'ls', '-a', '--format', 'json'])).split('\n').filter(Boolean).map((l) => JSON.parse(l) as LsRow);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** node processes whose command line names the container id (the monitor is not node) */
function nodeProcessesOf(id: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const exe = fs.readlinkSync(`/proc/${pid}/exe`);
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (/\/node$/.test(exe) && cmd.includes(id)) out.push(`${pid} ${cmd.replace(/\0/g, ' ')}`);
    } catch {
      // gone
    }
  }
  return out;
}

function monitorsOf(id: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readlinkSync(`/proc/${p}/exe`).endsWith('/tsrun-monitor') && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(id);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('detached containers and their states', () => {
  it('ls -a shows created, running, paused, exited (code) and dead; the exit code is recorded with no node process alive', async () => {
    await ok(['container', 'create', '--name', 's-created', 'busybox:test', 'true']);
    const running = (await ok(['container', 'run', '-d', '--name', 's-running', 'busybox:test', 'sleep', '1000'])).trim();
    expect(running).toMatch(/^[a-f0-9]{64}$/);
    await ok(['container', 'run', '-d', '--name', 's-paused', 'busybox:test', 'sleep', '1000']);
    await ok(['container', 'pause', 's-paused']);
    const fifo = path.join(dir, 'exit-gate');
    fs.mkdirSync(fifo);
    const exited = (await ok(['container', 'run', '-d', '--name', 's-exited', '-v', `${fifo}:/gate`, 'busybox:test', 'sh', '-c', 'echo out; echo err >&2; while [ ! -e /gate/go ]; do sleep 0.1; done; exit 3'])).trim();
    // while it runs, no node process is alive for it
    expect(nodeProcessesOf(exited)).toEqual([]);
    fs.writeFileSync(path.join(fifo, 'go'), '');
    await until('s-exited to exit', async () => ((await lsAll()).find((r) => r.Names === 's-exited')?.State === 'exited' ? true : undefined));
    const dead = (await ok(['container', 'create', '--name', 's-dead', 'busybox:test', 'true'])).trim();
    // its monitor killed, then its runtime state removed behind tsrun container's back: nothing
    // can say how it ended, Docker's dead
    for (const pid of monitorsOf(dead)) process.kill(pid, 'SIGKILL');
    await ok(['delete', '--force', dead]);
    const rows = await lsAll();
    const state = (n: string) => rows.find((r) => r.Names === n);
    expect(state('s-created')?.State).toBe('created');
    expect(state('s-running')?.State).toBe('running');
    expect(state('s-running')?.Status).toMatch(/^Up /);
    expect(state('s-paused')?.State).toBe('paused');
    expect(state('s-paused')?.Status).toMatch(/\(Paused\)$/);
    expect(state('s-exited')?.Status).toMatch(/^Exited \(3\) .* ago$/);
    expect(state('s-dead')?.Status).toBe('Dead');
    // running and paused containers have their overlay mounted, but only in their own mount namespace
    expect(overlayMounts()).toEqual([]);
    const table = await ok(['container', 'ls', '-a']);
    expect(table.split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect((await ok(['container', 'ls'])).split('\n').filter((l) => l.includes('s-')).length).toBe(2);
    // stdout and stderr come back apart, as with docker logs
    const logs = await c(['container', 'logs', 's-exited']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe('out\n');
    expect(logs.stderr).toBe('err\n');
    // the runc view sees them too
    expect((await ok(['list', '-q'])).split('\n')).toContain(running);
    await ok(['container', 'rm', '-f', 's-created', 's-running', 's-paused', 's-exited', 's-dead']);
    expect((await lsAll()).filter((r) => r.Names.startsWith('s-'))).toEqual([]);
  });

  it('a running container whose runtime state.json is damaged is listed dead; rm -f removes it through delete --force and stops its monitor', async () => {
    const id = (await ok(['container', 'run', '-d', '--name', 'damaged', 'busybox:test', 'sleep', '1000'])).trim();
    expect(monitorsOf(id).length).toBe(1);
    expect(findCgroupDirs(id).length).toBeGreaterThan(0);
    // what a tsrun killed while writing it could leave without the atomic write: the state is unusable, the journal sound
    fs.writeFileSync(path.join(root.root, id, 'state.json'), '{"ociVersion": "1.0.2", "id": ');
    expect((await lsAll()).find((r) => r.Names === 'damaged')?.State).toBe('dead');
    const rm = await c(['container', 'rm', '-f', 'damaged']);
    expect(rm.stderr).toMatch(/state\.json is not valid JSON.*cleaning up from the create journal/);
    expect(rm.code).toBe(0);
    expect(findCgroupDirs(id)).toEqual([]);
    expect(monitorsOf(id)).toEqual([]);
    expect(nodeProcessesOf(id)).toEqual([]);
    expect(containerDirs()).not.toContain(id);
    expect(fs.existsSync(path.join(root.root, id))).toBe(false);
  });

  it('stop sends the stop signal, then SIGKILL after the timeout', async () => {
    await ok(['container', 'run', '-d', '--name', 'stop-sig', '--stop-signal', 'USR1', 'busybox:test', 'sh', '-c', "trap 'exit 42' USR1; while :; do sleep 0.1; done"]);
    await ok(['container', 'stop', 'stop-sig']);
    expect((await lsAll()).find((r) => r.Names === 'stop-sig')?.Status).toMatch(/^Exited \(42\)/);
    await ok(['container', 'run', '-d', '--name', 'stop-deaf', 'busybox:test', 'sh', '-c', "trap '' TERM; while :; do sleep 0.1; done"]);
    const t0 = Date.now();
    await ok(['container', 'stop', '-t', '1', 'stop-deaf']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect((await lsAll()).find((r) => r.Names === 'stop-deaf')?.Status).toMatch(/^Exited \(137\)/);
    // an exited container starts again, on the same upper dir
    await ok(['container', 'rm', 'stop-sig', 'stop-deaf']);
  });

  it('--rm -d removes the container when it exits; -d output is in logs; start -a of a created one attaches', async () => {
    const id = (await ok(['container', 'run', '--rm', '-d', 'busybox:test', 'sh', '-c', 'echo bye'])).trim();
    await until('the --rm container to go', async () => (containerDirs().includes(id) ? undefined : true));
    expect((await lsAll()).find((r) => r.ID === id)).toBeUndefined();
    await ok(['container', 'create', '--name', 'att', 'busybox:test', 'sh', '-c', 'echo attached; exit 5']);
    const r = await c(['container', 'start', '-a', 'att']);
    expect(r.stdout).toBe('attached\n');
    expect(r.code).toBe(5);
    await ok(['container', 'rm', 'att']);
  });
});

describe('terminals and stdin of detached containers, exec -u by name', () => {
  it('run -dt: the container has a terminal, its output is in logs; start runs it again with a new one', async () => {
    const id = (await ok(['container', 'run', '-d', '-t', '--name', 'dtty', 'busybox:test', 'sh', '-c', 'tty; echo "T=$TERM"; test -t 0 && echo stdin-is-a-tty'])).trim();
    await until('dtty to exit', async () => ((await lsAll()).find((r) => r.ID === id)?.State === 'exited' ? true : undefined));
    const first = await c(['container', 'logs', 'dtty']);
    // one stream, as Docker's: the terminal's output (its line discipline turns \n into \r\n)
    expect(first.stdout).toBe('/dev/pts/0\r\nT=xterm\r\nstdin-is-a-tty\r\n');
    expect(first.stderr).toBe('');
    const again = await c(['container', 'start', '-a', 'dtty']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('/dev/pts/0\r\nT=xterm\r\nstdin-is-a-tty\r\n');
    await ok(['container', 'rm', 'dtty']);
  });

  it('run -di keeps stdin open with nothing in it; run -d gives an empty stdin', async () => {
    const script = 'timeout 3 cat; echo "cat:$?"';
    await ok(['container', 'run', '-d', '-i', '--name', 'din', 'busybox:test', 'sh', '-c', script]);
    await ok(['container', 'run', '-d', '--name', 'dnoin', 'busybox:test', 'sh', '-c', script]);
    for (const n of ['din', 'dnoin']) await until(`${n} to exit`, async () => ((await lsAll()).find((r) => r.Names === n)?.State === 'exited' ? true : undefined));
    expect(await ok(['container', 'logs', 'dnoin'])).toBe('cat:0\n');
    // cat never saw an end of input: timeout had to stop it
    expect(await ok(['container', 'logs', 'din'])).toMatch(/^cat:(?!0\n)\d+\n$/);
    await ok(['container', 'rm', 'din', 'dnoin']);
  });

  it('exec -u resolves names in the container\'s own /etc/passwd and /etc/group, a user added at run time included', async () => {
    await ok(['container', 'run', '-d', '--name', 'users', 'busybox:test', 'sh', '-c', "echo 'late:x:1234:2000::/:/bin/sh' >> /etc/passwd; touch /tmp/ready; exec sleep 1000"]);
    await until('the user to be added', async () => ((await c(['container', 'exec', 'users', 'test', '-e', '/tmp/ready'])).code === 0 ? true : undefined));
    expect(await ok(['container', 'exec', '-u', 'app', 'users', 'id'])).toBe('uid=1000(app) gid=1000(app) groups=2000(extra)\n');
    expect(await ok(['container', 'exec', '-u', 'late', 'users', 'sh', '-c', 'echo $(id -u):$(id -g)'])).toBe('1234:2000\n');
    expect(await ok(['container', 'exec', '-u', 'nobody:app', 'users', 'sh', '-c', 'echo $(id -u):$(id -g)'])).toBe('65534:1000\n');
    expect(await ok(['container', 'exec', '-u', '4321:4321', 'users', 'sh', '-c', 'echo $(id -u):$(id -g)'])).toBe('4321:4321\n');
    const ghost = await c(['container', 'exec', '-u', 'ghost', 'users', 'id']);
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toMatch(/unable to find user ghost: no matching entries in container users's \/etc\/passwd/);
    await ok(['container', 'rm', '-f', 'users']);
  });
});

describe('opaque directories and whiteouts of the layers', () => {
  it('a new volume is filled with what the container would see (an opaque dir hides the layers below, a whiteout deletes); the passwd lookup honours an opaque /etc', async () => {
    await loadImage('opaque:test', [
      busyboxLayer,
      layerOf({ 'stuff/a': 'a\n', 'stuff/sub/old': 'old\n', 'stuff/gone': 'gone\n', 'stuff/dir-then-file/x': 'x\n' }),
      // .wh..wh..opq: sub is opaque here; .wh.gone: gone is deleted; dir-then-file becomes a file
      layerOf({ 'stuff/sub/.wh..wh..opq': '', 'stuff/sub/new': 'new\n', 'stuff/.wh.gone': '', 'stuff/dir-then-file': 'file\n', 'etc/.wh..wh..opq': '', 'etc/group': 'only:x:777:\n' }),
    ]);
    const list = 'cd /stuff && find . | sort && cat dir-then-file';
    const merged = await ok(['container', 'run', '--rm', 'opaque:test', 'sh', '-c', list]);
    expect(merged).toBe('.\n./a\n./dir-then-file\n./sub\n./sub/new\nfile\n');
    const vol = `opq-${process.pid}`;
    expect(await ok(['container', 'run', '--rm', '-v', `${vol}:/stuff`, 'opaque:test', 'sh', '-c', list])).toBe(merged);
    await ok(['volume', 'rm', vol]);
    // /etc is opaque in the top layer, which has no passwd: the busybox layer's (app, nobody) is not the image's
    expect(await ok(['container', 'run', '--rm', 'opaque:test', 'sh', '-c', 'test -e /etc/passwd || echo no-passwd; cat /etc/group'])).toBe('no-passwd\nonly:x:777:\n');
    expect(await ok(['container', 'run', '--rm', '-u', '1000:only', 'opaque:test', 'sh', '-c', 'echo $(id -u):$(id -g)'])).toBe('1000:777\n');
    const r = await c(['container', 'run', '--rm', '-u', 'app', 'opaque:test', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unable to find user app/);
  });
});

describe('the other flags and commands', () => {
  it('--mount bind (readonly), volume and tmpfs; --cap-drop/--cap-add; --security-opt no-new-privileges; --cpu-shares, --cpuset-cpus; --pull never', async () => {
    const hostDir = path.join(dir, 'mount-src');
    fs.mkdirSync(hostDir);
    fs.writeFileSync(path.join(hostDir, 'f'), 'from the host\n');
    const vol = `mvol-${process.pid}`;
    const script = [
      'cat /b/f; (echo x > /b/g) 2>/dev/null || echo bind-ro',
      'echo kept > /m/file',
      'grep " /t " /proc/mounts | cut -d" " -f3,4',
      'grep -E "^(CapEff|NoNewPrivs):" /proc/self/status | tr -s "\\t" " "',
      'cat /sys/fs/cgroup/cpu.weight 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.shares',
      'cat /sys/fs/cgroup/cpuset.cpus 2>/dev/null || cat /sys/fs/cgroup/cpuset/cpuset.cpus',
    ].join('\n');
    const out = await ok([
      'container', 'run', '--rm', '--pull', 'never',
      '--mount', `type=bind,source=${hostDir},target=/b,readonly`,
      '--mount', `type=volume,source=${vol},target=/m`,
      '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m',
      '--cap-drop', 'ALL', '--cap-add', 'CHOWN', '--security-opt', 'no-new-privileges',
      '--cpu-shares', '512', '--cpuset-cpus', '0',
      'busybox:test', 'sh', '-c', script,
    ]);
    const lines = out.split('\n');
    expect(lines.slice(0, 2)).toEqual(['from the host', 'bind-ro']);
    expect(lines[2]).toMatch(/^tmpfs rw,nosuid,nodev,.*size=1024k/);
    // CAP_CHOWN is bit 0
    expect(lines.slice(3, 5)).toEqual(['CapEff: 0000000000000001', 'NoNewPrivs: 1']);
    // cgroup v2 takes the weight runc converts 512 shares to
    expect(['512', '20']).toContain(lines[5]);
    expect(lines[6]).toBe('0');
    expect(fs.existsSync(path.join(hostDir, 'g'))).toBe(false);
    const info = JSON.parse(await ok(['volume', 'inspect', vol])) as Array<{ Name: string; Mountpoint: string; Anonymous: boolean }>;
    expect(info[0]?.Anonymous).toBe(false);
    expect(fs.readFileSync(path.join(info[0]?.Mountpoint ?? '', 'file'), 'utf8')).toBe('kept\n');
    await ok(['volume', 'rm', vol]);
    // --pull never with an image the store does not have: refused, nothing made
    const r = await c(['container', 'run', '--rm', '--pull', 'never', 'absent:never', 'true']);
    expect(r.code).not.toBe(0);
    expect(containerDirs()).toEqual([]);
  });

  it('kill -s, pause and unpause, logs -f until the exit, volume create/inspect/prune, container prune', async () => {
    const named = `named-${process.pid}`;
    expect(await ok(['volume', 'create', named])).toBe(`${named}\n`);
    const anon = (await ok(['volume', 'create'])).trim();
    expect(anon).toMatch(/^[a-f0-9]{64}$/);
    const lc = (await ok(['container', 'run', '-d', '--name', 'lc', 'busybox:test', 'sh', '-c', "trap 'echo got-usr1' USR1; echo started; while :; do sleep 0.1; done"])).trim();
    const logsHave = (text: string) => until(`logs to show ${text}`, async () => ((await ok(['container', 'logs', 'lc'])).includes(text) ? true : undefined));
    await logsHave('started');
    await ok(['container', 'kill', '-s', 'USR1', 'lc']);
    await logsHave('got-usr1');
    await ok(['container', 'pause', 'lc']);
    expect((await lsAll()).find((x) => x.Names === 'lc')?.State).toBe('paused');
    await ok(['container', 'unpause', 'lc']);
    expect((await lsAll()).find((x) => x.Names === 'lc')?.State).toBe('running');
    // logs -f follows until the container has exited, then ends
    const following = c(['container', 'logs', '-f', 'lc']);
    await ok(['container', 'kill', 'lc']);
    const followed = await following;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('started\ngot-usr1\n');
    expect((await lsAll()).find((x) => x.Names === 'lc')?.Status).toMatch(/^Exited \(137\)/);
    const pruned = await ok(['container', 'prune', '-f']);
    expect(pruned.split('\n')).toEqual(expect.arrayContaining(['Deleted Containers:', lc]));
    expect((await lsAll()).find((x) => x.Names === 'lc')).toBeUndefined();
    // prune takes unused anonymous volumes; --all named ones too
    const once = (await ok(['volume', 'prune', '-f'])).split('\n');
    expect(once).toContain(anon);
    expect(once).not.toContain(named);
    expect((await ok(['volume', 'ls', '-q'])).split('\n')).toContain(named);
    expect((await ok(['volume', 'prune', '-f', '--all'])).split('\n')).toContain(named);
    expect((await ok(['volume', 'ls', '-q'])).split('\n')).not.toContain(named);
  });
});

describe('layers', () => {
  it('a 120-layer image runs (lower dirs far over a page); 501 layers are refused before anything is created', async () => {
    const before = containerDirs();
    const many = (n: number) => [busyboxLayer, ...Array.from({ length: n - 1 }, (_, i) => layerOf({ [`l/${i}`]: `${i}\n` }))];
    await loadImage('many:120', many(120));
    expect(await ok(['container', 'run', '--rm', 'many:120', 'sh', '-c', 'cat /l/0 /l/118; ls /l | wc -l'])).toBe('0\n118\n119\n');
    // the same through the classic mount(2) of kernels before 6.8: one page of options holds the 120 lower dirs
    const classic = await cli.run(['--root', root.root, 'container', 'run', '--rm', '--network', 'none', 'many:120', 'sh', '-c', 'ls /l | wc -l'], { env: { TSRUN_OVERLAY_MOUNT: 'classic' } });
    expect(classic.stderr).not.toMatch(/level=error/);
    expect(classic.code).toBe(0);
    expect(classic.stdout).toBe('119\n');
    await loadImage('many:501', many(501));
    const r = await c(['container', 'run', '--rm', 'many:501', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/501 layers, more than overlayfs's limit of 500/);
    expect(containerDirs()).toEqual(before);
  }, 300_000);
});

describe('terminal', () => {
  it('-it gives a shell under a pseudo-terminal (driven by script)', async () => {
    const line = `tsrun --root ${root.root} --image-root ${cli.root} --registries-config ${cli.configFile} container run --network none --rm -it busybox:test sh`;
    const tsrunBin = path.join(__dirname, '../../bin/tsrun');
    const r = spawnSync('script', ['-qec', line.replace(/^tsrun/, tsrunBin), '/dev/null'], { input: 'tty; echo "T=$TERM"; exit 4\n', encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toMatch(/\/dev\/pts\/0/);
    expect(r.stdout).toMatch(/T=xterm/);
    expect(r.status).toBe(4);
  });
});

describe('SIGKILL of tsrun container run', () => {
  it('at 20 random points, followed by container rm -f and image prune, leaves nothing behind', async () => {
    const before = containerDirs();
    const devNull = fs.openSync('/dev/null', 'w');
    try {
      for (let i = 0; i < 20; i++) {
        const args = ['--root', root.root, '--image-root', cli.root, '--registries-config', cli.configFile, 'container', 'run', '--network', 'none', ...(i % 2 ? ['--rm'] : []), '-v', `/anon-${i}`, 'busybox:test', 'sh', '-c', 'echo x; sleep 1'];
        const p = tsrunSpawn(args, { stdout: devNull, stderr: devNull, timeout: 60_000 });
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 2000)));
        p.child.kill('SIGKILL');
        await p.exited;
      }
    } finally {
      fs.closeSync(devNull);
    }
    const leftIds = containerDirs().filter((d) => !before.includes(d));
    const ids = (await ok(['container', 'ls', '-aq'])).split('\n').filter(Boolean);
    for (const id of leftIds) expect(ids).toContain(id.slice(0, 12));
    const mine = ids.filter((s) => leftIds.some((d) => d.startsWith(s)));
    if (mine.length) await ok(['container', 'rm', '-f', '-v', ...mine]);
    await ok(['image', 'prune']);
    expect(containerDirs()).toEqual(before);
    expect(overlayMounts()).toEqual([]);
    for (const id of leftIds) {
      expect(findCgroupDirs(id)).toEqual([]);
      expect(nodeProcessesOf(id)).toEqual([]);
    }
    expect((await ok(['list', '-q'])).split('\n').filter((l) => leftIds.includes(l))).toEqual([]);
    expect(fs.readdirSync(path.join(cli.root, 'in-use')).filter((f) => leftIds.some((d) => f.startsWith(d)))).toEqual([]);
    expect(fs.readdirSync(path.join(cli.root, 'container-names')).filter((n) => before.length === 0 && n)).toEqual([]);
    expect((await ok(['volume', 'ls', '-q'])).trim()).toBe('');
    // the image still runs: prune kept what it needs
    expect(await ok(['container', 'run', '--rm', 'busybox:test', 'echo', 'still'])).toBe('still\n');
  }, 300_000);
});
