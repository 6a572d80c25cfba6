// CVE-2025-52881 class: the runtime's writes to /proc (sysctls, oom_score_adj,
// LSM labels) redirected by the image or a racing container: a /proc that is
// not procfs, a symlink or a bind mount on the way, so the write lands in some
// other file (or a label is never applied). tsrun opens every such file from
// the container's /proc after checking it is procfs, with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV, and fails create otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerLab } from '../helpers';
import type { Bundle } from '../helpers';
import { testTempDir } from '../helpers/ids';

const lab = new ContainerLab('escape-procw', { probe: true });
let hostFile = '';
beforeAll(() => {
  lab.snapshot();
  hostFile = path.join(testTempDir('hostfile'), 'target');
  fs.writeFileSync(hostFile, 'untouched\n');
});
afterAll(async () => {
  await lab.cleanup();
  expect(fs.readFileSync(hostFile, 'utf8')).toBe('untouched\n');
  fs.rmSync(path.dirname(hostFile), { recursive: true, force: true });
});

/** An image /proc made of plain files where the runtime would write. */
function fakeProc(b: Bundle): void {
  for (const f of ['sys/kernel/domainname', 'self/oom_score_adj', '1/oom_score_adj']) {
    fs.mkdirSync(path.dirname(path.join(b.rootfs, 'proc', f)), { recursive: true });
    fs.writeFileSync(path.join(b.rootfs, 'proc', f), 'image file\n');
  }
}

const withoutProcMount = (s: { mounts: { destination: string }[] }) => {
  s.mounts = s.mounts.filter((m) => m.destination !== '/proc');
};

async function expectRefused(b: Bundle, message: string): Promise<void> {
  const id = lab.id('procw');
  const r = await lab.create(b, id);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(message);
  expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
}

describe('a /proc that is not procfs (no proc mount; the image brings its own files)', () => {
  it('a sysctl is refused, the image file is untouched', async () => {
    const b = lab.bundle((s) => {
      withoutProcMount(s);
      s.linux.sysctl = { 'kernel.domainname': 'tsrun.test' };
    });
    fakeProc(b);
    await expectRefused(b, "refusing to write sysctl /proc/sys/kernel/domainname: not the container's procfs");
    expect(fs.readFileSync(path.join(b.rootfs, 'proc', 'sys', 'kernel', 'domainname'), 'utf8')).toBe('image file\n');
  });

  it('process.oomScoreAdj is written through the host\'s procfs before any namespace (as runc\'s nsexec): the image files are untouched', async () => {
    const b = lab.bundle((s) => {
      withoutProcMount(s);
      s.linux.maskedPaths = [];
      s.linux.readonlyPaths = [];
      s.process.oomScoreAdj = 500;
      s.process.args = ['sleep', '30'];
    });
    fakeProc(b);
    const id = lab.id('procw-oom');
    const r = await lab.create(b, id);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { pid } = await lab.state(id);
    expect(fs.readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8')).toBe('500\n');
    await lab.forceDelete(id);
    for (const f of ['self/oom_score_adj', '1/oom_score_adj']) expect(fs.readFileSync(path.join(b.rootfs, 'proc', f), 'utf8')).toBe('image file\n');
  });
});

describe('procfs with something mounted over the target', () => {
  it('a sysctl whose file is covered by a bind mount of a host file is refused; the host file is untouched', async () => {
    const b = lab.bundle((s) => {
      s.mounts.push({ destination: '/proc/sys/kernel/domainname', type: 'bind', source: hostFile, options: ['bind'] });
      s.linux.sysctl = { 'kernel.domainname': 'tsrun.test' };
      s.linux.readonlyPaths = [];
    });
    await expectRefused(b, "refusing to write sysctl /proc/sys/kernel/domainname: not the container's procfs");
  });

  it('a sysctl under a tmpfs mounted over /proc/sys is refused', async () => {
    const b = lab.bundle((s) => {
      s.mounts.push({ destination: '/proc/sys/kernel', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      s.linux.sysctl = { 'kernel.domainname': 'tsrun.test' };
      s.linux.readonlyPaths = [];
    });
    await expectRefused(b, 'refusing to write sysctl /proc/sys/kernel/domainname');
  });
});

describe('an image /proc that is a symlink', () => {
  // runc refuses procfs on a symlink since CVE-2019-16884; tsrun does so at
  // validation (issue 10), before anything is mounted or written
  it('is refused before any side effect, and nothing is written where the link points', async () => {
    const b = lab.bundle((s) => {
      s.linux.sysctl = { 'kernel.domainname': 'tsrun.test' };
    });
    fs.rmSync(path.join(b.rootfs, 'proc'), { recursive: true });
    fs.mkdirSync(path.join(b.rootfs, 'fakeproc', 'sys', 'kernel'), { recursive: true });
    fs.writeFileSync(path.join(b.rootfs, 'fakeproc', 'sys', 'kernel', 'domainname'), 'image file\n');
    fs.symlinkSync('/fakeproc', path.join(b.rootfs, 'proc'));
    const procIndex = b.spec.mounts.findIndex((m) => m.type === 'proc');
    // stderr is logfmt: the quotes of the message come escaped
    await expectRefused(b, `config.json: mounts[${procIndex}].destination: filesystem \\"proc\\" must be mounted on ordinary directory: /proc is a symlink in the rootfs`);
    expect(fs.readFileSync(path.join(b.rootfs, 'fakeproc', 'sys', 'kernel', 'domainname'), 'utf8')).toBe('image file\n');
  });
});

describe('on the container\'s own procfs', () => {
  it('namespaced sysctls and oomScoreAdj are written', async () => {
    const b = lab.bundle((s) => {
      s.linux.sysctl = { 'kernel.domainname': 'tsrun.test', 'net.ipv4.ip_forward': '1' };
      s.linux.readonlyPaths = [];
      s.process.oomScoreAdj = 123;
      s.process.args = ['sh', '-c', 'cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj'];
    });
    const r = await lab.run(b, lab.id('procw-ok'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('tsrun.test\n1\n123\n');
  });
});
