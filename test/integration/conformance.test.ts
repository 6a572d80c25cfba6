// Issue 9's defects, found running configs other tools write, each checked
// on a real container:
//  - looking up args[0] never depends on the container's own seccomp
//    profile: an errno-default profile that does not list faccessat2 (what
//    glibc's faccessat(AT_EACCESS) uses) runs, with an absolute and a
//    PATH-relative args[0], with no_new_privileges off and on;
//  - every container gets a session keyring of its own ("_ses.<id>", as
//    runc), which processes exec'd into it join; --no-new-keyring keeps the
//    caller's.
// The differential probe (test/differential/probe.c) reports what the
// process sees: its session keyring, its seccomp mode and what faccessat2
// gives it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Seccomp } from '../../oci-spec/runtime';
import { defaultSeccompProfile } from '../../src/seccomp/default-profile';
import { buildProbe } from '../differential/lib/probe';
import { containerLab, type Bundle } from '../helpers';

const lab = containerLab('conformance');
let probe: string;

beforeAll(() => {
  probe = buildProbe();
});

interface ProbeView {
  keyring: { serial?: number; describe?: string; error?: string };
  seccomp: string;
  noNewPrivs: string;
  syscalls: Record<string, string>;
}

/** The probe's JSON block and its per-syscall lines. */
function parseProbe(stdout: string): ProbeView {
  const b = stdout.indexOf('@@probe-begin@@\n');
  const e = stdout.indexOf('@@probe-end@@');
  if (b < 0 || e < 0) throw new Error(`no probe output in: ${stdout.slice(0, 400)}`);
  const view = JSON.parse(stdout.slice(b + '@@probe-begin@@\n'.length, e)) as ProbeView;
  view.syscalls = {};
  for (const m of stdout.slice(e).matchAll(/^@@sys (\S+) (\S+)$/gm)) view.syscalls[m[1]!] = m[2]!;
  return view;
}

function withProbe(args: string[], more: (s: Bundle['spec'] & Record<string, any>) => void = () => {}): Bundle {
  return lab.bundle((s) => {
    s.process.args = args;
    s.root.readonly = false;
    more(s as Bundle['spec'] & Record<string, any>);
  });
}

function installProbe(b: Bundle): void {
  fs.copyFileSync(probe, path.join(b.rootfs, 'bin', 'probe'));
  fs.chmodSync(path.join(b.rootfs, 'bin', 'probe'), 0o755);
}

/**
 * A profile as written before 2021: errno default (EPERM), no
 * architectures, every syscall a program needs except the newer ones
 * (faccessat2 in particular).
 */
function profileWithoutFaccessat2(): Seccomp {
  const current = defaultSeccompProfile('x64');
  const allow = (current.syscalls ?? [])
    .filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args)
    .flatMap((r) => r.names ?? [])
    .filter((n) => !['faccessat2', 'openat2', 'clone3', 'close_range'].includes(n));
  return { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [...allow, 'personality', 'clone'], action: 'SCMP_ACT_ALLOW' }] };
}

describe('args[0] lookup and the container seccomp profile', () => {
  for (const nnp of [false, true]) {
    for (const argv0 of ['/bin/probe', 'probe']) {
      it(`an errno-default profile without faccessat2 runs ${argv0 === 'probe' ? 'a PATH-relative' : 'an absolute'} args[0] (noNewPrivileges ${nnp})`, async () => {
        const b = withProbe([argv0], (s) => {
          s.process.noNewPrivileges = nnp;
          s.linux.seccomp = profileWithoutFaccessat2();
        });
        installProbe(b);
        const r = await lab.run(b, lab.id('lookup'));
        expect(r.stderr).not.toMatch(/level=error/);
        expect(r.code).toBe(0);
        const v = parseProbe(r.stdout);
        expect(v.seccomp).toBe('2');
        expect(v.noNewPrivs).toBe(nnp ? '1' : '0');
        // the program itself is refused faccessat2: the profile is in force
        expect(v.syscalls.faccessat2).toBe('EPERM');
      });
    }
  }

  it('a missing PATH-relative args[0] is still refused by create, naming it', async () => {
    const b = withProbe(['no-such-program'], (s) => {
      s.linux.seccomp = profileWithoutFaccessat2();
    });
    const r = await lab.run(b, lab.id('lookup-missing'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('exec: \\"no-such-program\\": executable file not found in $PATH');
  });

  it('a program the container user may not execute is refused, checked with that user\'s ids and capabilities', async () => {
    const b = withProbe(['/bin/probe'], (s) => {
      s.process.user = { uid: 1000, gid: 1000 };
      s.linux.seccomp = profileWithoutFaccessat2();
    });
    installProbe(b);
    fs.chmodSync(path.join(b.rootfs, 'bin', 'probe'), 0o700); // root's only
    const r = await lab.run(b, lab.id('lookup-denied'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/exec: \\"\/bin\/probe\\": access: permission denied \(EACCES\)/);
  });
});

/** The caller's session keyring, seen by a probe started from this process (as tsrun is). */
function callerKeyring(): { serial?: number; describe?: string } {
  return parseProbe(execFileSync(probe, ['--host'], { encoding: 'utf8' })).keyring;
}

describe('session keyring', () => {
  it('a container gets a new session keyring "_ses.<id>", searchable by its possessor\'s uid', async () => {
    const b = withProbe(['/bin/probe'], (s) => {
      delete s.linux.seccomp;
    });
    installProbe(b);
    const id = lab.id('keyring');
    const r = await lab.run(b, id);
    expect(r.code).toBe(0);
    const inside = parseProbe(r.stdout).keyring;
    expect(inside.serial).toBeGreaterThan(0);
    expect(inside.serial).not.toBe(callerKeyring().serial);
    const [type, , , perm, name] = String(inside.describe).split(';');
    expect(type).toBe('keyring');
    expect(name).toBe(`_ses.${id}`);
    expect(Number.parseInt(perm!, 16) & 0x80000).toBe(0x80000);
  });

  it('--no-new-keyring keeps the caller\'s session keyring', async () => {
    const b = withProbe(['/bin/probe']);
    installProbe(b);
    const r = await lab.cli(['run', '--no-new-keyring', '--bundle', b.dir, lab.id('keyring-none')]);
    expect(r.code).toBe(0);
    expect(parseProbe(r.stdout).keyring.serial).toBe(callerKeyring().serial);
  });

  it('in a user namespace the keyring is searchable by others (the possessor\'s uid is not mapped)', async () => {
    const b = withProbe(['/bin/probe'], (s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    installProbe(b);
    // the mapped root must be able to reach the rootfs
    for (let d = b.rootfs; d !== path.dirname(d) && d.startsWith(lab.work); d = path.dirname(d)) fs.chmodSync(d, 0o755);
    const id = lab.id('keyring-userns');
    const r = await lab.run(b, id);
    expect(r.stderr).not.toMatch(/level=error/);
    expect(r.code).toBe(0);
    const inside = parseProbe(r.stdout).keyring;
    expect(inside.serial).not.toBe(callerKeyring().serial);
    expect(Number.parseInt(String(inside.describe).split(';')[3]!, 16) & 0x8).toBe(0x8);
  });

  it('a process exec\'d into the container joins its keyring, unless it was created with --no-new-keyring', async () => {
    for (const noNew of [false, true]) {
      const b = withProbe(['sleep', '30']);
      installProbe(b);
      const id = lab.id('keyring-exec');
      const created = await lab.cliDetached(['create', ...(noNew ? ['--no-new-keyring'] : []), '--bundle', b.dir, id]);
      expect(created.code).toBe(0);
      expect((await lab.cli(['start', id])).code).toBe(0);
      const initKeyring = parseProbe((await lab.cli(['exec', id, '/bin/probe'])).stdout).keyring;
      const again = parseProbe((await lab.cli(['exec', id, '/bin/probe'])).stdout).keyring;
      expect(again.serial).toBe(initKeyring.serial);
      if (noNew) expect(initKeyring.serial).toBe(callerKeyring().serial);
      else {
        expect(initKeyring.serial).not.toBe(callerKeyring().serial);
        expect(String(initKeyring.describe).split(';')[4]).toBe(`_ses.${id}`);
      }
      await lab.forceDelete(id);
    }
  });
});
