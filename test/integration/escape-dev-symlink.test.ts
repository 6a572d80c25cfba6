// CVE-2026-41579 class: an image whose /dev is a symlink. runc joined paths
// under /dev as strings, so it deleted files named ptmx and made its /dev
// symlinks (fd, stdin, ptmx, ...) in whatever host directory the link named.
// tsrun resolves /dev inside the rootfs for every step (mounts, nodes,
// links), so the host directory stays as it was.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerLab } from '../helpers';
import { testTempDir } from '../helpers/ids';

const lab = new ContainerLab('escape-devlink', { probe: true });
let hostDir = '';
beforeAll(() => {
  lab.snapshot();
  hostDir = testTempDir('hostdev');
  fs.writeFileSync(path.join(hostDir, 'ptmx'), 'host file called ptmx\n');
});
afterAll(async () => {
  await lab.cleanup();
  fs.rmSync(hostDir, { recursive: true, force: true });
});

function expectHostDirUntouched(): void {
  expect(fs.readdirSync(hostDir)).toEqual(['ptmx']);
  expect(fs.readFileSync(path.join(hostDir, 'ptmx'), 'utf8')).toBe('host file called ptmx\n');
}

const CHECK = 'echo hi > /dev/null && stat -c "%t:%T" /dev/null /dev/zero && readlink /dev/ptmx && readlink /dev/fd && head -c 4 /dev/zero | wc -c';

describe('/dev in the image is a symlink to a host directory', () => {
  for (const [how, link] of [
    ['absolute', () => hostDir],
    ['relative, climbing out', () => `../../../../../../../..${hostDir}`],
  ] as const) {
    it(`${how}, with a /dev tmpfs: everything happens inside the rootfs`, async () => {
      const b = lab.bundle((s) => {
        s.process.args = ['sh', '-c', CHECK];
      });
      fs.rmSync(path.join(b.rootfs, 'dev'), { recursive: true });
      fs.symlinkSync(link(), path.join(b.rootfs, 'dev'));
      const r = await lab.run(b, lab.id('devlink'));
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('1:3\n1:5\npts/ptmx\n/proc/self/fd\n4\n');
      expect(r.code).toBe(0);
      expectHostDirUntouched();
      // the tmpfs went to the link's target inside the rootfs
      expect(fs.statSync(path.join(b.rootfs, hostDir)).isDirectory()).toBe(true);
    });
  }

  it('without a /dev tmpfs (nodes made in the image /dev): inside the rootfs too', async () => {
    const b = lab.bundle((s) => {
      s.mounts = s.mounts.filter((m) => !m.destination.startsWith('/dev'));
      s.process.args = ['sh', '-c', 'stat -c "%t:%T" /dev/null; readlink /dev/ptmx'];
    });
    fs.rmSync(path.join(b.rootfs, 'dev'), { recursive: true });
    fs.symlinkSync(hostDir, path.join(b.rootfs, 'dev'));
    const r = await lab.run(b, lab.id('devlink-nodes'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1:3\npts/ptmx\n');
    expectHostDirUntouched();
    expect(fs.readlinkSync(path.join(b.rootfs, hostDir, 'ptmx'))).toBe('pts/ptmx');
  });

  it('a /dev/pts symlink to a host directory: the devpts mount stays inside', async () => {
    const b = lab.bundle((s) => {
      s.mounts = s.mounts.filter((m) => m.destination !== '/dev');
      s.process.args = ['sh', '-c', 'grep -c devpts /proc/self/mounts'];
    });
    fs.mkdirSync(path.join(b.rootfs, 'dev'), { recursive: true });
    fs.symlinkSync(hostDir, path.join(b.rootfs, 'dev', 'pts'));
    const r = await lab.run(b, lab.id('devpts-link'));
    expect(r.stdout).toBe('1\n');
    expectHostDirUntouched();
  });
});
