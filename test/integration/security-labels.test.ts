// AppArmor profiles, SELinux labels and capabilities the host cannot give:
// refused or warned about clearly before anything starts, and applied by the
// init (through the checked procfs lookup) where the host claims support.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer } from '../../src/container/create';
import { readHost } from '../../src/container/host';
import { ContainerProcessError } from '../../src/container/init-process';
import { native } from '../../src/native';
import { ContainerLab } from '../helpers';

const lab = new ContainerLab('labels', { probe: true });
const host = readHost();
const noAppArmor = host.checks.apparmorEnabled === false;
const noSelinux = host.checks.selinuxEnabled === false;
const noSysResource = !host.checks.boundingSet.has('CAP_SYS_RESOURCE');

beforeAll(() => lab.snapshot());
afterAll(() => lab.cleanup());

/** the spec's process with the fields the default spec leaves out */
const proc = (s: { process: object }) => s.process as Record<string, unknown>;

interface LogRecord {
  level: string;
  msg: string;
}
const records = (file: string): LogRecord[] =>
  fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogRecord) : [];

async function createWithLog(edit: (s: ReturnType<ContainerLab['bundle']>['spec']) => void) {
  const b = lab.bundle((s) => {
    s.process.args = ['true'];
    edit(s);
  });
  const id = lab.id('labels');
  const log = path.join(b.dir, 'log.json');
  const r = await lab.create(b, id, { global: ['--log', log, '--log-format', 'json'] });
  return { b, id, r, log: records(log) };
}

describe.runIf(noAppArmor)('a host without AppArmor', () => {
  it('refuses process.apparmorProfile before anything starts, naming the profile', async () => {
    const { id, r, log } = await createWithLog((s) => (proc(s).apparmorProfile = 'tsrun-test-profile'));
    expect(r.code).toBe(1);
    expect(log.at(-1)).toMatchObject({
      level: 'error',
      msg: expect.stringContaining('process.apparmorProfile: AppArmor is not enabled on this host, so profile "tsrun-test-profile" cannot be applied'),
    });
    expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
  });

  it('accepts the empty profile docker sends when AppArmor is off', async () => {
    const { id, r } = await createWithLog((s) => (proc(s).apparmorProfile = ''));
    expect(r.code).toBe(0);
    await lab.forceDelete(id);
  });
});

describe.runIf(noSelinux)('a host without SELinux', () => {
  it('refuses process.selinuxLabel, naming the label', async () => {
    const { id, r, log } = await createWithLog((s) => (proc(s).selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2'));
    expect(r.code).toBe(1);
    expect(log.at(-1)?.msg).toContain(
      'process.selinuxLabel: SELinux is not enabled on this host, so label "system_u:system_r:container_t:s0:c1,c2" cannot be applied',
    );
    expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
  });

  it('creates and starts with linux.mountLabel, warning that it is ignored', async () => {
    const { id, r, log } = await createWithLog((s) => {
      (s.linux as Record<string, unknown>).mountLabel = 'system_u:object_r:container_file_t:s0';
    });
    expect(r.code).toBe(0);
    expect(log).toContainEqual(
      expect.objectContaining({ level: 'warning', msg: expect.stringContaining('linux.mountLabel: SELinux is not enabled on this host') }),
    );
    const start = await lab.cli(['start', id]);
    expect(start.code).toBe(0);
    await lab.forceDelete(id);
  });
});

describe('the init applies the labels through procfs (host facts faked to claim support)', () => {
  // readHost() with AppArmor/SELinux "enabled": the checks pass, so the init
  // really writes the attribute; this kernel has neither LSM, so it refuses,
  // and that refusal must come back as a clear create error.
  async function createClaimingSupport(edit: (s: ReturnType<ContainerLab['bundle']>['spec']) => void): Promise<unknown> {
    const b = lab.bundle((s) => {
      s.process.args = ['true'];
      edit(s);
    });
    const id = lab.id('lsm');
    const claim = () => {
      const h = readHost();
      h.checks.apparmorEnabled = true;
      h.checks.selinuxEnabled = true;
      return h;
    };
    const ctx = { root: lab.root, rootExplicit: true, systemdCgroup: false };
    try {
      await createContainer(
        ctx,
        { id, bundle: b.dir, noPivot: false, noNewKeyring: false, preserveFds: 0, detach: true },
        { native: native(), host: claim },
      );
      return undefined;
    } catch (e) {
      expect(fs.existsSync(path.join(lab.root, id))).toBe(false);
      return e;
    }
  }

  it.runIf(noAppArmor)('AppArmor: "exec <profile>" is written before execve (refused here: no AppArmor)', async () => {
    const e = await createClaimingSupport((s) => (proc(s).apparmorProfile = 'tsrun-test-profile'));
    expect(e).toBeInstanceOf(ContainerProcessError);
    expect((e as Error).message).toMatch(/^apply AppArmor profile tsrun-test-profile: invalid argument \(EINVAL\)$/);
  });

  it.runIf(noSelinux)('SELinux: the label is written to attr/exec (refused here: no SELinux)', async () => {
    const e = await createClaimingSupport((s) => (proc(s).selinuxLabel = 'system_u:system_r:container_t:s0'));
    expect(e).toBeInstanceOf(ContainerProcessError);
    expect((e as Error).message).toMatch(/^apply SELinux label system_u:system_r:container_t:s0: invalid argument \(EINVAL\)$/);
  });
});

describe.runIf(noSysResource)('capabilities the host lacks (CAP_SYS_RESOURCE here)', () => {
  it('create works and warns naming them; the container runs without them', async () => {
    const { id, r, log } = await createWithLog((s) => {
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process.capabilities[set].push('CAP_SYS_RESOURCE', 'CAP_SYS_ADMIN');
      (s.process.capabilities as Record<string, string[]>).inheritable = ['CAP_SYS_RESOURCE'];
      (s.process.capabilities as Record<string, string[]>).ambient = ['CAP_SYS_RESOURCE'];
      s.process.args = ['grep', '^Cap', '/proc/self/status'];
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    const warnings = log.filter((l) => l.level === 'warning').map((l) => l.msg);
    expect(warnings.some((w) => w.includes('CAP_SYS_RESOURCE'))).toBe(true);
    expect(warnings.join('\n')).not.toContain('CAP_SYS_ADMIN');
    const start = await lab.cli(['start', id]);
    expect(start.code).toBe(0);
    await lab.forceDelete(id);
  });

  it('run prints the warning on stderr without --log, and the process gets every other capability asked for', async () => {
    const b = lab.bundle((s) => {
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process.capabilities[set] = ['CAP_SYS_RESOURCE', 'CAP_SYS_ADMIN', 'CAP_KILL'];
      s.process.args = ['grep', '^CapEff', '/proc/self/status'];
    });
    const r = await lab.run(b, lab.id('caps-run'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/level=warning msg=".*CAP_SYS_RESOURCE/);
    // CAP_KILL (5) and CAP_SYS_ADMIN (21), not CAP_SYS_RESOURCE (24)
    expect(r.stdout).toBe(`CapEff:\t${((1n << 5n) | (1n << 21n)).toString(16).padStart(16, '0')}\n`);
  });
});
