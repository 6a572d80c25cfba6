// Masked and read-only paths: what the container must not read from the
// kernel (/proc/kcore, /proc/keys, /proc/timer_list, /sys/firmware, ...)
// reads as empty or fails, and /proc/sys (and the other readonlyPaths) can
// not be written, even by root in the container.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../src/container/default-spec';
import { containerLab } from '../helpers';

const lab = containerLab('escape-procpaths', { probe: true });

const spec = defaultSpec();
/** masked paths this host actually has (the others are skipped, as by runc) */
const present = spec.linux.maskedPaths.filter((p) => fs.existsSync(p));
const files = present.filter((p) => !fs.statSync(p).isDirectory());
const dirs = present.filter((p) => fs.statSync(p).isDirectory());

describe('masked paths', () => {
  it('this host has some of the default masked paths to test', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(dirs.length).toBeGreaterThan(0);
  });

  it('files read as empty: they are the null device', async () => {
    const script = files.map((f) => `printf "%s " "$(wc -c < ${f})"; stat -c "%t:%T" ${f}`).join('; ');
    const b = lab.bundle((s) => {
      s.process.args = ['sh', '-c', script];
    });
    const r = await lab.run(b, lab.id('masked-files'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('0 1:3\n'.repeat(files.length));
  });

  it('directories are empty and read-only', async () => {
    const script = dirs.map((d) => `echo "${d}:$(ls -A ${d} | wc -l)"; touch ${d}/x 2>/dev/null && echo "${d} writable"`).join('; ');
    const b = lab.bundle((s) => {
      s.process.args = ['sh', '-c', `${script}; true`];
    });
    const r = await lab.run(b, lab.id('masked-dirs'));
    expect(r.stdout).toBe(dirs.map((d) => `${d}:0\n`).join(''));
  });

  it('a masked file cannot be unmasked by root in the container (no CAP_SYS_ADMIN)', async () => {
    const f = files[0]!;
    const b = lab.bundle((s) => {
      s.process.args = ['sh', '-c', `umount ${f}; echo "umount=$?"; wc -c < ${f}`];
    });
    const r = await lab.run(b, lab.id('unmask'));
    expect(r.stdout).toBe('umount=1\n0\n');
  });

  it('the control: without maskedPaths the same files have content', async () => {
    const f = '/proc/timer_list';
    const b = lab.bundle((s) => {
      s.linux.maskedPaths = [];
      s.process.capabilities = { bounding: ['CAP_SYSLOG'], effective: ['CAP_SYSLOG'], permitted: ['CAP_SYSLOG'] };
      s.process.args = ['sh', '-c', `wc -c < ${f}`];
    });
    const r = await lab.run(b, lab.id('unmasked'));
    expect(Number(r.stdout.trim())).toBeGreaterThan(0);
  });
});

describe('read-only paths', () => {
  it('/proc/sys is read-only: root in the container cannot write a sysctl', async () => {
    const ro = spec.linux.readonlyPaths.filter((p) => fs.existsSync(p));
    expect(ro).toContain('/proc/sys');
    const b = lab.bundle((s) => {
      s.process.args = [
        'sh',
        '-c',
        `echo tsrun-ro > /proc/sys/kernel/hostname; echo "write=$?"; hostname; cut -d" " -f5,6 /proc/self/mountinfo | grep -x -E "(${ro.join('|')}) .*"`,
      ];
    });
    const r = await lab.run(b, lab.id('proc-sys-ro'));
    expect(r.stdout).toBe(`write=1\n${spec.hostname}\n${ro.map((p) => `${p} ro,relatime\n`).join('')}`);
    expect(r.stderr).toContain('Read-only file system');
  });

  it('the control: without readonlyPaths the (UTS-namespaced) hostname sysctl is writable', async () => {
    const b = lab.bundle((s) => {
      s.linux.readonlyPaths = [];
      s.process.args = ['sh', '-c', 'echo tsrun-rw > /proc/sys/kernel/hostname; echo "write=$?"; hostname'];
    });
    const r = await lab.run(b, lab.id('proc-sys-rw'));
    expect(r.stdout).toBe('write=0\ntsrun-rw\n');
  });

  it('cannot be remounted read-write by root in the container', async () => {
    const b = lab.bundle((s) => {
      s.process.args = ['sh', '-c', 'mount -o remount,rw /proc/sys; echo "remount=$?"; echo x > /proc/sys/kernel/hostname; echo "write=$?"'];
    });
    const r = await lab.run(b, lab.id('remount'));
    expect(r.stdout).toBe('remount=1\nwrite=1\n');
  });
});
