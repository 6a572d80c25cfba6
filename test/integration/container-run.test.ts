// `tsrun container` on the real kernel: images built here, loaded from an OCI
// layout into the test's own image root, run on an overlayfs rootfs mounted
// inside the container's mount namespace; volumes, users, env and limits;
// the states of `container ls -a`; and nothing left behind.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCgroupDirs, makeRootfs, makeTestRoot, testTempDir, type TestRoot } from '../helpers';
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
    const lowerA = JSON.parse(a.Tsrun.Spec.annotations['org.tsrun.rootfs.overlay'] as string).lowerDirs as string[];
    const lowerB = JSON.parse(b.Tsrun.Spec.annotations['org.tsrun.rootfs.overlay'] as string).lowerDirs as string[];
    expect(lowerA).toEqual(lowerB);
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
      'n=0; while [ $n -lt 60 ]; do sleep 5 & n=$((n+1)); done; echo spawned',
    ].join('\n');
    const r = await c(['container', 'run', '--rm', '--memory', '200m', '--cpus', '0.5', '--pids-limit', '50', 'busybox:test', 'sh', '-c', script]);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['209715200', '50000 100000', '50']);
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable|Cannot allocate/i);
  });
});
