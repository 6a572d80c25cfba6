import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ContainerProcessStateSchema,
  DescriptorSchema,
  FeaturesSchema,
  ImageConfigSchema,
  ImageLayoutSchema,
  IndexSchema,
  ManifestSchema,
  MEDIA_TYPES,
  SpecValidationError,
  StateSchema,
  parseConfig,
  parseJsonText,
  parseProcess,
  parseResources,
  parseWithSchema,
} from '../../oci-spec';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'oci');
const fixtureText = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
const fixture = (name: string): Record<string, any> => parseJsonText(fixtureText(name), name) as Record<string, any>;

/** The message parseConfig throws for `doc`, or fails the test if it does not throw. */
function configError(doc: unknown): SpecValidationError {
  try {
    parseConfig(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecValidationError);
    return e as SpecValidationError;
  }
  throw new Error('expected parseConfig to throw');
}

/** runc's default spec with one change applied. */
function runcDefaultWith(change: (c: Record<string, any>) => void): Record<string, any> {
  const c = fixture('runc-default.json');
  change(c);
  return c;
}

describe('parseConfig accepts real configs', () => {
  it("parses runc's default spec (runc spec)", () => {
    const c = parseConfig(fixture('runc-default.json'));
    expect(c.ociVersion).toBe('1.0.2-dev');
    expect(c.root).toEqual({ path: 'rootfs', readonly: true });
    expect(c.process?.user).toEqual({ uid: 0, gid: 0 });
    expect(c.process?.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(c.linux?.namespaces?.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount']);
    expect(c.linux?.resources?.devices).toEqual([{ allow: false, access: 'rwm' }]);
    expect(c.mounts).toHaveLength(7);
  });

  it.each(['containerd.json', 'docker.json', 'podman.json'])('parses an engine config like %s, keeping every field', (name) => {
    const doc = fixture(name);
    // the fixtures use no field outside the spec, so nothing may be dropped or changed
    expect(parseConfig(doc)).toEqual(doc);
  });

  it('keeps every field of a config that fills every process and linux field', () => {
    const doc = fixture('full-linux.json');
    const c = parseConfig(doc);
    expect(c).toEqual(doc);
    expect(Object.keys(c.linux!).sort()).toEqual(
      [
        'cgroupsPath', 'devices', 'gidMappings', 'intelRdt', 'maskedPaths', 'memoryPolicy', 'mountLabel', 'namespaces',
        'netDevices', 'personality', 'readonlyPaths', 'resources', 'rootfsPropagation', 'seccomp', 'sysctl',
        'timeOffsets', 'uidMappings',
      ].sort(),
    );
    expect(Object.keys(c.linux!.resources!).sort()).toEqual(
      ['blockIO', 'cpu', 'devices', 'hugepageLimits', 'memory', 'network', 'pids', 'rdma', 'unified'].sort(),
    );
    expect(Object.keys(c.process!).sort()).toEqual(
      [
        'apparmorProfile', 'args', 'capabilities', 'consoleSize', 'cwd', 'env', 'execCPUAffinity', 'ioPriority',
        'noNewPrivileges', 'oomScoreAdj', 'rlimits', 'scheduler', 'selinuxLabel', 'terminal', 'user',
      ].sort(),
    );
    expect(Object.keys(c.hooks!)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  });

  it('accepts the minimal config and a config without process', () => {
    expect(parseConfig({ ociVersion: '1.0.0', root: { path: 'rootfs' } })).toEqual({ ociVersion: '1.0.0', root: { path: 'rootfs' } });
  });

  it('ignores unknown fields at every level, like runc', () => {
    const c = parseConfig(
      runcDefaultWith((c) => {
        c.windows = { layerFolders: [] };
        c.process.futureField = 1;
        c.process.user.futureField = 'x';
        c.linux.futureField = true;
        c.linux.namespaces[0].futureField = {};
        c.mounts[0].futureField = [];
      }),
    );
    expect(c).not.toHaveProperty('windows');
    expect(c.process).not.toHaveProperty('futureField');
    expect(c.process!.user).not.toHaveProperty('futureField');
    expect(c.linux).not.toHaveProperty('futureField');
    expect(c.linux!.namespaces![0]).toEqual({ type: 'pid' });
    expect(c.mounts![0]).not.toHaveProperty('futureField');
  });

  it('reads null in an optional field as absent (Go semantics) but not in a required one', () => {
    const c = parseConfig(runcDefaultWith((c) => {
      c.hostname = null;
      c.process.rlimits = null;
      c.linux.resources = null;
    }));
    expect(c.hostname).toBeUndefined();
    expect(c.process!.rlimits).toBeUndefined();
    expect(c.linux!.resources).toBeUndefined();
    expect(configError(runcDefaultWith((c) => (c.process.cwd = null))).message).toBe('config.json: process.cwd: expected a string, got null');
    expect(configError(runcDefaultWith((c) => (c.process.user.uid = null))).message).toBe(
      'config.json: process.user.uid: expected a number, got null',
    );
  });
});

describe('parseConfig errors name the JSON path and what was expected', () => {
  const cases: Array<[string, (c: Record<string, any>) => void, string]> = [
    ['an enum value', (c) => (c.linux.namespaces[2].type = 'foo'),
      'config.json: linux.namespaces[2].type: expected one of pid, network, mount, ipc, uts, user, cgroup, time, got "foo"'],
    ['an enum of the wrong type', (c) => (c.linux.namespaces[0].type = 5),
      'config.json: linux.namespaces[0].type: expected one of pid, network, mount, ipc, uts, user, cgroup, time, got number'],
    ['a number given as a string', (c) => (c.process.user.uid = '0'), 'config.json: process.user.uid: expected a number, got string'],
    ['a missing required string', (c) => delete c.process.cwd, 'config.json: process.cwd: required field is missing (expected a string)'],
    ['a missing required number', (c) => delete c.process.user.gid, 'config.json: process.user.gid: required field is missing (expected a number)'],
    ['a missing required object', (c) => delete c.process.user, 'config.json: process.user: required field is missing (expected an object)'],
    ['a missing ociVersion', (c) => delete c.ociVersion, 'config.json: ociVersion: required field is missing (expected a string)'],
    ['a missing enum', (c) => delete c.linux.namespaces[1].type,
      'config.json: linux.namespaces[1].type: required field is missing (expected one of pid, network, mount, ipc, uts, user, cgroup, time)'],
    ['a uint32 below range', (c) => (c.process.user.uid = -1),
      'config.json: process.user.uid: expected an integer from 0 to 4294967295 (uint32), got -1'],
    ['a uint32 above range', (c) => (c.process.user.additionalGids = [1, 4294967296]),
      'config.json: process.user.additionalGids[1]: expected an integer from 0 to 4294967295 (uint32), got 4294967296'],
    ['a fraction', (c) => (c.process.rlimits[0].soft = 1.5), 'config.json: process.rlimits[0].soft: expected an integer, got 1.5'],
    ['a negative uint64', (c) => (c.process.rlimits[0].hard = -1),
      'config.json: process.rlimits[0].hard: expected an integer from 0 to 18446744073709551615 (uint64), got -1'],
    ['an unknown rlimit', (c) => (c.process.rlimits[0].type = 'RLIMIT_FOO'),
      'config.json: process.rlimits[0].type: expected one of RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, ' +
      'RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE, ' +
      'RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME, got "RLIMIT_FOO"'],
    ['an object instead of an array', (c) => (c.mounts = {}), 'config.json: mounts: expected an array, got object'],
    ['a string instead of an object', (c) => (c.linux = 'yes'), 'config.json: linux: expected an object, got string'],
    ['a string instead of a boolean', (c) => (c.root.readonly = 'true'), 'config.json: root.readonly: expected a boolean, got string'],
    ['a string array element', (c) => (c.process.args = ['sh', 1]), 'config.json: process.args[1]: expected a string, got number'],
    ['a map value', (c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': 1 }),
      'config.json: linux.sysctl["net.ipv4.ip_forward"]: expected a string, got number'],
    ['an annotation value', (c) => (c.annotations = { 'io.podman.annotations.init': false }),
      'config.json: annotations["io.podman.annotations.init"]: expected a string, got boolean'],
    ['a hugepage size pattern', (c) => (c.linux.resources.hugepageLimits = [{ pageSize: '2M', limit: 1 }]),
      'config.json: linux.resources.hugepageLimits[0].pageSize: expected a page size such as "2MB" or "1GB", got "2M"'],
    ['a device access pattern', (c) => (c.linux.resources.devices[0].access = 'rwx'),
      'config.json: linux.resources.devices[0].access: expected a combination of r, w and m, got "rwx"'],
    ['an unknown time namespace clock', (c) => (c.linux.timeOffsets = { realtime: { secs: 1 } }),
      'config.json: linux.timeOffsets.realtime: unknown clock name, expected one of boottime, monotonic'],
    ['a seccomp action', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_DENY' }),
      'config.json: linux.seccomp.defaultAction: expected one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, ' +
      'SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY, got "SCMP_ACT_DENY"'],
    ['a seccomp operator', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'EQ' }] }] }),
      'config.json: linux.seccomp.syscalls[0].args[0].op: expected one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, ' +
      'SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ, got "EQ"'],
    ['a rootfs propagation', (c) => (c.linux.rootfsPropagation = 'recursive'),
      'config.json: linux.rootfsPropagation: expected one of private, rprivate, shared, rshared, slave, rslave, unbindable, runbindable, got "recursive"'],
    ['a device type', (c) => (c.linux.devices = [{ path: '/dev/x', type: 'x', major: 1, minor: 1 }]),
      'config.json: linux.devices[0].type: expected one of c, b, u, p, got "x"'],
    ['a uint16 weight', (c) => (c.linux.resources.blockIO = { weight: 70000 }),
      'config.json: linux.resources.blockIO.weight: expected an integer from 0 to 65535 (uint16), got 70000'],
  ];

  it.each(cases)('%s', (_what, change, message) => {
    const err = configError(runcDefaultWith(change));
    expect(err.message).toBe(message);
    expect(err.issues).toHaveLength(1);
  });

  it('reports the document itself when it is not an object', () => {
    expect(configError([]).message).toBe('config.json: expected an object, got array');
    expect(configError(null).message).toBe('config.json: expected an object, got null');
  });

  it('carries file, jsonPath and expected, and lists several problems', () => {
    const err = configError(
      runcDefaultWith((c) => {
        c.process.user.uid = 'x';
        c.linux.namespaces[2].type = 'foo';
      }),
    );
    expect(err.file).toBe('config.json');
    expect(err.jsonPath).toBe('process.user.uid');
    expect(err.expected).toBe('expected a number, got string');
    expect(err.issues.map((i) => i.jsonPath)).toEqual(['process.user.uid', 'linux.namespaces[2].type']);
    expect(err.message).toBe(
      'config.json: process.user.uid: expected a number, got string\n' +
        'config.json: linux.namespaces[2].type: expected one of pid, network, mount, ipc, uts, user, cgroup, time, got "foo"',
    );
  });

  it('lists five problems and counts the rest', () => {
    const err = configError(runcDefaultWith((c) => (c.process.args = [1, 2, 3, 4, 5, 6, 7])));
    expect(err.issues).toHaveLength(7);
    expect(err.message.split('\n')).toEqual([
      'config.json: process.args[0]: expected a string, got number',
      'config.json: process.args[1]: expected a string, got number',
      'config.json: process.args[2]: expected a string, got number',
      'config.json: process.args[3]: expected a string, got number',
      'config.json: process.args[4]: expected a string, got number',
      'config.json: ... and 2 more problems',
    ]);
  });

  it('names the file it was given', () => {
    const err = (() => {
      try {
        parseConfig({ ociVersion: 1 }, '/bundles/b1/config.json');
      } catch (e) {
        return e as SpecValidationError;
      }
      throw new Error('no error');
    })();
    expect(err.message).toBe('/bundles/b1/config.json: ociVersion: expected a string, got number');
  });
});

describe('64-bit integers', () => {
  it('keeps uint64 values above 2^53 exact as bigint when read with parseJsonText', () => {
    const c = parseConfig(parseJsonText(fixtureText('full-linux.json'), 'config.json'));
    const core = c.process!.rlimits!.find((r) => r.type === 'RLIMIT_CORE')!;
    expect(core.hard).toBe(18446744073709551615n);
    expect(core.soft).toBe(18446744073709551615n);
    expect(c.linux!.resources!.memory!.swappiness).toBe(18446744073709551615n);
    const ioctlArg = c.linux!.seccomp!.syscalls![2].args![0];
    expect(ioctlArg.value).toBe(18446744073709551615n);
    expect(ioctlArg.valueTwo).toBe(18446744073709551600n);
    // values that fit stay plain numbers
    expect(c.process!.rlimits![0].hard).toBe(4096);
    expect(c.linux!.resources!.memory!.limit).toBe(536870912);
  });

  it('keeps int64 extremes and the first unsafe integers exact', () => {
    const r = parseResources(
      parseJsonText('{"memory": {"limit": 9223372036854775807, "swap": -9223372036854775808, "reservation": 9007199254740993}}', 'r.json'),
    );
    expect(r.memory).toEqual({ limit: 9223372036854775807n, swap: -9223372036854775808n, reservation: 9007199254740993n });
    expect(parseResources({ memory: { limit: 9007199254740991 } }).memory!.limit).toBe(9007199254740991);
  });

  it('rejects values outside the 64-bit ranges', () => {
    const tooBig = parseJsonText('{"pids": {"limit": 9223372036854775808}}', 'r.json');
    expect(() => parseResources(tooBig, 'r.json')).toThrow(
      'r.json: pids.limit: expected an integer from -9223372036854775808 to 9223372036854775807 (int64), got 9223372036854775808',
    );
    const overU64 = parseJsonText('{"cpu": {"shares": 18446744073709551616}}', 'r.json');
    expect(() => parseResources(overU64, 'r.json')).toThrow(
      'r.json: cpu.shares: expected an integer from 0 to 18446744073709551615 (uint64), got 18446744073709551616',
    );
  });

  it('explains the precision loss when the JSON was read with JSON.parse', () => {
    const lossy = JSON.parse('{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}');
    expect(() => parseProcess({ user: { uid: 0, gid: 0 }, cwd: '/', rlimits: [lossy] }, 'p.json')).toThrow(
      'p.json: rlimits[0].hard: expected an integer from 0 to 18446744073709551615 (uint64), got 18446744073709552000 ' +
        '(integers past 2^53 lose precision in JSON.parse; read the file with parseJsonText)',
    );
  });

  it('accepts bigint input and normalises small bigints to numbers', () => {
    const p = parseProcess({ user: { uid: 5n, gid: 0 }, cwd: '/', rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10n, hard: 2n ** 64n - 1n }] });
    expect(p.user.uid).toBe(5);
    expect(p.rlimits![0].soft).toBe(10);
    expect(p.rlimits![0].hard).toBe(2n ** 64n - 1n);
  });
});

describe('parseJsonText', () => {
  const syntaxError = (text: string): string => {
    try {
      parseJsonText(text, 'config.json');
    } catch (e) {
      expect(e).toBeInstanceOf(SpecValidationError);
      return (e as Error).message;
    }
    throw new Error('expected a syntax error');
  };

  it('reports JSON syntax errors with line and column', () => {
    expect(syntaxError('{\n  "ociVersion": "1.0.0",\n  }')).toBe(
      'config.json: invalid JSON at line 3 column 3: expected a property name in double quotes (trailing commas are not allowed), got "}"',
    );
    expect(syntaxError('{\n  "a": 1\n  "b": 2\n}')).toBe(
      `config.json: invalid JSON at line 3 column 3: expected ',' or '}' after a property value, got "\\""`,
    );
    expect(syntaxError('{"a": [1, 2}')).toBe(`config.json: invalid JSON at line 1 column 12: expected ',' or ']' after an array element, got "}"`);
    expect(syntaxError('{"a":')).toBe('config.json: invalid JSON at line 1 column 6: expected a value after the colon, but the input ended');
    expect(syntaxError('')).toBe('config.json: invalid JSON at line 1 column 1: expected a JSON value, but the input ended');
    expect(syntaxError('{"a": "x\ny"}')).toBe(
      'config.json: invalid JSON at line 1 column 9: control character inside a string (write it as an escape such as \\n), got a line break',
    );
    expect(syntaxError('{"a": "\\q"}')).toBe('config.json: invalid JSON at line 1 column 8: invalid escape sequence \\q in a string');
    expect(syntaxError('{"a": 01}')).toBe('config.json: invalid JSON at line 1 column 8: numbers must not have leading zeros, got "1"');
    expect(syntaxError('{"a": tru}')).toBe('config.json: invalid JSON at line 1 column 10: expected true, got "}"');
    expect(syntaxError('{} {}')).toBe('config.json: invalid JSON at line 1 column 4: unexpected text after the end of the JSON document, got "{"');
    expect(syntaxError('{"a": "open')).toBe('config.json: invalid JSON at line 1 column 7: unterminated string, got "\\""');
  });

  it('has the SpecValidationError fields', () => {
    try {
      parseJsonText('[', 'p.json');
      throw new Error('no error');
    } catch (e) {
      const err = e as SpecValidationError;
      expect(err.file).toBe('p.json');
      expect(err.jsonPath).toBe('');
      expect(err.expected).toBe('invalid JSON at line 1 column 2: expected an array element, but the input ended');
    }
  });

  it('skips a byte order mark', () => {
    expect(parseJsonText('\ufeff{"a": 1}', 'x')).toEqual({ a: 1 });
  });

  it('leaves digit runs inside strings, keys and fractions alone', () => {
    const v = parseJsonText(
      '{"id": "12345678901234567890", "12345678901234567890": 1, "f": 12345678901234567890.5, "e": 1e400, "n": [-12345678901234567890, 7]}',
      'x',
    ) as Record<string, unknown>;
    expect(v.id).toBe('12345678901234567890');
    expect(v['12345678901234567890']).toBe(1);
    expect(v.f).toBe(12345678901234567890.5);
    expect(v.e).toBe(Infinity);
    expect(v.n).toEqual([-12345678901234567890n, 7]);
  });

  it('handles escaped quotes before a big integer', () => {
    expect(parseJsonText('{"s": "a\\"b\\\\", "v": 18446744073709551615}', 'x')).toEqual({ s: 'a"b\\', v: 18446744073709551615n });
  });
});

describe('parseProcess and parseResources', () => {
  it("parses the process JSON containerd's shim sends to exec", () => {
    const p = parseProcess(
      {
        terminal: true,
        user: { uid: 0, gid: 0, additionalGids: [0] },
        args: ['/bin/sh', '-c', 'tty'],
        env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        cwd: '/',
        capabilities: { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] },
        rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
        noNewPrivileges: true,
      },
      '/tmp/runc-process123',
    );
    expect(p.args).toEqual(['/bin/sh', '-c', 'tty']);
    expect(p.terminal).toBe(true);
  });

  it('names the --process file and paths inside it', () => {
    expect(() => parseProcess({ user: { uid: 0, gid: 0 }, cwd: '/', args: 'sh' }, '/tmp/runc-process123')).toThrow(
      '/tmp/runc-process123: args: expected an array, got string',
    );
  });

  it('parses the resources docker update sends', () => {
    const r = parseResources(
      parseJsonText(
        '{"memory":{"limit":67108864,"reservation":0,"swap":134217728,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}}',
        'stdin',
      ),
      'stdin',
    );
    expect(r).toEqual({
      memory: { limit: 67108864, reservation: 0, swap: 134217728, kernel: 0 },
      cpu: { shares: 0, quota: 0, period: 0 },
      blockIO: { weight: 0 },
    });
    expect(() => parseResources({ memory: { limit: '64m' } }, 'stdin')).toThrow('stdin: memory.limit: expected a number, got string');
  });
});

describe('state, container process state and features', () => {
  const state = { ociVersion: '1.3.0', id: 's1', status: 'running', pid: 24377, bundle: '/run/b/s1', annotations: { a: 'b' } };

  it('parses the state document, including the paused status', () => {
    expect(parseWithSchema(StateSchema, state, 'state')).toEqual(state);
    expect(parseWithSchema(StateSchema, { ...state, status: 'paused' }, 'state').status).toBe('paused');
    expect(parseWithSchema(StateSchema, { ociVersion: '1.3.0', id: 's1', status: 'stopped', bundle: '/b' }, 'state').pid).toBeUndefined();
    expect(() => parseWithSchema(StateSchema, { ...state, status: 'exited' }, 'state')).toThrow(
      'state: status: expected one of creating, created, running, stopped, paused, got "exited"',
    );
    expect(() => parseWithSchema(StateSchema, { ...state, bundle: undefined }, 'state')).toThrow(
      'state: bundle: required field is missing (expected a string)',
    );
  });

  it('parses the container process state sent to seccomp agents', () => {
    const cps = { ociVersion: '1.3.0', fds: ['seccompFd'], pid: 4422, metadata: 'MKNOD=/dev/null', state: { ...state, status: 'creating' } };
    expect(parseWithSchema(ContainerProcessStateSchema, cps, 'cps')).toEqual(cps);
    expect(() => parseWithSchema(ContainerProcessStateSchema, { ...cps, state: { ...state, id: 7 } }, 'cps')).toThrow(
      'cps: state.id: expected a string, got number',
    );
  });

  it('parses a features document, reading null as unknown', () => {
    const features = {
      ociVersionMin: '1.0.0',
      ociVersionMax: '1.3.0',
      hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
      mountOptions: ['bind', 'rbind', 'ro', 'rro'],
      linux: {
        namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
        capabilities: ['CAP_CHOWN', 'CAP_KILL'],
        cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
        seccomp: {
          enabled: true,
          actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO'],
          operators: ['SCMP_CMP_EQ'],
          archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
          knownFlags: ['SECCOMP_FILTER_FLAG_LOG'],
          supportedFlags: ['SECCOMP_FILTER_FLAG_LOG'],
        },
        apparmor: { enabled: false },
        selinux: { enabled: false },
        intelRdt: { enabled: false, schemata: false, monitoring: false },
        memoryPolicy: { modes: ['MPOL_BIND'], flags: ['MPOL_F_STATIC_NODES'] },
        mountExtensions: { idmap: { enabled: true } },
        netDevices: { enabled: false },
      },
      annotations: { 'org.example.version': '0.1.0' },
      potentiallyUnsafeConfigAnnotations: ['bundle'],
    };
    expect(parseWithSchema(FeaturesSchema, features, 'features')).toEqual(features);
    expect(parseWithSchema(FeaturesSchema, { ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: null, linux: null }, 'features')).toEqual({
      ociVersionMin: '1.0.0',
      ociVersionMax: '1.3.0',
      hooks: undefined,
      linux: undefined,
    });
    expect(() => parseWithSchema(FeaturesSchema, { ociVersionMin: '1.0.0' }, 'features')).toThrow(
      'features: ociVersionMax: required field is missing (expected a string)',
    );
    expect(() => parseWithSchema(FeaturesSchema, { ...features, linux: { capabilities: ['chown'] } }, 'features')).toThrow(
      'features: linux.capabilities[0]: expected a capability name such as "CAP_CHOWN", got "chown"',
    );
  });
});

describe('image-spec documents', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const layer = { mediaType: MEDIA_TYPES.ociLayerTarGzip, digest, size: 32654 };
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest, size: 7023 },
    layers: [layer],
    annotations: { 'org.opencontainers.image.ref.name': 'latest' },
  };

  it('parses OCI and Docker manifests and indexes', () => {
    expect(parseWithSchema(ManifestSchema, manifest, 'manifest')).toEqual(manifest);
    const docker = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: MEDIA_TYPES.dockerConfig, digest, size: 1469 },
      layers: [{ mediaType: MEDIA_TYPES.dockerLayerTarGzip, digest, size: 2811969 }],
    };
    expect(parseWithSchema(ManifestSchema, docker, 'manifest')).toEqual(docker);
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest, size: 7143, platform: { architecture: 'amd64', os: 'linux' } }],
    };
    expect(parseWithSchema(IndexSchema, index, 'index.json')).toEqual(index);
    expect(parseWithSchema(ImageLayoutSchema, { imageLayoutVersion: '1.0.0' }, 'oci-layout')).toEqual({ imageLayoutVersion: '1.0.0' });
  });

  it('parses an image config, dropping Docker-only fields', () => {
    const config = {
      created: '2026-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/bin'], Entrypoint: ['/bin/sh'], Cmd: ['-c', 'true'], WorkingDir: '/', ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' } },
      rootfs: { type: 'layers', diff_ids: [digest] },
      history: [{ created: '2026-01-01T00:00:00Z', created_by: 'ADD rootfs', empty_layer: false }],
    };
    expect(parseWithSchema(ImageConfigSchema, { ...config, container_config: {}, docker_version: '20.10' }, 'config')).toEqual(config);
  });

  it('rejects bad digests, sizes and schema versions with their paths', () => {
    expect(() => parseWithSchema(ManifestSchema, { ...manifest, layers: [{ ...layer, digest: 'sha256:abc' }] }, 'manifest')).toThrow(
      'manifest: layers[0].digest: expected a digest such as "sha256:" followed by 64 lowercase hex digits, got "sha256:abc"',
    );
    expect(() => parseWithSchema(DescriptorSchema, { ...layer, size: -1 }, 'd')).toThrow(
      'd: size: expected an integer from 0 to 9007199254740991 (uint), got -1',
    );
    expect(() => parseWithSchema(DescriptorSchema, { ...layer, size: '1' }, 'd')).toThrow('d: size: expected a number, got string');
    expect(() => parseWithSchema(ManifestSchema, { ...manifest, schemaVersion: 1 }, 'manifest')).toThrow('manifest: schemaVersion: expected 2, got 1');
    expect(parseWithSchema(DescriptorSchema, { ...layer, digest: 'sha512:' + 'c'.repeat(128) }, 'd').digest).toMatch(/^sha512:/);
    expect(parseWithSchema(DescriptorSchema, { ...layer, digest: 'blake3:' + 'd'.repeat(64) }, 'd').digest).toMatch(/^blake3:/);
  });
});
