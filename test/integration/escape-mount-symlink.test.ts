// CVE-2021-30465 class: a mount destination that is (or passes through) a
// symlink made by the image or by a container sharing a volume, pointing at
// "/", at "/../../etc" or at a host path. tsrun resolves every destination
// inside the rootfs (openat2 RESOLVE_IN_ROOT) and mounts onto the resolved
// fd, so the mount lands inside the container, whatever the link says and
// however fast it is swapped.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerLab, PROBE_IN_CONTAINER, waitFor } from '../helpers';
import { testTempDir } from '../helpers/ids';

const lab = new ContainerLab('escape-mnt', { probe: true });
let hostDir = '';
let source = '';

beforeAll(() => {
  lab.snapshot();
  hostDir = testTempDir('hosttarget');
  source = testTempDir('mntsrc');
  fs.writeFileSync(path.join(source, 'MARKER'), 'from the bind source\n');
});

afterAll(async () => {
  await lab.cleanup();
  // nothing may have been created in the host directory the links point at
  expect(fs.readdirSync(hostDir)).toEqual([]);
  fs.rmSync(hostDir, { recursive: true, force: true });
  fs.rmSync(source, { recursive: true, force: true });
});

/** mount points of the container's init, as its mountinfo names them */
const mountPoints = (out: string): string[] => out.trim().split('\n').map((l) => l.split(' ')[4]!);

describe('a mount destination through a symlink in the image', () => {
  it('a link to "/" : the mount lands on the container\'s root, nothing is created on the host', async () => {
    const name = `tsrun-test-mnt-${process.pid}`;
    const b = lab.bundle((s) => {
      s.mounts.push({ destination: `/lnk/${name}`, type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      s.process.args = ['cat', '/proc/self/mountinfo'];
    });
    fs.symlinkSync('/', path.join(b.rootfs, 'lnk'));
    const r = await lab.run(b, lab.id('to-root'));
    expect(r.code).toBe(0);
    expect(mountPoints(r.stdout)).toContain(`/${name}`);
    expect(fs.statSync(path.join(b.rootfs, name)).isDirectory()).toBe(true);
    expect(fs.existsSync(`/${name}`)).toBe(false);
  });

  it('a link to "/../../etc": a bind mount covers the container\'s /etc, the host\'s /etc is untouched', async () => {
    const b = lab.bundle((s) => {
      s.mounts.push({ destination: '/data', type: 'bind', source, options: ['rbind', 'ro'] });
      s.process.args = ['sh', '-c', 'cat /etc/MARKER; grep -c " /etc " /proc/self/mountinfo'];
    });
    fs.symlinkSync('/../../etc', path.join(b.rootfs, 'data'));
    const r = await lab.run(b, lab.id('to-etc'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('from the bind source\n1\n');
    expect(fs.existsSync('/etc/MARKER')).toBe(false);
  });

  it('a relative link climbing out ("../../../../..<host dir>"): stays inside', async () => {
    const b = lab.bundle((s) => {
      s.mounts.push({ destination: '/up/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      s.process.args = ['cat', '/proc/self/mountinfo'];
    });
    fs.symlinkSync(`../../../../../../../../..${hostDir}`, path.join(b.rootfs, 'up'));
    const r = await lab.run(b, lab.id('climb'));
    expect(r.code).toBe(0);
    expect(mountPoints(r.stdout)).toContain(`${hostDir}/sub`);
    expect(fs.statSync(path.join(b.rootfs, hostDir, 'sub')).isDirectory()).toBe(true);
  });

  it('an absolute link to a host path, for a file bind: the file is made and bound inside', async () => {
    const hostFile = path.join(hostDir, 'hostname');
    const b = lab.bundle((s) => {
      s.mounts.push({ destination: '/etc/hostname', type: 'bind', source: path.join(source, 'MARKER'), options: ['bind', 'ro'] });
      s.process.args = ['cat', hostFile];
    });
    fs.symlinkSync(hostFile, path.join(b.rootfs, 'etc', 'hostname'));
    const r = await lab.run(b, lab.id('file-link'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('from the bind source\n');
    expect(fs.existsSync(hostFile)).toBe(false);
    expect(fs.statSync(path.join(b.rootfs, hostFile)).isFile()).toBe(true);
  });
});

describe('a container swapping a directory and a symlink in a shared volume (the race)', () => {
  it('never makes another container mount outside its root', async () => {
    const shared = fs.mkdtempSync(path.join(lab.work, 'shared-'));
    fs.mkdirSync(path.join(shared, 'x'));
    fs.symlinkSync(hostDir, path.join(shared, 'x.lnk'));
    const volume = { destination: '/shared', type: 'bind', source: shared, options: ['rbind'] };
    const swapper = lab.bundle((s) => {
      s.mounts.push(volume);
      s.process.args = [PROBE_IN_CONTAINER, 'swap', '/shared/x', '/shared/x.lnk', '15000'];
    });
    const swapperId = lab.id('swapper');
    const swapping = lab.run(swapper, swapperId, { timeout: 60_000 });
    await waitFor('the swapper', () => fs.lstatSync(path.join(shared, 'x')).isSymbolicLink(), 10_000);

    const where = { volume: 0, linkTargetInRoot: 0, refused: 0 };
    for (let i = 0; i < 12; i++) {
      const b = lab.bundle((s) => {
        s.mounts.push(volume, { destination: `/shared/x/m${i}`, type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
        // mountinfo names a mount point by its path now: the swapper may have renamed x to x.lnk since
        s.process.args = ['sh', '-c', `cut -d" " -f5 /proc/self/mountinfo | grep -x -e /shared/x/m${i} -e /shared/x.lnk/m${i} -e ${hostDir}/m${i}`];
      });
      const r = await lab.run(b, lab.id('racer'));
      if (r.code === 0 && /^\/shared\/x(\.lnk)?\/m\d+\n$/.test(r.stdout)) where.volume++;
      else if (r.code === 0 && r.stdout === `${hostDir}/m${i}\n`) {
        // the link, followed inside this container's root
        expect(fs.statSync(path.join(b.rootfs, hostDir, `m${i}`)).isDirectory()).toBe(true);
        where.linkTargetInRoot++;
      } else {
        expect(r.stderr).toMatch(/(create mount point for|mount) tmpfs to \/shared\/x\/m\d+/);
        where.refused++;
      }
    }
    const s = await swapping;
    expect(s.stdout).toMatch(/^swapped \d+\n$/);
    expect(where.volume + where.linkTargetInRoot + where.refused).toBe(12);
    expect(where.volume + where.linkTargetInRoot).toBeGreaterThan(0);
    // every successful mount is inside the shared dir (made by mkdir in the container's root)
    for (const e of fs.readdirSync(hostDir)) throw new Error(`created on the host: ${e}`);
  });
});
