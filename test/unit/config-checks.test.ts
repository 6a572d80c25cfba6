import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, NAMESPACE_TYPES, parseConfig, parseJsonText, parseProcess, type Config } from '../../oci-spec';
import { formatFinding, type CheckResult } from '../../src/validate/checks';
import { capabilitiesFromMask, checkConfig, checkProcess, configChecks, type HostFacts } from '../../src/container/config-checks';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'oci');
const fixture = (name: string): Record<string, any> =>
  parseJsonText(readFileSync(path.join(FIXTURES, name), 'utf8'), name) as Record<string, any>;

const ALL_CAPS = new Set(CAPABILITIES);

/** A host that can do everything the spec allows. */
function capableHost(over: Partial<HostFacts> = {}): HostFacts {
  return { namespaces: new Set(NAMESPACE_TYPES), boundingSet: ALL_CAPS, effectiveCaps: ALL_CAPS, ...over };
}

/** The development machines (docs/host-notes.md): no CAP_SYS_RESOURCE, hard nofile 20000. */
function thisHost(): HostFacts {
  const caps = capabilitiesFromMask('000001fffeffffff');
  return {
    namespaces: new Set(NAMESPACE_TYPES),
    boundingSet: caps,
    effectiveCaps: caps,
    hardRlimits: { RLIMIT_NOFILE: 20000n, RLIMIT_NPROC: 96365n },
    apparmorEnabled: false,
    selinuxEnabled: false,
  };
}

const lines = (list: CheckResult['errors']): string[] => list.map((f) => formatFinding('config.json', f));

/**
 * Parse runc's default spec with one change, check it, and return the formatted findings.
 * The base drops the ambient set runc 1.1.5 still wrote (runc >= 1.2 does not; see below).
 */
function check(change: (c: Record<string, any>) => void, facts: HostFacts = capableHost()): { errors: string[]; warnings: string[] } {
  const doc = fixture('runc-default.json');
  delete doc.process.capabilities.ambient;
  change(doc);
  const result = checkConfig(parseConfig(doc), facts);
  return { errors: lines(result.errors), warnings: lines(result.warnings) };
}

const clean = { errors: [], warnings: [] };

describe('engine configs pass every check', () => {
  it("warns that runc 1.1.5's default spec asks for ambient capabilities it cannot raise", () => {
    // runc's own spec had this bug until runc 1.2 (runc commit 0de19533: an ambient
    // capability must also be inheritable, and the spec had no inheritable set)
    const result = checkConfig(parseConfig(fixture('runc-default.json')), capableHost());
    expect(lines(result.errors)).toEqual([]);
    expect(lines(result.warnings)).toEqual([
      'config.json: process.capabilities.ambient: not in both permitted and inheritable, so the kernel will not raise: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE',
    ]);
  });

  it.each(['containerd.json', 'docker.json', 'podman.json'])('%s has no errors and no warnings', (name) => {
    const result = checkConfig(parseConfig(fixture(name)), capableHost());
    expect(lines(result.errors)).toEqual([]);
    expect(lines(result.warnings)).toEqual([]);
  });

  it("reports podman's default rlimits on this host, naming the limit", () => {
    const result = checkConfig(parseConfig(fixture('podman.json')), thisHost());
    expect(lines(result.errors)).toEqual([
      "config.json: process.rlimits[0].hard: RLIMIT_NOFILE hard limit 1048576 is above tsrun's own hard limit 20000; raising it needs CAP_SYS_RESOURCE, which tsrun does not have",
      "config.json: process.rlimits[1].hard: RLIMIT_NPROC hard limit 1048576 is above tsrun's own hard limit 96365; raising it needs CAP_SYS_RESOURCE, which tsrun does not have",
    ]);
    expect(lines(result.warnings)).toEqual([]);
  });

  it('finds only the unsupported intelRdt and the undefined personality flag in the full config', () => {
    const result = checkConfig(parseConfig(fixture('full-linux.json')), capableHost({ apparmorEnabled: true, selinuxEnabled: true }));
    expect(lines(result.errors)).toEqual(['config.json: linux.intelRdt: Intel RDT is not supported by tsrun']);
    expect(lines(result.warnings)).toEqual(['config.json: linux.personality.flags: ignored: the runtime-spec defines no personality flags']);
  });

  it('is an ordered list of pure functions', () => {
    expect(configChecks.length).toBeGreaterThan(20);
    const config = parseConfig(fixture('docker.json'));
    const before = JSON.stringify(config);
    checkConfig(config, capableHost());
    expect(JSON.stringify(config)).toBe(before);
  });
});

describe('ociVersion', () => {
  it('accepts 1.x versions, including pre-releases', () => {
    expect(check((c) => (c.ociVersion = '1.3.0'))).toEqual(clean);
    expect(check((c) => (c.ociVersion = '1.0.2-dev'))).toEqual(clean);
  });
  it('refuses another major version', () => {
    expect(check((c) => (c.ociVersion = '2.0.0')).errors).toEqual([
      'config.json: ociVersion: version 2.0.0 is not supported: tsrun implements runtime-spec 1.x (up to 1.3.0)',
    ]);
    expect(check((c) => (c.ociVersion = '0.5.0-dev')).errors).toEqual([
      'config.json: ociVersion: version 0.5.0-dev is not supported: tsrun implements runtime-spec 1.x (up to 1.3.0)',
    ]);
  });
  it('refuses a version that is not SemVer', () => {
    expect(check((c) => (c.ociVersion = 'latest')).errors).toEqual([
      'config.json: ociVersion: expected a SemVer version such as "1.3.0", got "latest"',
    ]);
  });
  it('warns about a newer minor version', () => {
    expect(check((c) => (c.ociVersion = '1.4.0'))).toEqual({
      errors: [],
      warnings: ['config.json: ociVersion: version 1.4.0 is newer than the runtime-spec 1.3.0 tsrun implements; fields added since are ignored'],
    });
  });
});

describe('root and process', () => {
  it('requires root and a non-empty root.path', () => {
    expect(check((c) => delete c.root).errors).toEqual([
      'config.json: root: required field is missing: config.json must name the root filesystem (root.path)',
    ]);
    expect(check((c) => (c.root.path = '')).errors).toEqual(['config.json: root.path: must not be empty']);
  });
  it('requires a process for create', () => {
    expect(check((c) => delete c.process).errors).toEqual(['config.json: process: required field is missing: create needs the process to run']);
  });
  it('requires args with a program', () => {
    expect(check((c) => delete c.process.args).errors).toEqual([
      'config.json: process.args: must contain at least one entry (the program to run)',
    ]);
    expect(check((c) => (c.process.args = [])).errors).toEqual([
      'config.json: process.args: must contain at least one entry (the program to run)',
    ]);
    expect(check((c) => (c.process.args = ['', 'x'])).errors).toEqual(['config.json: process.args[0]: must not be empty: it names the program to run']);
  });
  it('refuses a NUL byte in an env entry or argument, and strings execve cannot take (MAX_ARG_STRLEN)', () => {
    expect(check((c) => c.process.env.push('A=b\0c')).errors).toEqual([
      'config.json: process.env[2]: must not contain a NUL byte: execve would cut the string there',
    ]);
    expect(check((c) => (c.process.args = ['sh', '-c\0x'])).errors).toEqual([
      'config.json: process.args[1]: must not contain a NUL byte: execve would cut the string there',
    ]);
    expect(check((c) => c.process.env.push(`BIG=${'x'.repeat(131068)}`)).errors).toEqual([
      'config.json: process.env[2]: is 131072 bytes; execve accepts strings of at most 131071 bytes (MAX_ARG_STRLEN)',
    ]);
    expect(check((c) => c.process.env.push(`BIG=${'x'.repeat(131067)}`))).toEqual(clean);
  });
  it("refuses uids and gids from 2^31 up, in runc's words", () => {
    expect(check((c) => (c.process.user.gid = 2 ** 31)).errors).toEqual([
      'config.json: process.user.gid: uids and gids must be in range 0-2147483647, got 2147483648',
    ]);
    expect(check((c) => (c.process.user.additionalGids = [5, 4294967295])).errors).toEqual([
      'config.json: process.user.additionalGids[1]: uids and gids must be in range 0-2147483647, got 4294967295',
    ]);
    expect(check((c) => (c.process.user.uid = 2 ** 31)).errors).toEqual([
      'config.json: process.user.uid: uids and gids must be in range 0-2147483647, got 2147483648',
    ]);
    expect(check((c) => (c.process.user = { uid: 2 ** 31 - 1, gid: 2 ** 31 - 1, additionalGids: [2 ** 31 - 1] }))).toEqual(clean);
  });
  it('requires an absolute cwd', () => {
    expect(check((c) => (c.process.cwd = 'srv')).errors).toEqual(['config.json: process.cwd: must be an absolute path, got "srv"']);
    expect(check((c) => (c.process.cwd = '/srv'))).toEqual(clean);
  });
  it('checks oomScoreAdj, scheduler and ioPriority ranges', () => {
    expect(check((c) => (c.process.oomScoreAdj = 1001)).errors).toEqual(['config.json: process.oomScoreAdj: must be from -1000 to 1000, got 1001']);
    expect(check((c) => (c.process.oomScoreAdj = -1000))).toEqual(clean);
    expect(check((c) => (c.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 })).errors).toEqual([
      'config.json: process.scheduler.nice: must be from -20 to 19 for SCHED_OTHER, got 20',
    ]);
    expect(check((c) => (c.process.scheduler = { policy: 'SCHED_BATCH', priority: 5 })).errors).toEqual([
      'config.json: process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, not SCHED_BATCH',
    ]);
    expect(check((c) => (c.process.scheduler = { policy: 'SCHED_FIFO', runtime: 100 })).errors).toEqual([
      'config.json: process.scheduler.runtime: only SCHED_DEADLINE takes a runtime, not SCHED_FIFO',
    ]);
    expect(check((c) => (c.process.scheduler = { policy: 'SCHED_RR', priority: 10, nice: 0 }))).toEqual(clean);
    expect(check((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 })).errors).toEqual([
      'config.json: process.ioPriority.priority: must be from 0 (highest) to 7 (lowest), got 8',
    ]);
    expect(check((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 7 }))).toEqual(clean);
  });
  it('refuses AppArmor and SELinux labels the host cannot apply', () => {
    expect(check((c) => (c.process.apparmorProfile = 'docker-default'), thisHost()).errors).toEqual([
      'config.json: process.apparmorProfile: AppArmor is not enabled on this host, so profile "docker-default" cannot be applied',
    ]);
    expect(check((c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0'), thisHost()).errors).toEqual([
      'config.json: process.selinuxLabel: SELinux is not enabled on this host, so label "system_u:system_r:container_t:s0" cannot be applied',
    ]);
    expect(check((c) => (c.process.apparmorProfile = 'docker-default'), capableHost({ apparmorEnabled: true }))).toEqual(clean);
    // docker sends an empty profile when AppArmor is off
    expect(check((c) => (c.process.apparmorProfile = ''), thisHost())).toEqual(clean);
  });
  it('warns that linux.mountLabel is ignored without SELinux', () => {
    const label = 'system_u:object_r:container_file_t:s0:c1,c2';
    expect(check((c) => (c.linux.mountLabel = label), thisHost())).toEqual({
      errors: [],
      warnings: [`config.json: linux.mountLabel: SELinux is not enabled on this host, so mount label "${label}" is ignored`],
    });
    expect(check((c) => (c.linux.mountLabel = label), capableHost({ selinuxEnabled: true }))).toEqual(clean);
  });
});

describe('capabilities', () => {
  it('warns about unknown capability names and does not fail (runtime-spec: MUST log, SHOULD NOT fail)', () => {
    const result = check((c) => c.process.capabilities.bounding.push('CAP_FLY'));
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      'config.json: process.capabilities.bounding[3]: unknown capability "CAP_FLY", ignored',
    ]);
  });
  it("warns, naming them, about capabilities outside tsrun's bounding set", () => {
    const result = check((c) => {
      c.process.capabilities.bounding.push('CAP_SYS_RESOURCE');
      c.process.capabilities.permitted.push('CAP_SYS_RESOURCE');
      c.process.capabilities.effective.push('CAP_SYS_RESOURCE', 'CAP_SYS_ADMIN');
    }, thisHost());
    expect(result).toEqual({
      errors: [],
      warnings: [
        "config.json: process.capabilities: capability is outside tsrun's bounding set and will not be granted: CAP_SYS_RESOURCE (bounding, effective, permitted)",
      ],
    });
    const plural = check(
      (c) => (c.process.capabilities = { bounding: ['CAP_SYS_RESOURCE', 'CAP_KILL'] }),
      capableHost({ boundingSet: new Set() }),
    );
    expect(plural.warnings).toEqual([
      "config.json: process.capabilities: capabilities are outside tsrun's bounding set and will not be granted: CAP_SYS_RESOURCE (bounding), CAP_KILL (bounding)",
    ]);
  });
  it('warns about ambient capabilities the kernel will not raise', () => {
    expect(check((c) => (c.process.capabilities.ambient = ['CAP_KILL'])).warnings).toEqual([
      'config.json: process.capabilities.ambient: not in both permitted and inheritable, so the kernel will not raise: CAP_KILL',
    ]);
    expect(check((c) => {
      c.process.capabilities.ambient = ['CAP_KILL'];
      c.process.capabilities.inheritable = ['CAP_KILL'];
    })).toEqual(clean);
  });
  it('reads /proc status masks', () => {
    const caps = capabilitiesFromMask('000001fffeffffff');
    expect(caps.size).toBe(40);
    expect(caps.has('CAP_SYS_RESOURCE')).toBe(false);
    expect(caps.has('CAP_CHECKPOINT_RESTORE')).toBe(true);
    expect([...capabilitiesFromMask('0000000000000021')]).toEqual(['CAP_CHOWN', 'CAP_KILL']);
  });
});

describe('rlimits', () => {
  it('refuses duplicate types', () => {
    expect(check((c) => c.process.rlimits.push({ type: 'RLIMIT_NOFILE', hard: 10, soft: 10 })).errors).toEqual([
      'config.json: process.rlimits[1].type: duplicate RLIMIT_NOFILE (also at process.rlimits[0])',
    ]);
  });
  it('refuses a soft limit above the hard limit', () => {
    expect(check((c) => (c.process.rlimits = [{ type: 'RLIMIT_CORE', hard: 10, soft: 20 }])).errors).toEqual([
      'config.json: process.rlimits[0].soft: soft limit 20 is above the hard limit 10 of RLIMIT_CORE',
    ]);
  });
  it('compares unlimited (2^64-1) exactly', () => {
    const unlimited = 18446744073709551615n;
    expect(check((c) => (c.process.rlimits = [{ type: 'RLIMIT_CORE', hard: unlimited, soft: unlimited }]))).toEqual(clean);
    expect(check((c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: unlimited, soft: 1024 }]), thisHost()).errors).toEqual([
      "config.json: process.rlimits[0].hard: RLIMIT_NOFILE hard limit 18446744073709551615 is above tsrun's own hard limit 20000; raising it needs CAP_SYS_RESOURCE, which tsrun does not have",
    ]);
  });
  it('allows limits within tsrun own hard limit, or any with CAP_SYS_RESOURCE', () => {
    expect(check((c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]), thisHost())).toEqual(clean);
    expect(check((c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }]), capableHost({ hardRlimits: { RLIMIT_NOFILE: 20000n } }))).toEqual(clean);
  });
});

describe('namespaces and ID mappings', () => {
  it('refuses duplicate namespace types', () => {
    expect(check((c) => c.linux.namespaces.push({ type: 'pid' })).errors).toEqual([
      'config.json: linux.namespaces[5].type: duplicate namespace type "pid" (also at linux.namespaces[0])',
    ]);
  });
  it('requires absolute namespace paths', () => {
    expect(check((c) => (c.linux.namespaces[1].path = 'var/run/netns/n1')).errors).toEqual([
      'config.json: linux.namespaces[1].path: must be an absolute path, got "var/run/netns/n1"',
    ]);
    expect(check((c) => (c.linux.namespaces[1].path = '/var/run/netns/n1'))).toEqual(clean);
  });
  it('refuses namespace types the kernel lacks', () => {
    const facts = capableHost({ namespaces: new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup'] as const) });
    expect(check((c) => c.linux.namespaces.push({ type: 'time' }), facts).errors).toEqual([
      'config.json: linux.namespaces[5].type: this kernel does not support time namespaces',
    ]);
  });
  it('requires both mappings for a new user namespace', () => {
    expect(check((c) => c.linux.namespaces.push({ type: 'user' })).errors).toEqual([
      'config.json: linux.uidMappings: required: a new user namespace needs uidMappings',
      'config.json: linux.gidMappings: required: a new user namespace needs gidMappings',
    ]);
    expect(check((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    })).toEqual(clean);
  });
  it('refuses mappings without a user namespace', () => {
    expect(check((c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }])).errors).toEqual([
      'config.json: linux.uidMappings: ID mappings need a user namespace: add {"type": "user"} to linux.namespaces',
    ]);
  });
  it('warns that mappings are ignored when joining a user namespace', () => {
    expect(check((c) => {
      c.linux.namespaces.push({ type: 'user', path: '/proc/42/ns/user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    })).toEqual({
      errors: [],
      warnings: [
        'config.json: linux.uidMappings: ignored: the container joins an existing user namespace (linux.namespaces[5].path), whose mappings are already set',
      ],
    });
  });
  it('refuses empty and overlapping mapping ranges', () => {
    expect(check((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 10 }, { containerID: 5, hostID: 5000, size: 10 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 0 }, { containerID: 10, hostID: 1005, size: 1 }];
    }).errors).toEqual([
      'config.json: linux.uidMappings[1]: overlaps linux.uidMappings[0]; the kernel refuses overlapping ranges',
      'config.json: linux.gidMappings[0].size: must be at least 1',
    ]);
  });
  it('refuses more mappings than the kernel takes', () => {
    const many = Array.from({ length: 341 }, (_, i) => ({ containerID: i, hostID: 1000 + i, size: 1 }));
    expect(check((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = many;
      c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    }).errors).toEqual(['config.json: linux.uidMappings: the kernel accepts at most 340 mappings, got 341']);
  });
});

describe('time and UTS namespaces', () => {
  it('requires a new time namespace for offsets', () => {
    expect(check((c) => (c.linux.timeOffsets = { monotonic: { secs: 10 } })).errors).toEqual([
      'config.json: linux.timeOffsets: time offsets need a new time namespace: add {"type": "time"} to linux.namespaces',
    ]);
    expect(check((c) => {
      c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
      c.linux.timeOffsets = { monotonic: { secs: 10 } };
    }).errors).toEqual(['config.json: linux.timeOffsets: offsets cannot be set on an existing time namespace (linux.namespaces[5].path)']);
    expect(check((c) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: 10, nanosecs: 1000000000 } };
    }).errors).toEqual(['config.json: linux.timeOffsets.boottime.nanosecs: must be below 1000000000, got 1000000000']);
    expect(check((c) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: -10, nanosecs: 5 } };
    })).toEqual(clean);
  });
  it('requires a UTS namespace for hostname and domainname', () => {
    expect(check((c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'uts');
      c.domainname = 'example.test';
    }).errors).toEqual([
      'config.json: hostname: setting the hostname needs a UTS namespace, or it would change the host\'s: add {"type": "uts"} to linux.namespaces',
      'config.json: domainname: setting the domainname needs a UTS namespace, or it would change the host\'s: add {"type": "uts"} to linux.namespaces',
    ]);
    expect(check((c) => (c.domainname = 'example.test'))).toEqual(clean);
  });
});

describe('sysctl', () => {
  const withSysctl = (sysctl: Record<string, string>, namespaces?: string[]) =>
    check((c) => {
      c.linux.sysctl = sysctl;
      if (namespaces) {
        c.linux.namespaces = namespaces.map((type) => ({ type }));
        if (!namespaces.includes('uts')) delete c.hostname;
      }
    });

  it('accepts namespaced keys in their own namespaces', () => {
    expect(withSysctl({
      'net.ipv4.ip_forward': '1',
      'net/ipv4/conf/eth0.100/rp_filter': '0',
      'kernel.shmmax': '1000',
      'fs.mqueue.msg_max': '20',
      'kernel.domainname': 'x',
    })).toEqual(clean);
    expect(withSysctl({ 'user.max_user_namespaces': '0' }, ['pid', 'mount', 'user'])).toEqual({
      errors: ['config.json: linux.uidMappings: required: a new user namespace needs uidMappings', 'config.json: linux.gidMappings: required: a new user namespace needs gidMappings'],
      warnings: [],
    });
  });
  it('refuses net.* without a network namespace, or in the host one', () => {
    expect(withSysctl({ 'net.ipv4.ip_forward': '1' }, ['pid', 'mount']).errors).toEqual([
      'config.json: linux.sysctl["net.ipv4.ip_forward"]: needs a network namespace, or it would change the host\'s: add {"type": "network"} to linux.namespaces',
    ]);
    const joinedHost = check((c) => {
      c.linux.namespaces[1] = { type: 'network', path: '/proc/1/ns/net' };
      c.linux.sysctl = { 'net.core.somaxconn': '256' };
    }, capableHost({ namespacesSameAsRuntime: new Set(['network'] as const) }));
    expect(joinedHost.errors).toEqual([
      'config.json: linux.sysctl["net.core.somaxconn"]: linux.namespaces[1].path is the host\'s network namespace, which this would change',
    ]);
  });
  it('refuses IPC sysctls without an IPC namespace', () => {
    expect(withSysctl({ 'kernel.msgmax': '1', 'fs.mqueue.queues_max': '1' }, ['pid', 'mount']).errors).toEqual([
      'config.json: linux.sysctl["kernel.msgmax"]: needs an IPC namespace, or it would change the host\'s: add {"type": "ipc"} to linux.namespaces',
      'config.json: linux.sysctl["fs.mqueue.queues_max"]: needs an IPC namespace, or it would change the host\'s: add {"type": "ipc"} to linux.namespaces',
    ]);
  });
  it('refuses kernel.hostname (use the hostname field) and non-namespaced keys', () => {
    expect(withSysctl({ 'kernel.hostname': 'x', 'vm.swappiness': '10', 'kernel.domainname': 'y' }, ['pid', 'mount']).errors).toEqual([
      'config.json: linux.sysctl["kernel.hostname"]: is not namespaced: setting it would change the host',
      'config.json: linux.sysctl["vm.swappiness"]: is not namespaced: setting it would change the host',
      'config.json: linux.sysctl["kernel.domainname"]: is not namespaced: setting it would change the host',
    ]);
    expect(withSysctl({ 'kernel.hostname': 'x' }).errors).toEqual([
      'config.json: linux.sysctl["kernel.hostname"]: conflicts with the "hostname" field: set the hostname there',
    ]);
  });
  it('refuses user.* without a user namespace', () => {
    expect(withSysctl({ 'user.max_user_namespaces': '0' }).errors).toEqual([
      'config.json: linux.sysctl["user.max_user_namespaces"]: needs a user namespace, or it would change the host\'s: add {"type": "user"} to linux.namespaces',
    ]);
  });
  it('refuses names that would leave /proc/sys', () => {
    expect(withSysctl({ 'net/../../etc': '1', 'net..ipv4': '1', '.net': '1' }).errors).toEqual([
      'config.json: linux.sysctl["net/../../etc"]: not a valid sysctl name',
      'config.json: linux.sysctl["net..ipv4"]: not a valid sysctl name',
      'config.json: linux.sysctl[".net"]: not a valid sysctl name',
    ]);
  });
});

describe('rootfs propagation, mounts, masked and readonly paths', () => {
  it('refuses private propagation with --no-pivot', () => {
    expect(check((c) => (c.linux.rootfsPropagation = 'rprivate'), capableHost({ noPivotRoot: true })).errors).toEqual([
      'config.json: linux.rootfsPropagation: "rprivate" is not safe with --no-pivot (MS_MOVE + chroot): use slave or shared, or drop --no-pivot',
    ]);
    expect(check((c) => (c.linux.rootfsPropagation = 'rslave'), capableHost({ noPivotRoot: true }))).toEqual(clean);
    expect(check((c) => (c.linux.rootfsPropagation = 'rprivate'))).toEqual(clean);
  });
  it('warns about relative destinations and refuses empty ones', () => {
    expect(check((c) => (c.mounts[0].destination = 'proc'))).toEqual({
      errors: [],
      warnings: ['config.json: mounts[0].destination: is relative ("proc"); relative destinations are deprecated and taken as relative to "/"'],
    });
    expect(check((c) => (c.mounts[0].destination = '')).errors).toEqual(['config.json: mounts[0].destination: must not be empty']);
    expect(check((c) => (c.mounts[0].source = 'pr\0oc')).errors).toEqual(['config.json: mounts[0].source: must not contain a NUL byte']);
  });
  it('refuses a mount onto "/" in any spelling, a bind mount included', () => {
    for (const destination of ['/', '//', '/.', '/tmp/..', '.']) {
      expect(check((c) => c.mounts.push({ destination, type: 'bind', source: '/srv', options: ['rbind'] })).errors).toEqual([
        'config.json: mounts[7].destination: a bind mount onto "/" would replace the root filesystem; name it in root.path instead',
      ]);
    }
    expect(check((c) => c.mounts.push({ destination: '/', type: 'tmpfs', source: 'tmpfs' })).errors).toEqual([
      'config.json: mounts[7].destination: a mount onto "/" would replace the root filesystem; name it in root.path instead',
    ]);
  });
  it('refuses proc or sysfs on a symlink or non-directory in the rootfs (CVE-2019-16884), from the facts preflight gathers', () => {
    const facts = capableHost({ mountTargets: new Map([[0, 'a symlink'], [5, 'not a directory']]) });
    expect(check(() => undefined, facts).errors).toEqual([
      'config.json: mounts[0].destination: filesystem "proc" must be mounted on ordinary directory: /proc is a symlink in the rootfs',
      'config.json: mounts[5].destination: filesystem "sysfs" must be mounted on ordinary directory: /sys is not a directory in the rootfs',
    ]);
    // other filesystem types are not special
    expect(check(() => undefined, capableHost({ mountTargets: new Map([[1, 'a symlink']]) }))).toEqual(clean);
  });
  it('checks bind mounts: option, source, no filesystem-specific options', () => {
    expect(check((c) => c.mounts.push({ destination: '/data', type: 'bind', source: '/srv' })).errors).toEqual([
      'config.json: mounts[7].options: a mount of type "bind" needs the "bind" or "rbind" option',
    ]);
    expect(check((c) => c.mounts.push({ destination: '/data', type: 'none', options: ['rbind'] })).errors).toEqual([
      'config.json: mounts[7].source: a bind mount needs a source',
    ]);
    expect(check((c) => c.mounts.push({ destination: '/data', source: '/srv', options: ['bind', 'ro', 'size=10m'] })).errors).toEqual([
      'config.json: mounts[7].options[2]: "size=10m" is a filesystem-specific option, which a bind mount cannot apply',
    ]);
    expect(check((c) => c.mounts.push({ destination: '/data', type: 'bind', source: '/srv', options: ['rbind', 'rprivate', 'rro', 'nosuid'] }))).toEqual(clean);
  });
  it('checks id-mapped mounts', () => {
    const idmap = { uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 10 }] };
    expect(check((c) => c.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], ...idmap })).errors).toEqual([
      'config.json: mounts[7].options: id-mapped mounts must be bind mounts ("bind" or "rbind")',
    ]);
    expect(check((c) => c.mounts.push({ destination: '/data', source: '/srv', options: ['bind', 'idmap'], uidMappings: idmap.uidMappings })).errors).toEqual([
      'config.json: mounts[7].gidMappings: required together with uidMappings',
    ]);
    expect(check((c) => c.mounts.push({ destination: '/data', source: '/srv', options: ['bind', 'ridmap'] })).errors).toEqual([
      'config.json: mounts[7].options: "ridmap" needs uidMappings and gidMappings on the mount, or a user namespace to take them from',
    ]);
    expect(check((c) => c.mounts.push({ destination: '/data', source: '/srv', options: ['rbind', 'ridmap'], ...idmap }))).toEqual(clean);
  });
  it('requires absolute masked/readonly paths and a mount namespace', () => {
    expect(check((c) => c.linux.maskedPaths.push('proc/kcore')).errors).toEqual([
      'config.json: linux.maskedPaths[10]: must be an absolute path, got "proc/kcore"',
    ]);
    expect(check((c) => (c.linux.readonlyPaths[0] = 'sys')).errors).toEqual([
      'config.json: linux.readonlyPaths[0]: must be an absolute path, got "sys"',
    ]);
    expect(check((c) => (c.linux.namespaces = [{ type: 'pid' }, { type: 'uts' }])).errors).toEqual([
      'config.json: linux.maskedPaths: needs a mount namespace, or it would change the host\'s mounts: add {"type": "mount"} to linux.namespaces',
      'config.json: linux.readonlyPaths: needs a mount namespace, or it would change the host\'s mounts: add {"type": "mount"} to linux.namespaces',
    ]);
  });
});

describe('devices and hooks', () => {
  it('checks device paths and numbers', () => {
    expect(check((c) => (c.linux.devices = [{ path: 'dev/fuse', type: 'c', major: 10, minor: 229 }])).errors).toEqual([
      'config.json: linux.devices[0].path: must be an absolute path, got "dev/fuse"',
    ]);
    expect(check((c) => (c.linux.devices = [{ path: '/dev/fuse', type: 'c', minor: 229 }])).errors).toEqual([
      'config.json: linux.devices[0].major: required for device type "c"',
    ]);
    expect(check((c) => (c.linux.devices = [{ path: '/dev/x', type: 'b', major: 4096, minor: -1 }])).errors).toEqual([
      'config.json: linux.devices[0].major: must be from 0 to 4095 for a Linux device, got 4096',
      'config.json: linux.devices[0].minor: must be from 0 to 1048575 for a Linux device, got -1',
    ]);
    expect(check((c) => (c.linux.devices = [{ path: '/run/fifo', type: 'p' }, { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438 }]))).toEqual(clean);
  });
  it('checks hook paths and timeouts', () => {
    expect(check((c) => (c.hooks = { prestart: [{ path: 'bin/hook' }], poststop: [{ path: '/bin/ok' }, { path: '/bin/t', timeout: 0 }] })).errors).toEqual([
      'config.json: hooks.prestart[0].path: must be an absolute path, got "bin/hook"',
      'config.json: hooks.poststop[1].timeout: must be greater than 0 seconds, got 0',
    ]);
    expect(check((c) => (c.hooks = { createRuntime: [{ path: '/bin/hook', timeout: 1 }], startContainer: null }))).toEqual(clean);
  });
});

describe('seccomp', () => {
  // linux.seccomp is checked once, by src/seccomp/checks.ts (run by preflight
  // next to these checks; see test/unit/seccomp-checks.test.ts)
  it('leaves linux.seccomp to the seccomp checks', () => {
    expect(check((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW', errnoRet: 1, args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] })).errors).toEqual([]);
  });
});

describe('intelRdt, personality, netDevices, memoryPolicy, resources', () => {
  it('refuses intelRdt', () => {
    expect(check((c) => (c.linux.intelRdt = { closID: 'x' })).errors).toEqual(['config.json: linux.intelRdt: Intel RDT is not supported by tsrun']);
  });
  it('warns about personality flags only', () => {
    expect(check((c) => (c.linux.personality = { domain: 'LINUX32' }))).toEqual(clean);
    expect(check((c) => (c.linux.personality = { domain: 'LINUX', flags: ['X'] })).warnings).toEqual([
      'config.json: linux.personality.flags: ignored: the runtime-spec defines no personality flags',
    ]);
  });
  it('needs a new network namespace and valid names to move network devices', () => {
    expect(check((c) => {
      c.linux.namespaces[1] = { type: 'network', path: '/var/run/netns/n1' };
      c.linux.netDevices = { 'eth/0': {}, eth1: { name: 'a-name-longer-than-15' } };
    }).errors).toEqual([
      'config.json: linux.netDevices: moving network devices needs a new network namespace: add {"type": "network"} to linux.namespaces (without a path)',
      'config.json: linux.netDevices["eth/0"]: "eth/0" is not a valid network interface name',
      'config.json: linux.netDevices.eth1.name: "a-name-longer-than-15" is not a valid network interface name',
    ]);
    expect(check((c) => (c.linux.netDevices = { eth1: { name: 'ctr%d' }, dummy0: {} }))).toEqual(clean);
  });
  it('checks memory policy nodes against the mode', () => {
    expect(check((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND' })).errors).toEqual([
      'config.json: linux.memoryPolicy.nodes: MPOL_BIND needs at least one node',
    ]);
    expect(check((c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '0' })).errors).toEqual([
      'config.json: linux.memoryPolicy.nodes: must be empty for MPOL_LOCAL',
    ]);
    expect(check((c) => (c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0-3,x' })).errors).toEqual([
      'config.json: linux.memoryPolicy.nodes: expected a node list such as "0-3,7", got "0-3,x"',
    ]);
    expect(check((c) => (c.linux.memoryPolicy = { mode: 'MPOL_PREFERRED', nodes: '' }))).toEqual(clean);
    expect(check((c) => (c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0-3,7' }))).toEqual(clean);
  });
  it('leaves memory swap against the limit and cpu burst against the quota to the cgroup checks (one error each)', () => {
    // the rule's one home is src/cgroups/checks.ts (test/unit/cgroups-checks.test.ts)
    expect(check((c) => {
      c.linux.resources.memory = { limit: 1000, swap: 500 };
      c.linux.resources.cpu = { quota: 1000, burst: 2000 };
    })).toEqual(clean);
    expect(check((c) => {
      c.linux.resources.memory = { limit: 1000, swap: -1 };
      c.linux.resources.cpu = { quota: -1, burst: 2000 };
    })).toEqual(clean);
  });
});

describe('checkProcess (exec --process)', () => {
  it('uses paths relative to the process document', () => {
    const p = parseProcess({ user: { uid: 0, gid: 0 }, cwd: 'tmp', args: [], capabilities: { bounding: ['CAP_NOPE'] } });
    const result = checkProcess(p, capableHost());
    expect(result.errors.map((f) => formatFinding('/tmp/runc-process1', f))).toEqual([
      '/tmp/runc-process1: args: must contain at least one entry (the program to run)',
      '/tmp/runc-process1: cwd: must be an absolute path, got "tmp"',
    ]);
    expect(result.warnings.map((f) => formatFinding('/tmp/runc-process1', f))).toContain(
      '/tmp/runc-process1: capabilities.bounding[0]: unknown capability "CAP_NOPE", ignored',
    );
  });
  it('passes the shim exec process', () => {
    const p = parseProcess({
      terminal: true,
      user: { uid: 0, gid: 0, additionalGids: [0] },
      args: ['/bin/sh'],
      cwd: '/',
      capabilities: { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    });
    expect(checkProcess(p, thisHost())).toEqual({ errors: [], warnings: [] });
  });
});

// Type-level use: the checks take the schema's Config type.
const _typed: (c: Config, f: HostFacts) => CheckResult = checkConfig;
void _typed;
