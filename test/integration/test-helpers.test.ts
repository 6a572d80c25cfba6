// The test helpers themselves: bundles that really run, and leftover
// detection that really notices mounts, cgroups and state entries.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertNoLeftovers, deepMerge, makeBundle, makeTestRoot, PROJECT_ROOT, snapshotLeftovers, uniqueId } from '../helpers';
import { testTempDir } from '../helpers/ids';

const work = testTempDir('helpers');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const RUNC = '/usr/sbin/runc';

describe('makeBundle', () => {
  it('builds a busybox rootfs that runs, and a config from the default spec', () => {
    const b = makeBundle();
    try {
      // the rootfs works on its own: run an applet through its symlink, chrooted
      expect(execFileSync('chroot', [b.rootfs, '/bin/echo', 'inside'], { encoding: 'utf8' })).toBe('inside\n');
      // /etc/passwd and /etc/group resolve names; the standard dirs exist
      expect(execFileSync('chroot', [b.rootfs, '/bin/sh', '-c', 'id -un; id -gn; ls -d /dev /etc /proc /root /sys /tmp'], { encoding: 'utf8' })).toBe(
        'root\nroot\n/dev\n/etc\n/proc\n/root\n/sys\n/tmp\n',
      );
      expect(execFileSync('chroot', ['--userspec=1000:1000', b.rootfs, '/bin/sh', '-c', 'id -un; id -gn'], { encoding: 'utf8' })).toBe('user\nuser\n');
      const spec = JSON.parse(fs.readFileSync(b.configPath, 'utf8'));
      expect(spec.process.args).toEqual(['echo', 'hello from tsrun']);
      expect(spec.process.terminal).toBe(false);
      expect(spec.ociVersion).toBe('1.3.0');
    } finally {
      b.cleanup();
    }
    expect(fs.existsSync(b.dir)).toBe(false);
  });

  it('applies a deep-merge patch or a mutator', () => {
    const a = makeBundle({ process: { args: ['true'], env: ['X=1'] }, hostname: null });
    const spec = JSON.parse(fs.readFileSync(a.configPath, 'utf8'));
    expect(spec.process.args).toEqual(['true']);
    expect(spec.process.env).toEqual(['X=1']);
    expect(spec.process.cwd).toBe('/');
    expect(spec).not.toHaveProperty('hostname');
    a.cleanup();
    const b = makeBundle((s) => {
      s.linux.namespaces.push({ type: 'user' });
    });
    expect(JSON.parse(fs.readFileSync(b.configPath, 'utf8')).linux.namespaces.at(-1)).toEqual({ type: 'user' });
    b.spec.process.args = ['false'];
    b.writeConfig();
    expect(JSON.parse(fs.readFileSync(b.configPath, 'utf8')).process.args).toEqual(['false']);
    b.cleanup();
  });

  it('deepMerge replaces arrays and scalars, merges objects, deletes on null', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null, e: 'x' })).toEqual({ a: { b: 1, c: [3] }, e: 'x' });
  });

  it.skipIf(!fs.existsSync(RUNC))('its bundle runs under the reference runtime (runc)', () => {
    const b = makeBundle();
    const root = path.join(work, 'runc-root');
    try {
      const r = spawnSync(RUNC, ['--root', root, 'run', uniqueId('runc')], { cwd: b.dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('hello from tsrun\n');
      expect(r.status).toBe(0);
    } finally {
      b.cleanup();
    }
  });
});

describe('scripts/make-busybox-bundle.sh', () => {
  it('builds a bundle whose container prints the greeting', () => {
    const dir = path.join(work, 'script-bundle');
    const out = execFileSync(path.join(PROJECT_ROOT, 'scripts', 'make-busybox-bundle.sh'), [dir], { encoding: 'utf8' });
    expect(out).toContain('bundle ready');
    expect(fs.readlinkSync(path.join(dir, 'rootfs', 'bin', 'sh'))).toBe('busybox');
    expect(fs.readFileSync(path.join(dir, 'rootfs', 'etc', 'passwd'), 'utf8')).toContain('nobody:x:65534:65534');
    expect(fs.statSync(path.join(dir, 'rootfs', 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).process).toMatchObject({ args: ['echo', 'hello from tsrun'], terminal: false });
    expect(execFileSync('chroot', [path.join(dir, 'rootfs'), '/bin/echo', 'hello from tsrun'], { encoding: 'utf8' })).toBe('hello from tsrun\n');
    // refuses to overwrite
    const again = spawnSync(path.join(PROJECT_ROOT, 'scripts', 'make-busybox-bundle.sh'), [dir], { encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already holds a bundle');
  });
});

describe('leftover detection', () => {
  it('notices a mount until it is unmounted', () => {
    const before = snapshotLeftovers();
    const mnt = path.join(work, 'mnt');
    fs.mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', 'tsrun-test-tmpfs', mnt]);
    try {
      expect(() => assertNoLeftovers(before)).toThrow(`mount left behind: ${mnt} tmpfs tsrun-test-tmpfs`);
    } finally {
      execFileSync('umount', [mnt]);
    }
    assertNoLeftovers(before);
  });

  it("ignores a mount that is not this test process's (another program's, e.g. /run/netns)", () => {
    const before = snapshotLeftovers();
    // a directory without this process's tag, as another program would make
    const foreign = fs.mkdtempSync(path.join(os.tmpdir(), 'not-a-test-'));
    execFileSync('mount', ['-t', 'tmpfs', 'foreign-tmpfs', foreign]);
    try {
      assertNoLeftovers(before);
    } finally {
      execFileSync('umount', [foreign]);
      fs.rmdirSync(foreign);
    }
  });

  it('notices a test cgroup until it is removed', () => {
    const before = snapshotLeftovers();
    // in the v1 pids hierarchy where the host has one, else in the cgroup2 root
    const parent = fs.existsSync('/sys/fs/cgroup/pids/cgroup.procs') ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';
    const cg = path.join(parent, uniqueId('cg'));
    fs.mkdirSync(cg);
    try {
      expect(() => assertNoLeftovers(before)).toThrow(`cgroup left behind: ${cg}`);
    } finally {
      fs.rmdirSync(cg);
    }
    assertNoLeftovers(before);
  });

  it('notices a process whose command line names a test id until it exits', async () => {
    const tag = uniqueId('proc');
    const before = snapshotLeftovers({ match: tag });
    const { spawn } = await import('node:child_process');
    const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', tag], { stdio: 'ignore' });
    await new Promise((r) => p.once('spawn', r));
    try {
      expect(() => assertNoLeftovers(before)).toThrow(`process left behind: ${p.pid} ${process.execPath} -e setTimeout(() => {}, 60000) ${tag}`);
    } finally {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    }
    assertNoLeftovers(before);
  });

  it('notices entries in the state root', () => {
    const t = makeTestRoot('leftover');
    fs.mkdirSync(t.root, { recursive: true });
    const before = snapshotLeftovers({ root: t.root });
    fs.mkdirSync(path.join(t.root, 'c1'));
    expect(() => assertNoLeftovers(before)).toThrow(`state root entry left behind: ${path.join(t.root, 'c1')}`);
    fs.rmdirSync(path.join(t.root, 'c1'));
    assertNoLeftovers(before);
    t.cleanup();
  });
});
