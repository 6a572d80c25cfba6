// The differential harness's pure parts: normalisation, the field diff, the
// rules' shape checks (a rule explains exactly its difference, nothing else)
// and the generator's determinism.
import { describe, expect, it } from 'vitest';
import type { Spec } from '../differential/lib/case';
import { generateCases } from '../differential/lib/generator';
import { diffFields, normaliseCgroupFiles, normaliseMounts, normaliseProbe } from '../differential/lib/normalise';
import { applyRules, RULES, type View } from '../differential/lib/rules';

const base = (): Spec => ({ ociVersion: '1.0.2-dev', process: { args: ['/bin/probe'], noNewPrivileges: true }, linux: { namespaces: [{ type: 'mount' }] } });
const view = (v: Partial<View> = {}): View => ({ outcome: 'ran', exit: 'exit 0', probe: {}, hooks: { host: [], container: [] }, said: '', ...v });
const host = { boundingSet: (1n << 41n) - 1n & ~(1n << 24n) };

function reconcile(config: Spec, runc: View, tsrun: View): string[] {
  return applyRules(RULES, { name: 't', config }, host).reconcile(runc, tsrun);
}

describe('normalisation', () => {
  it('describes namespaces and the keyring relative to the caller, drops pids seen from the host', () => {
    const raw = {
      ns: { net: 'net:[1]', pid: 'pid:[2]', uts: 'uts:[9]' },
      keyring: { serial: 5, describe: 'keyring;0;0;3f1b0000;_ses.c-1' },
      pid: 4242,
      ppid: 4200,
      fds: [{ fd: 1, target: 'pipe:[777]' }],
      cgroup: ['0::/x/c-1'],
    };
    const n = normaliseProbe(raw, { host: { ns: { net: 'net:[1]', pid: 'pid:[2]', uts: 'uts:[3]' }, keyring: { serial: 5 }, boundingSet: 0n }, runDir: '/run/d', id: 'c-1' });
    expect(n.ns).toEqual({ net: 'host', pid: 'host', uts: 'own' });
    expect(n.keyring).toEqual({ session: "caller's", describe: 'keyring;0;0;3f1b0000;_ses.@ID@' });
    expect([n.pid, n.ppid]).toEqual(['host pid', 'host pid']);
    expect(n.fds).toEqual([{ fd: 1, target: 'pipe' }]);
    expect(n.cgroup).toEqual(['0::/x/@ID@']);
  });

  it('sorts mounts by target, keeping stacked ones in order, and drops peer group numbers', () => {
    const m = normaliseMounts([
      { target: '/b', optional: ['shared:4'] },
      { target: '/a', optional: [] },
      { target: '/b', optional: ['master:2', 'propagate_from:1'] },
    ]) as { target: string; propagation: string }[];
    expect(m.map((x) => `${x.target} ${x.propagation}`)).toEqual(['/a private', '/b shared', '/b master,propagate_from']);
  });

  it('takes devices.list as a set and oom_control without its counters', () => {
    expect(normaliseCgroupFiles({ 'devices/devices.list': 'c 1:3 rwm\nb *:* m', 'memory/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3' })).toEqual({
      'devices/devices.list': 'b *:* m\nc 1:3 rwm',
      'memory/memory.oom_control': 'oom_kill_disable 0',
    });
  });

  it('names the differing fields two levels deep', () => {
    expect(diffFields({ probe: { caps: { a: 1 }, env: ['A'] }, exit: 'x' }, { probe: { caps: { a: 2 }, env: ['A'] }, exit: 'x' })).toEqual(['probe.caps']);
  });
});

describe('rules explain exactly their difference', () => {
  it('host-capabilities: runc is given the config without the capabilities the host cannot grant', () => {
    const c = base();
    (c.process as Record<string, unknown>).capabilities = { bounding: ['CAP_KILL', 'CAP_SYS_RESOURCE'], effective: ['CAP_SYS_RESOURCE'] };
    const p = applyRules(RULES, { name: 't', config: c }, host);
    expect(p.referenceRules).toContain('host-capabilities');
    expect((p.reference.process as { capabilities: unknown }).capabilities).toEqual({ bounding: ['CAP_KILL'], effective: [] });
  });

  it('time-namespace: only the time namespace fields, only when the config asks for one', () => {
    const c = base();
    (c.linux!.namespaces as unknown[]).push({ type: 'time' });
    const runc = view({ probe: { ns: { time: 'host', time_for_children: 'host', uts: 'host' } } });
    const tsrun = view({ probe: { ns: { time: 'own', time_for_children: 'own', uts: 'own' } } });
    expect(reconcile(c, runc, tsrun)).toContain('time-namespace');
    // the uts difference is still there
    expect(diffFields(runc.probe, tsrun.probe)).toEqual(['ns.uts']);
    // without a time namespace in the config the same views stay different
    const r2 = view({ probe: { ns: { time: 'host', time_for_children: 'host' } } });
    expect(reconcile(base(), r2, view({ probe: { ns: { time: 'own', time_for_children: 'own' } } }))).not.toContain('time-namespace');
  });

  it('relative-hook-path: only when tsrun refused naming the hook path', () => {
    const c = base();
    c.hooks = { prestart: [{ path: 'probe-hook' }] };
    const said = 'level=error msg="config.json: hooks.prestart[0].path: must be an absolute path, got \\"probe-hook\\""';
    expect(reconcile(c, view(), view({ outcome: 'refused', exit: undefined, probe: undefined, said }))).toContain('relative-hook-path');
    expect(reconcile(c, view(), view({ outcome: 'refused', exit: undefined, probe: undefined, said: 'level=error msg="mount failed"' }))).not.toContain('relative-hook-path');
  });

  it('cpu-weight-quadratic: only the two formulas\' values for the config\'s shares', () => {
    const c = base();
    c.linux!.resources = { cpu: { shares: 512 } };
    const runc = view({ probe: { cgroupFiles: { 'cpu.weight': '20' } } });
    expect(reconcile(c, runc, view({ probe: { cgroupFiles: { 'cpu.weight': '59' } } }))).toContain('cpu-weight-quadratic');
    expect(reconcile(c, view({ probe: { cgroupFiles: { 'cpu.weight': '21' } } }), view({ probe: { cgroupFiles: { 'cpu.weight': '59' } } }))).not.toContain('cpu-weight-quadratic');
  });

  it('readonly-paths-recursive: a read-only path named through a rootfs symlink covers the mounts under its target (#4762)', () => {
    const c = base();
    c.linux!.readonlyPaths = ['/data/link'];
    const bind = (opts: string) => ({ target: '/data/sub/bind1', fstype: 'ext4', root: '@RUN@/host/dir', opts, propagation: 'shared' });
    const runc = view({ probe: { mounts: [{ target: '/data/sub', opts: 'ro,relatime' }, bind('rw,relatime')] } });
    const tsrun = view({ probe: { mounts: [{ target: '/data/sub', opts: 'ro,relatime' }, bind('ro,relatime')] } });
    expect(reconcile(c, runc, tsrun)).toContain('readonly-paths-recursive');
    expect(diffFields(runc.probe, tsrun.probe)).toEqual([]);
    // a mount beside the path (not under /data/sub) is not explained
    const beside = (opts: string) => ({ ...bind(opts), target: '/data/other/bind1' });
    const r2 = view({ probe: { mounts: [beside('rw,relatime')] } });
    expect(reconcile(c, r2, view({ probe: { mounts: [beside('ro,relatime')] } }))).not.toContain('readonly-paths-recursive');
  });

  it('runc-cgroup-mount-under-sys-bind: also when tsrun went past the mounts and failed at the args[0] lookup (#1070)', () => {
    const c = base();
    c.linux!.namespaces = [{ type: 'mount' }, { type: 'user' }, { type: 'pid' }];
    c.mounts = [
      { destination: '/sys', type: 'sysfs', source: 'sysfs' },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' },
    ];
    const runcSaid = 'level=error msg="runc run failed: unable to start container process: error during container init: error mounting \\"cgroup\\" to rootfs at \\"/sys/fs/cgroup\\": stat /sys/fs/cgroup/cpu/x-r: no such file or directory"';
    const refused = (said: string, hooks: View['hooks'] = { host: [], container: [] }) => view({ outcome: 'refused', exit: 'exit 1', probe: undefined, said, hooks });
    const created = { host: [{ hook: 'prestart' }, { hook: 'createRuntime' }], container: [] };
    const runc = refused(runcSaid);
    const tsrun = refused('level=error msg="exec: \\"probe\\": executable file not found in $PATH"', created);
    expect(reconcile(c, runc, tsrun)).toContain('runc-cgroup-mount-under-sys-bind');
    expect(runc.hooks).toEqual(created);
    // tsrun failing at a mount of its own is not explained
    const mountFail = refused('level=error msg="bind mount /sys to /sys: operation not permitted (EPERM)"', created);
    expect(reconcile(c, refused(runcSaid), mountFail)).not.toContain('runc-cgroup-mount-under-sys-bind');
  });

  it('poststop-hooks-continue: the poststop hooks after one that outlasts its timeout run in tsrun only (#399)', () => {
    const c = base();
    const hook = (extra: string[] = [], timeout?: number) => ({ path: '@PROBE@', args: ['poststop', '--hook', 'poststop', '@RUN@/hooks.log', ...extra], ...(timeout ? { timeout } : {}) });
    c.hooks = { poststop: [hook(['--sleep', '1500'], 1), hook()] };
    const line = { hook: 'poststop', state: '{"status":"stopped"}' };
    const said = 'level=error msg="error running hook #0: hook ran past specified timeout of 1.0s"';
    const runc = view({ outcome: 'refused', exit: 'exit 1', probe: undefined, said });
    const tsrun = view({ outcome: 'refused', exit: 'exit 1', probe: undefined, hooks: { host: [line], container: [] } });
    expect(reconcile(c, runc, tsrun)).toContain('poststop-hooks-continue');
    expect(runc.hooks.host).toEqual([line]);
    // with the slow hook last nothing runs after it: the rule does not apply
    const c2 = base();
    c2.hooks = { poststop: [hook(), hook(['--sleep', '1500'], 1)] };
    const r2 = view({ outcome: 'refused', exit: 'exit 1', probe: undefined, said });
    expect(reconcile(c2, r2, view({ outcome: 'refused', exit: 'exit 1', probe: undefined, hooks: { host: [line, line], container: [] } }))).not.toContain('poststop-hooks-continue');
  });

  it('every rule says why and what it follows, and names are unique', () => {
    const names = RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of RULES) {
      expect(r.reason.length).toBeGreaterThan(20);
      expect(r.follows.length).toBeGreaterThan(3);
      expect(r.reference ?? r.reconcile).toBeDefined();
    }
  });
});

describe('the generator', () => {
  it('gives the same configs for the same seed, other ones for another', () => {
    const a = generateCases({ seed: 5, count: 20 });
    expect(generateCases({ seed: 5, count: 20 })).toEqual(a);
    expect(generateCases({ seed: 6, count: 20 })).not.toEqual(a);
  });

  it('points args[0] at the probe and passes it the masked and read-only paths and sysctls to look at', () => {
    for (const c of generateCases({ seed: 9, count: 50 })) {
      const args = (c.config.process as { args: string[] }).args;
      const linux = c.config.linux as { maskedPaths?: string[]; sysctl?: Record<string, string> };
      for (const p of linux.maskedPaths ?? []) expect(args.join(' ')).toContain(`--masked ${p}`);
      for (const k of Object.keys(linux.sysctl ?? {})) expect(args.join(' ')).toContain(`--sysctl ${k}`);
    }
  });

  it('the cgroup flavour mostly sets linux.resources', () => {
    const cs = generateCases({ seed: 3, count: 50, flavour: 'cgroup' });
    const withLimits = cs.filter((c) => Object.keys((c.config.linux as { resources?: object }).resources ?? {}).length > 1);
    expect(withLimits.length).toBeGreaterThan(35);
  });
});
