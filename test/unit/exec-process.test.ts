// What `exec` runs: runc's flag semantics over the config's process, the
// --process file taking over completely, the checks and runc's refusals.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, parseJsonText, type Process } from '../../oci-spec';
import type { HostFacts } from '../../src/container/config-checks';
import { capabilitiesFromMask } from '../../src/container/config-checks';
import { assertExecutable, checkExecTerminal, execNamespaces } from '../../src/container/exec';
import { normalizeCapability, processFromFlags, resolveExecProcess } from '../../src/container/exec-process';
import type { ExecOptions } from '../../src/container/operations';
import { ConfigError, InvalidStateError, UsageError } from '../../src/errors';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'oci');
const containerd = parseConfig(parseJsonText(fs.readFileSync(path.join(FIXTURES, 'containerd.json'), 'utf8'), 'containerd.json'));
const base = containerd.process as Process;

const facts: HostFacts = {
  namespaces: new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']),
  boundingSet: capabilitiesFromMask('000001fffeffffff'),
  effectiveCaps: capabilitiesFromMask('000001fffeffffff'),
  hardRlimits: { RLIMIT_NOFILE: 20000n },
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-execproc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function opts(extra: Partial<ExecOptions> = {}): ExecOptions {
  return { id: 'c1', args: ['sh'], env: [], tty: false, additionalGids: [], detach: false, caps: [], preserveFds: 0, ignorePaused: false, ...extra };
}

describe('processFromFlags (runc exec without --process)', () => {
  it('keeps the config process and replaces the args; the terminal is off unless -t', () => {
    const p = processFromFlags({ ...base, terminal: true, consoleSize: { height: 1, width: 2 } }, opts({ args: ['ls', '-l'] }));
    expect(p.args).toEqual(['ls', '-l']);
    expect(p.terminal).toBe(false);
    expect(p.consoleSize).toBeUndefined();
    expect(p.user).toEqual(base.user);
    expect(p.cwd).toBe('/');
    expect(p.capabilities).toEqual(base.capabilities);
    expect(p.rlimits).toEqual(base.rlimits);
    expect(p.noNewPrivileges).toBe(base.noNewPrivileges);
    expect(processFromFlags(base, opts({ tty: true })).terminal).toBe(true);
  });

  it('appends -e to env, replaces cwd and uid (gid only when given), appends -g', () => {
    const p = processFromFlags(base, opts({ env: ['A=1', 'PATH=/x'], cwd: '/tmp', user: { uid: 1000 }, additionalGids: [5, 27] }));
    expect(p.env).toEqual([...(base.env ?? []), 'A=1', 'PATH=/x']);
    expect(p.cwd).toBe('/tmp');
    expect(p.user).toEqual({ uid: 1000, gid: 0, additionalGids: [0, 5, 27] });
    expect(processFromFlags(base, opts({ user: { uid: 7, gid: 8 } })).user).toMatchObject({ uid: 7, gid: 8 });
  });

  it('--cap adds to bounding, effective and permitted; ambient only when the config has an inheritable set', () => {
    const p = processFromFlags(base, opts({ caps: ['net_admin', 'CAP_CHOWN'] }));
    for (const set of ['bounding', 'effective', 'permitted'] as const) {
      expect(p.capabilities![set]).toContain('CAP_NET_ADMIN');
      expect(p.capabilities![set]!.filter((c) => c === 'CAP_CHOWN')).toHaveLength(1);
    }
    expect(p.capabilities!.ambient).toBeUndefined();
    const withInh = processFromFlags({ ...base, capabilities: { ...base.capabilities, inheritable: [] } }, opts({ caps: ['CAP_NET_ADMIN'] }));
    expect(withInh.capabilities!.ambient).toEqual(['CAP_NET_ADMIN']);
    expect(base.capabilities!.bounding).not.toContain('CAP_NET_ADMIN'); // the config is not modified
  });

  it('--no-new-privs overrides only when given', () => {
    const nnp = { ...base, noNewPrivileges: false };
    expect(processFromFlags(nnp, opts()).noNewPrivileges).toBe(false);
    expect(processFromFlags(nnp, opts({ noNewPrivs: true })).noNewPrivileges).toBe(true);
  });

  it('normalizes capability names', () => {
    expect(['sys_admin', 'SYS_ADMIN', 'CAP_SYS_ADMIN', ' cap_sys_admin '].map(normalizeCapability)).toEqual(Array(4).fill('CAP_SYS_ADMIN'));
  });
});

describe('resolveExecProcess', () => {
  it('with --process the file is the whole process; the flags do not apply', () => {
    const file = path.join(tmp, 'p.json');
    fs.writeFileSync(file, JSON.stringify({ terminal: true, user: { uid: 5, gid: 6 }, args: ['top'], cwd: '/srv', env: ['X=1'] }));
    const r = resolveExecProcess(opts({ processFile: file, args: [], cwd: '/etc', env: ['Y=2'], tty: false, user: { uid: 0 } }), base, facts);
    expect(r.process).toMatchObject({ terminal: true, user: { uid: 5, gid: 6 }, args: ['top'], cwd: '/srv', env: ['X=1'] });
    expect(r.process.capabilities).toBeUndefined();
    expect(r.label).toBe(file);
  });

  it('names the file and the JSON path of what is wrong, schema and semantic errors alike', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ args: ['sh'], cwd: '/', user: { uid: -1, gid: 0 } }));
    expect(() => resolveExecProcess(opts({ processFile: bad }), base, facts)).toThrow(new RegExp(`^${bad}: user\\.uid: `));
    fs.writeFileSync(bad, JSON.stringify({ args: [], cwd: 'rel', user: { uid: 0, gid: 0 } }));
    const e = (() => {
      try {
        resolveExecProcess(opts({ processFile: bad }), base, facts);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe(`${bad}: args: must contain at least one entry (the program to run); ${bad}: cwd: must be an absolute path, got "rel"`);
    expect(e.jsonPath).toBe('args');
    fs.writeFileSync(bad, '{"args": ["sh"], ');
    expect(() => resolveExecProcess(opts({ processFile: bad }), base, facts)).toThrow(bad);
    expect(() => resolveExecProcess(opts({ processFile: path.join(tmp, 'missing.json') }), base, facts)).toThrow(/ENOENT|no such file/);
  });

  it('checks flag-built processes too, and reports warnings (an ungrantable capability)', () => {
    expect(() => resolveExecProcess(opts({ cwd: 'tmp' }), base, facts)).toThrow('exec process: cwd: must be an absolute path, got "tmp"');
    const r = resolveExecProcess(opts({ caps: ['CAP_SYS_RESOURCE'] }), base, facts);
    expect(r.warnings.join('\n')).toContain('CAP_SYS_RESOURCE');
    expect(() => resolveExecProcess(opts({ args: [] }), base, facts)).toThrow(UsageError);
  });
});

describe("runc's refusals and checks", () => {
  it('refuses stopped containers, and paused ones without --ignore-paused, with runc\'s words', () => {
    expect(() => assertExecutable('c1', 'stopped', true)).toThrow(InvalidStateError);
    expect(() => assertExecutable('c1', 'stopped', true)).toThrow('cannot exec in a stopped container');
    expect(() => assertExecutable('c1', 'paused', false)).toThrow('cannot exec in a paused container (use --ignore-paused to override)');
    for (const s of ['created', 'running'] as const) expect(() => assertExecutable('c1', s, false)).not.toThrow();
    expect(() => assertExecutable('c1', 'paused', true)).not.toThrow();
  });

  it('pairs terminal and console socket like runc checkTerminal', () => {
    expect(() => checkExecTerminal(true, { detach: true })).toThrow('cannot allocate tty if tsrun will detach without setting console socket');
    expect(() => checkExecTerminal(false, { detach: true, consoleSocket: '/s' })).toThrow('cannot use console socket if tsrun will not detach or allocate tty');
    expect(() => checkExecTerminal(true, { detach: true, consoleSocket: '/s' })).not.toThrow();
    expect(() => checkExecTerminal(true, { detach: false })).not.toThrow(); // tsrun relays the pty itself
    expect(() => checkExecTerminal(false, { detach: false })).not.toThrow();
  });

  it("joins every namespace the container has, through the init's /proc entries", () => {
    expect(execNamespaces(42, containerd).map((n) => `${n.type}=${n.path}`).sort()).toEqual([
      'ipc=/proc/42/ns/ipc',
      'mount=/proc/42/ns/mnt',
      'network=/proc/42/ns/net',
      'pid=/proc/42/ns/pid',
      'uts=/proc/42/ns/uts',
    ]);
    expect(execNamespaces(7, { linux: { namespaces: [{ type: 'user' }, { type: 'cgroup' }, { type: 'time' }] } })).toEqual([
      { type: 'user', path: '/proc/7/ns/user' },
      { type: 'cgroup', path: '/proc/7/ns/cgroup' },
      { type: 'time', path: '/proc/7/ns/time' },
    ]);
  });
});
