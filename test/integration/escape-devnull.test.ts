// CVE-2025-31133 class: masked paths are covered by bind mounts of the
// container's /dev/null; an image (or a racing container) that replaces
// /dev/null with something else would get that something bound over
// /proc/kcore, /proc/keys, ... (runc bound a procfs file there, writable).
// tsrun makes /dev/null itself when it sets up /dev, and before masking it
// checks that what /dev/null resolves to is the null device (char 1:3); if
// not, create is refused.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerLab } from '../helpers';
import { testTempDir } from '../helpers/ids';

const lab = new ContainerLab('escape-null', { probe: true });
let fakeDev = '';
const CORE_PATTERN = '/proc/sys/kernel/core_pattern';
let corePattern = '';

beforeAll(() => {
  lab.snapshot();
  corePattern = fs.readFileSync(CORE_PATTERN, 'utf8');
  fakeDev = testTempDir('fakedev');
});

afterAll(async () => {
  await lab.cleanup();
  fs.rmSync(fakeDev, { recursive: true, force: true });
  expect(fs.readFileSync(CORE_PATTERN, 'utf8')).toBe(corePattern);
});

const withoutDevTmpfs = (s: { mounts: { destination: string }[] }) => {
  s.mounts = s.mounts.filter((m) => m.destination !== '/dev');
};

it('an image whose /dev/null is a symlink to a procfs file: tsrun makes a real /dev/null, the masks are empty', async () => {
  const b = lab.bundle((s) => {
    withoutDevTmpfs(s);
    s.process.args = ['sh', '-c', 'stat -c "%F %t:%T" /dev/null /proc/keys /proc/timer_list; wc -c < /proc/keys; wc -c < /proc/timer_list'];
  });
  fs.mkdirSync(path.join(b.rootfs, 'dev'), { recursive: true });
  fs.symlinkSync(CORE_PATTERN, path.join(b.rootfs, 'dev', 'null'));
  const r = await lab.run(b, lab.id('null-link'));
  // the masks are the null device itself, not what the image's link named
  expect(r.stdout).toBe('character special file 1:3\n'.repeat(3) + '0\n0\n');
  expect(r.code).toBe(0);
});

it('the same in a user namespace (the host\'s nodes are bound, not made): bound onto /dev/null itself, not where the link points', async () => {
  const b = lab.bundle((s) => {
    withoutDevTmpfs(s);
    s.mounts = s.mounts.filter((m) => m.type !== 'cgroup');
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    delete s.linux.resources;
    s.process.args = ['sh', '-c', 'stat -c "%F %t:%T" /dev/null /proc/keys; cut -d" " -f5 /proc/self/mountinfo | grep -c core_pattern'];
  });
  fs.mkdirSync(path.join(b.rootfs, 'dev'), { recursive: true });
  fs.symlinkSync(CORE_PATTERN, path.join(b.rootfs, 'dev', 'null'));
  execFileSync('chown', ['-hR', '100000:100000', b.rootfs]);
  // the mapped root must be able to reach the rootfs (mkdtemp makes 0700 dirs)
  for (const d of [lab.work, b.dir]) fs.chmodSync(d, 0o755);
  const r = await lab.run(b, lab.id('null-link-userns'));
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('character special file 1:3\n'.repeat(2) + '0\n');
});

describe('a /dev from elsewhere (bind mount) whose null is not the null device: create is refused', () => {
  const cases: [string, (dir: string) => void][] = [
    ['a regular file', (d) => fs.writeFileSync(path.join(d, 'null'), 'not null\n')],
    ['a symlink to a procfs file', (d) => fs.symlinkSync(CORE_PATTERN, path.join(d, 'null'))],
    ['a directory', (d) => fs.mkdirSync(path.join(d, 'null'))],
  ];
  for (const [what, make] of cases) {
    it(what, async () => {
      const dir = fs.mkdtempSync(path.join(fakeDev, 'dev-'));
      make(dir);
      const b = lab.bundle((s) => {
        withoutDevTmpfs(s);
        s.mounts.splice(1, 0, { destination: '/dev', type: 'bind', source: dir, options: ['rbind'] });
        s.mounts = s.mounts.filter((m) => m.destination !== '/dev/pts' && m.destination !== '/dev/shm' && m.destination !== '/dev/mqueue');
      });
      const id = lab.id('null-bad');
      const r = await lab.create(b, id);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('refusing to mask paths: /dev/null is not the null device');
      expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
      expect(fs.readdirSync(dir)).toEqual(['null']);
    });
  }
});

it('a config device at /dev/null that is not 1:3 is refused the same way', async () => {
  const b = lab.bundle((s) => {
    s.linux.devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 5, fileMode: 0o666 }];
  });
  const id = lab.id('null-zero');
  const r = await lab.create(b, id);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('refusing to mask paths: /dev/null is not the null device');
  expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
});
