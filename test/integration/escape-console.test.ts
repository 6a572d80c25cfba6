// CVE-2025-52565 class: for a terminal, the runtime bind-mounts the pty slave
// over /dev/console. If /dev/console is a symlink (an image without a /dev
// tmpfs, or a racing container), the bind lands wherever it points, e.g. on
// a procfs file a mask or read-only path was meant to protect. tsrun takes
// the slave from the master with TIOCGPTPEER (no path), and binds onto
// /dev/console itself (never following a link there), or refuses.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { containerLab } from '../helpers';

const lab = containerLab('escape-console', { probe: true });

const terminalSpec = (args: string[]) => (s: { process: { terminal: boolean; args: string[] } }) => {
  s.process.terminal = true;
  s.process.args = args;
};

it('with a terminal, /dev/console is the container\'s pty', async () => {
  const b = lab.bundle(terminalSpec(['sh']));
  const r = await lab.runOnTerminal(b, lab.id('console'), 'stat -c "%F %t" /dev/console; tty; exit 0\n');
  expect(r.received).toBe(true);
  expect(r.code).toBe(0);
  // 0x88 = 136, the first Unix98 pty major
  expect(r.screen).toContain('character special file 88\r\n/dev/pts/0\r\n');
});

for (const [what, target] of [
  ['a procfs file', '/proc/sysrq-trigger'],
  ['a masked path', '/proc/keys'],
  ['a file of the image', '/etc/passwd'],
] as const) {
  it(`an image whose /dev/console is a symlink to ${what}: refused, nothing is bound there`, async () => {
    const b = lab.bundle((s) => {
      terminalSpec(['sh', '-c', 'exit 0'])(s);
      s.mounts = s.mounts.filter((m) => m.destination !== '/dev');
    });
    fs.mkdirSync(path.join(b.rootfs, 'dev'), { recursive: true });
    fs.symlinkSync(target, path.join(b.rootfs, 'dev', 'console'));
    const passwd = fs.readFileSync(path.join(b.rootfs, 'etc', 'passwd'), 'utf8');
    const id = lab.id('console-link');
    const r = await lab.runOnTerminal(b, id, '');
    expect(r.received).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing to bind the console over /dev/console: it is not a regular file or a device (a symbolic link)');
    expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
    expect(fs.readlinkSync(path.join(b.rootfs, 'dev', 'console'))).toBe(target);
    expect(fs.readFileSync(path.join(b.rootfs, 'etc', 'passwd'), 'utf8')).toBe(passwd);
  });
}

it('an image whose /dev/console is a directory: refused', async () => {
  const b = lab.bundle((s) => {
    terminalSpec(['true'])(s);
    s.mounts = s.mounts.filter((m) => m.destination !== '/dev');
  });
  fs.mkdirSync(path.join(b.rootfs, 'dev', 'console'), { recursive: true });
  const r = await lab.runOnTerminal(b, lab.id('console-dir'), '');
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('refusing to bind the console over /dev/console');
});

it('an image with a real /dev/console file keeps working (the pty is bound over it)', async () => {
  const b = lab.bundle((s) => {
    terminalSpec(['sh'])(s);
    s.mounts = s.mounts.filter((m) => m.destination !== '/dev');
  });
  fs.mkdirSync(path.join(b.rootfs, 'dev'), { recursive: true });
  fs.writeFileSync(path.join(b.rootfs, 'dev', 'console'), '');
  const r = await lab.runOnTerminal(b, lab.id('console-file'), 'stat -c "%F %t" /dev/console; exit 0\n');
  expect(r.code).toBe(0);
  expect(r.screen).toContain('character special file 88\r\n');
});
