// Semantic checks on a schema-valid config.json, before any side effect: the
// rules a type cannot express (absolute paths, uniqueness, cross-field rules,
// what the host can do). Modelled on runc's validator and specconv rules and on
// the runtime-spec's MUSTs. Each check is small and pure: it reads the config and
// the HostFacts gathered beforehand, and returns findings naming the JSON path.
//
// Decisions (where runc, the spec or engines leave room):
//  - A relative mount destination is a warning (spec: deprecated, "relative to /";
//    runc warns), not an error, so old configs still run.
//  - hostname/domainname need a UTS namespace in linux.namespaces, new or joined
//    (runc's rule); sysctl namespace rules follow runc's validator.
//  - An unknown capability name, and a known one outside tsrun's bounding set,
//    are warnings: the spec says runtimes MUST log unknown names and SHOULD NOT
//    fail on capabilities they cannot grant (runc ignores them with a warning).
//  - A bind mount with filesystem-specific options is an error (runc >= 1.2):
//    the kernel ignores them for binds, so they would silently do nothing.
import type { Config, IdMapping, Int64, Mount, Process } from '../../oci-spec/runtime';
import { CAPABILITIES, CAPABILITY_SETS, LINUX_MOUNT_OPTIONS, type Capability, type NamespaceType, type RlimitType } from '../../oci-spec/runtime-enums';
import { OCI_VERSION } from '../../oci-spec/version';
import * as path from 'node:path';
import { formatJsonPath } from '../../oci-spec/validate';
import { OVERLAY_ANNOTATION, overlayProblems } from '../rootfs/overlay';
import { error, runChecks, warning, type Check, type CheckResult, type Finding } from '../validate/checks';

/** What the checks need to know about the host and this invocation, gathered before checking. */
export interface HostFacts {
  /** Namespace types this kernel offers (those with an entry in /proc/self/ns). */
  namespaces: ReadonlySet<NamespaceType>;
  /** tsrun's capability bounding set (CapBnd): no container process can hold a capability outside it. */
  boundingSet: ReadonlySet<Capability>;
  /** tsrun's effective capabilities (CapEff). */
  effectiveCaps: ReadonlySet<Capability>;
  /**
   * tsrun's own hard rlimits (getrlimit). Without CAP_SYS_RESOURCE nobody can raise a
   * hard limit above them, in any namespace. Types left out are not checked.
   */
  hardRlimits?: Partial<Record<RlimitType, bigint>>;
  /**
   * Namespace types whose configured `path` is tsrun's own namespace (same device and
   * inode as /proc/self/ns/<type>): joining it gives no isolation.
   */
  namespacesSameAsRuntime?: ReadonlySet<NamespaceType>;
  /** Whether AppArmor / SELinux are enabled on the host; undefined = not checked. */
  apparmorEnabled?: boolean;
  selinuxEnabled?: boolean;
  /** `--no-pivot`: the rootfs is entered with MS_MOVE + chroot instead of pivot_root. */
  noPivotRoot?: boolean;
  /**
   * What the rootfs holds at the destination of each proc or sysfs mount (by
   * index in `mounts`), when that is not a directory or missing: "a symlink",
   * "not a directory". Gathered by preflight (src/rootfs/mount-targets.ts).
   */
  mountTargets?: ReadonlyMap<number, string>;
}

// ---------------------------------------------------------------------------
// Helpers

/** Path of a field under a base path ("" for a document root). */
function at(base: string, ...parts: (string | number)[]): string {
  const tail = formatJsonPath(parts);
  if (!base) return tail;
  return tail.startsWith('[') ? base + tail : `${base}.${tail}`;
}

const isAbsolute = (p: string): boolean => p.startsWith('/');

interface NamespaceEntry {
  index: number;
  path?: string;
}

/** First entry of each namespace type in linux.namespaces. */
function namespaceMap(config: Config): Map<NamespaceType, NamespaceEntry> {
  const map = new Map<NamespaceType, NamespaceEntry>();
  (config.linux?.namespaces ?? []).forEach((ns, index) => {
    if (!map.has(ns.type)) map.set(ns.type, { index, path: ns.path || undefined });
  });
  return map;
}

/** A namespace the container gets to itself: listed without a path. */
function isNew(nss: Map<NamespaceType, NamespaceEntry>, type: NamespaceType): boolean {
  const ns = nss.get(type);
  return ns !== undefined && ns.path === undefined;
}

const addNamespaceHint = (type: NamespaceType): string => `add {"type": "${type}"} to linux.namespaces`;

function big(v: Int64): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

const KNOWN_CAPABILITIES: ReadonlySet<string> = new Set(CAPABILITIES);
const KNOWN_MOUNT_OPTIONS: ReadonlySet<string> = new Set(LINUX_MOUNT_OPTIONS);

// ---------------------------------------------------------------------------
// Version, root, process presence

const checkOciVersion: Check<Config, HostFacts> = (config) => {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(config.ociVersion);
  if (!m) return [error('ociVersion', `expected a SemVer version such as "${OCI_VERSION}", got ${JSON.stringify(config.ociVersion)}`)];
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const supportedMinor = Number(OCI_VERSION.split('.')[1]);
  if (major !== 1) {
    return [error('ociVersion', `version ${config.ociVersion} is not supported: tsrun implements runtime-spec 1.x (up to ${OCI_VERSION})`)];
  }
  if (minor > supportedMinor) {
    return [warning('ociVersion', `version ${config.ociVersion} is newer than the runtime-spec ${OCI_VERSION} tsrun implements; fields added since are ignored`)];
  }
  return [];
};

const checkRoot: Check<Config, HostFacts> = (config) => {
  if (!config.root) return [error('root', 'required field is missing: config.json must name the root filesystem (root.path)')];
  if (!config.root.path) return [error('root.path', 'must not be empty')];
  if (config.root.path.includes('\0')) return [error('root.path', 'must not contain a NUL byte')];
  const overlay = config.annotations?.[OVERLAY_ANNOTATION];
  if (overlay !== undefined) return overlayProblems(overlay).map((p) => error(p.path, p.message));
  return [];
};

const checkProcessPresent: Check<Config, HostFacts> = (config) =>
  config.process ? [] : [error('process', 'required field is missing: create needs the process to run')];

// ---------------------------------------------------------------------------
// Process checks (shared by config.json's process and exec --process documents)

type ProcessCheck = (p: Process, facts: HostFacts, base: string) => Finding[];

const checkArgs: ProcessCheck = (p, _facts, base) => {
  if (!p.args || p.args.length === 0) return [error(at(base, 'args'), 'must contain at least one entry (the program to run)')];
  if (!p.args[0]) return [error(at(base, 'args', 0), 'must not be empty: it names the program to run')];
  return [];
};

/** runc: every entry is NAME=VALUE with a non-empty name (NULs: checkArgsAndEnv). */
const checkEnv: ProcessCheck = (p, _facts, base) =>
  (p.env ?? []).flatMap((e, i) => {
    const eq = e.indexOf('=');
    if (eq < 0) return [error(at(base, 'env', i), `must be NAME=VALUE, got ${JSON.stringify(e)}`)];
    if (eq === 0) return [error(at(base, 'env', i), `the variable name must not be empty, got ${JSON.stringify(e)}`)];
    return [];
  });

/** The kernel's limit on one argument or environment string (MAX_ARG_STRLEN: 32 pages). */
const MAX_ARG_STRLEN = 131072;

/** execve takes C strings: a NUL would cut an entry short, and one string may not exceed MAX_ARG_STRLEN. */
const checkArgsAndEnv: ProcessCheck = (p, _facts, base) => {
  const findings: Finding[] = [];
  for (const field of ['args', 'env'] as const) {
    (p[field] ?? []).forEach((entry, i) => {
      if (entry.includes('\0')) findings.push(error(at(base, field, i), 'must not contain a NUL byte: execve would cut the string there'));
      const bytes = Buffer.byteLength(entry);
      if (bytes >= MAX_ARG_STRLEN) {
        findings.push(error(at(base, field, i), `is ${bytes} bytes; execve accepts strings of at most ${MAX_ARG_STRLEN - 1} bytes (MAX_ARG_STRLEN)`));
      }
    });
  }
  return findings;
};

/** runc's user package keeps ids below 2^31 (32-bit platforms, and -1 as "unset" in the kernel's APIs). */
const MAX_ID = 2 ** 31 - 1;

const checkUserIds: ProcessCheck = (p, _facts, base) => {
  const user = p.user;
  if (!user) return [];
  const ids: [string, number][] = [
    [at(base, 'user', 'uid'), user.uid],
    [at(base, 'user', 'gid'), user.gid],
    ...(user.additionalGids ?? []).map((g, i): [string, number] => [at(base, 'user', 'additionalGids', i), g]),
  ];
  return ids.filter(([, v]) => v > MAX_ID).map(([where, v]) => error(where, `uids and gids must be in range 0-${MAX_ID}, got ${v}`));
};

const checkCwd: ProcessCheck = (p, _facts, base) =>
  isAbsolute(p.cwd) ? [] : [error(at(base, 'cwd'), `must be an absolute path, got ${JSON.stringify(p.cwd)}`)];

const checkCapabilities: ProcessCheck = (p, facts, base) => {
  const caps = p.capabilities;
  if (!caps) return [];
  const findings: Finding[] = [];
  const ungrantable = new Map<string, string[]>(); // capability -> sets asking for it
  for (const set of CAPABILITY_SETS) {
    (caps[set] ?? []).forEach((name, i) => {
      if (!KNOWN_CAPABILITIES.has(name)) {
        findings.push(warning(at(base, 'capabilities', set, i), `unknown capability ${JSON.stringify(name)}, ignored`));
      } else if (!facts.boundingSet.has(name as Capability)) {
        const sets = ungrantable.get(name) ?? [];
        if (!sets.includes(set)) sets.push(set);
        ungrantable.set(name, sets);
      }
    });
  }
  if (ungrantable.size > 0) {
    const names = [...ungrantable.keys()];
    const detail = names.map((n) => `${n} (${ungrantable.get(n)!.join(', ')})`).join(', ');
    findings.push(
      warning(
        at(base, 'capabilities'),
        `${names.length === 1 ? 'capability is' : 'capabilities are'} outside tsrun's bounding set and will not be granted: ${detail}`,
      ),
    );
  }
  // The kernel raises an ambient capability only if it is both permitted and inheritable.
  const permitted = new Set(caps.permitted ?? []);
  const inheritable = new Set(caps.inheritable ?? []);
  const notRaisable = (caps.ambient ?? []).filter((n) => KNOWN_CAPABILITIES.has(n) && !(permitted.has(n) && inheritable.has(n)));
  if (notRaisable.length > 0) {
    findings.push(
      warning(at(base, 'capabilities', 'ambient'), `not in both permitted and inheritable, so the kernel will not raise: ${notRaisable.join(', ')}`),
    );
  }
  return findings;
};

const checkRlimits: ProcessCheck = (p, facts, base) => {
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  const canRaiseHard = facts.effectiveCaps.has('CAP_SYS_RESOURCE');
  (p.rlimits ?? []).forEach((r, i) => {
    const first = seen.get(r.type);
    if (first !== undefined) {
      findings.push(error(at(base, 'rlimits', i, 'type'), `duplicate ${r.type} (also at ${at(base, 'rlimits', first)})`));
      return;
    }
    seen.set(r.type, i);
    if (big(r.soft) > big(r.hard)) {
      findings.push(error(at(base, 'rlimits', i, 'soft'), `soft limit ${r.soft} is above the hard limit ${r.hard} of ${r.type}`));
    }
    const ownHard = facts.hardRlimits?.[r.type];
    if (ownHard !== undefined && !canRaiseHard && big(r.hard) > ownHard) {
      findings.push(
        error(
          at(base, 'rlimits', i, 'hard'),
          `${r.type} hard limit ${r.hard} is above tsrun's own hard limit ${ownHard}; raising it needs CAP_SYS_RESOURCE, which tsrun does not have`,
        ),
      );
    }
  });
  return findings;
};

const checkOomScoreAdj: ProcessCheck = (p, _facts, base) => {
  const v = p.oomScoreAdj;
  return v === undefined || (v >= -1000 && v <= 1000) ? [] : [error(at(base, 'oomScoreAdj'), `must be from -1000 to 1000, got ${v}`)];
};

const checkScheduler: ProcessCheck = (p, _facts, base) => {
  const s = p.scheduler;
  if (!s) return [];
  const findings: Finding[] = [];
  const nice = s.nice ?? 0;
  if ((s.policy === 'SCHED_OTHER' || s.policy === 'SCHED_BATCH') && (nice < -20 || nice > 19)) {
    findings.push(error(at(base, 'scheduler', 'nice'), `must be from -20 to 19 for ${s.policy}, got ${nice}`));
  }
  if ((s.priority ?? 0) !== 0 && s.policy !== 'SCHED_FIFO' && s.policy !== 'SCHED_RR') {
    findings.push(error(at(base, 'scheduler', 'priority'), `only SCHED_FIFO and SCHED_RR take a priority, not ${s.policy}`));
  }
  if (s.policy !== 'SCHED_DEADLINE') {
    for (const field of ['runtime', 'deadline', 'period'] as const) {
      const v = s[field];
      if (v !== undefined && big(v) !== 0n) findings.push(error(at(base, 'scheduler', field), `only SCHED_DEADLINE takes a ${field}, not ${s.policy}`));
    }
  }
  return findings;
};

const checkIoPriority: ProcessCheck = (p, _facts, base) => {
  const prio = p.ioPriority?.priority;
  return prio === undefined || (prio >= 0 && prio <= 7) ? [] : [error(at(base, 'ioPriority', 'priority'), `must be from 0 (highest) to 7 (lowest), got ${prio}`)];
};

const checkProcessLabels: ProcessCheck = (p, facts, base) => {
  const findings: Finding[] = [];
  if (p.apparmorProfile && facts.apparmorEnabled === false) {
    findings.push(error(at(base, 'apparmorProfile'), `AppArmor is not enabled on this host, so profile ${JSON.stringify(p.apparmorProfile)} cannot be applied`));
  }
  if (p.selinuxLabel && facts.selinuxEnabled === false) {
    findings.push(error(at(base, 'selinuxLabel'), `SELinux is not enabled on this host, so label ${JSON.stringify(p.selinuxLabel)} cannot be applied`));
  }
  return findings;
};

const PROCESS_CHECKS: readonly ProcessCheck[] = [
  checkArgs,
  checkEnv,
  checkArgsAndEnv,
  checkUserIds,
  checkCwd,
  checkCapabilities,
  checkRlimits,
  checkOomScoreAdj,
  checkScheduler,
  checkIoPriority,
  checkProcessLabels,
];

/** Checks for an `exec --process` document; paths are relative to that document. */
const processChecks: readonly Check<Process, HostFacts>[] = PROCESS_CHECKS.map(
  (check): Check<Process, HostFacts> => (p, facts) => check(p, facts, ''),
);

const configProcessChecks: Check<Config, HostFacts>[] = PROCESS_CHECKS.map(
  (check): Check<Config, HostFacts> => (config, facts) => (config.process ? check(config.process, facts, 'process') : []),
);

// ---------------------------------------------------------------------------
// Namespaces and ID mappings

const checkNamespaces: Check<Config, HostFacts> = (config, facts) => {
  const findings: Finding[] = [];
  const firstIndex = new Map<NamespaceType, number>();
  (config.linux?.namespaces ?? []).forEach((ns, i) => {
    const first = firstIndex.get(ns.type);
    if (first !== undefined) {
      findings.push(error(`linux.namespaces[${i}].type`, `duplicate namespace type "${ns.type}" (also at linux.namespaces[${first}])`));
      return;
    }
    firstIndex.set(ns.type, i);
    if (ns.path && !isAbsolute(ns.path)) {
      findings.push(error(`linux.namespaces[${i}].path`, `must be an absolute path, got ${JSON.stringify(ns.path)}`));
    }
    if (!facts.namespaces.has(ns.type)) {
      findings.push(error(`linux.namespaces[${i}].type`, `this kernel does not support ${ns.type} namespaces`));
    }
  });
  return findings;
};

/** The kernel's limit on uid_map/gid_map lines (since Linux 4.15). */
const MAX_ID_MAPPINGS = 340;

function checkMappingList(list: readonly IdMapping[], base: string): Finding[] {
  const findings: Finding[] = [];
  if (list.length > MAX_ID_MAPPINGS) findings.push(error(base, `the kernel accepts at most ${MAX_ID_MAPPINGS} mappings, got ${list.length}`));
  list.forEach((m, i) => {
    if (m.size === 0) {
      findings.push(error(`${base}[${i}].size`, 'must be at least 1'));
      return;
    }
    for (let j = 0; j < i; j++) {
      const o = list[j];
      if (o.size === 0) continue;
      const overlaps = (a: number, b: number) => a < b + o.size && b < a + m.size;
      if (overlaps(m.containerID, o.containerID) || overlaps(m.hostID, o.hostID)) {
        findings.push(error(`${base}[${i}]`, `overlaps ${base}[${j}]; the kernel refuses overlapping ranges`));
        break;
      }
    }
  });
  return findings;
}

const checkUserNamespaceMappings: Check<Config, HostFacts> = (config) => {
  const linux = config.linux;
  const nss = namespaceMap(config);
  const userns = nss.get('user');
  const fields = ['uidMappings', 'gidMappings'] as const;
  const findings: Finding[] = [];
  for (const field of fields) {
    const list = linux?.[field];
    if (!userns) {
      if (list !== undefined) findings.push(error(`linux.${field}`, `ID mappings need a user namespace: ${addNamespaceHint('user')}`));
    } else if (userns.path === undefined) {
      if (!list || list.length === 0) findings.push(error(`linux.${field}`, `required: a new user namespace needs ${field}`));
    } else if (list && list.length > 0) {
      findings.push(warning(`linux.${field}`, `ignored: the container joins an existing user namespace (linux.namespaces[${userns.index}].path), whose mappings are already set`));
    }
    if (list) findings.push(...checkMappingList(list, `linux.${field}`));
  }
  return findings;
};

const checkTimeNamespace: Check<Config, HostFacts> = (config) => {
  const offsets = config.linux?.timeOffsets;
  if (!offsets) return [];
  const time = namespaceMap(config).get('time');
  const findings: Finding[] = [];
  if (!time) findings.push(error('linux.timeOffsets', `time offsets need a new time namespace: ${addNamespaceHint('time')}`));
  else if (time.path !== undefined) {
    findings.push(error('linux.timeOffsets', `offsets cannot be set on an existing time namespace (linux.namespaces[${time.index}].path)`));
  }
  for (const clock of ['boottime', 'monotonic'] as const) {
    const ns = offsets[clock]?.nanosecs;
    if (ns !== undefined && ns >= 1_000_000_000) findings.push(error(`linux.timeOffsets.${clock}.nanosecs`, `must be below 1000000000, got ${ns}`));
  }
  return findings;
};

const checkUts: Check<Config, HostFacts> = (config) => {
  const hasUts = namespaceMap(config).has('uts');
  const findings: Finding[] = [];
  for (const field of ['hostname', 'domainname'] as const) {
    if (config[field] && !hasUts) {
      findings.push(error(field, `setting the ${field} needs a UTS namespace, or it would change the host's: ${addNamespaceHint('uts')}`));
    }
  }
  return findings;
};

// ---------------------------------------------------------------------------
// sysctl (runc's validator rules: only namespaced keys, each in its own namespace)

const IPC_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

/** "net/ipv4/conf/eth0.100/rp_filter" (slash form) -> "net.ipv4.conf.eth0/100.rp_filter" (dot form). */
function sysctlDotForm(key: string): string {
  const sep = key.search(/[./]/);
  if (sep === -1 || key[sep] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

const checkSysctl: Check<Config, HostFacts> = (config, facts) => {
  const sysctl = config.linux?.sysctl;
  if (!sysctl) return [];
  const nss = namespaceMap(config);
  const findings: Finding[] = [];
  for (const rawKey of Object.keys(sysctl)) {
    const path = at('linux.sysctl', rawKey);
    // The key becomes a path under /proc/sys: no empty, "." or ".." components.
    if (rawKey.includes('\0') || rawKey.split(/[./]/).some((part) => part === '')) {
      findings.push(error(path, 'not a valid sysctl name'));
      continue;
    }
    const key = sysctlDotForm(rawKey);
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (!nss.has('ipc')) findings.push(error(path, `needs an IPC namespace, or it would change the host's: ${addNamespaceHint('ipc')}`));
      continue;
    }
    if (key.startsWith('net.')) {
      const net = nss.get('network');
      if (!net) findings.push(error(path, `needs a network namespace, or it would change the host's: ${addNamespaceHint('network')}`));
      else if (facts.namespacesSameAsRuntime?.has('network')) {
        findings.push(error(path, `linux.namespaces[${net.index}].path is the host's network namespace, which this would change`));
      }
      continue;
    }
    if (nss.has('uts') && key === 'kernel.domainname') continue;
    if (nss.has('uts') && key === 'kernel.hostname') {
      findings.push(error(path, 'conflicts with the "hostname" field: set the hostname there'));
      continue;
    }
    if (key.startsWith('user.')) {
      if (!nss.has('user')) findings.push(error(path, `needs a user namespace, or it would change the host's: ${addNamespaceHint('user')}`));
      continue;
    }
    findings.push(error(path, 'is not namespaced: setting it would change the host'));
  }
  return findings;
};

// ---------------------------------------------------------------------------
// rootfs propagation, mounts, masked and readonly paths

const checkRootfsPropagation: Check<Config, HostFacts> = (config, facts) => {
  const prop = config.linux?.rootfsPropagation;
  if (facts.noPivotRoot && (prop === 'private' || prop === 'rprivate')) {
    return [error('linux.rootfsPropagation', `"${prop}" is not safe with --no-pivot (MS_MOVE + chroot): use slave or shared, or drop --no-pivot`)];
  }
  return [];
};

const isBindMount = (m: Mount): boolean => (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');

function checkOneMount(m: Mount, i: number, hasUserns: boolean): Finding[] {
  const base = `mounts[${i}]`;
  const findings: Finding[] = [];
  const options = m.options ?? [];
  const bind = isBindMount(m);
  if (!m.destination) findings.push(error(`${base}.destination`, 'must not be empty'));
  else if (isRootDestination(m.destination)) {
    findings.push(error(`${base}.destination`, `${bind ? 'a bind mount' : 'a mount'} onto "/" would replace the root filesystem; name it in root.path instead`));
  } else if (!isAbsolute(m.destination)) {
    findings.push(warning(`${base}.destination`, `is relative (${JSON.stringify(m.destination)}); relative destinations are deprecated and taken as relative to "/"`));
  }
  for (const field of ['destination', 'source', 'type'] as const) {
    if (m[field]?.includes('\0')) findings.push(error(`${base}.${field}`, 'must not contain a NUL byte'));
  }
  if (m.type === 'bind' && !bind) findings.push(error(`${base}.options`, 'a mount of type "bind" needs the "bind" or "rbind" option'));
  if (bind) {
    if (!m.source) findings.push(error(`${base}.source`, 'a bind mount needs a source'));
    options.forEach((o, j) => {
      if (!KNOWN_MOUNT_OPTIONS.has(o)) {
        findings.push(error(`${base}.options[${j}]`, `${JSON.stringify(o)} is a filesystem-specific option, which a bind mount cannot apply`));
      }
    });
  }
  const idmapOption = options.find((o) => o === 'idmap' || o === 'ridmap');
  const hasMappings = m.uidMappings !== undefined || m.gidMappings !== undefined;
  if ((idmapOption || hasMappings) && !bind) {
    findings.push(error(`${base}.options`, 'id-mapped mounts must be bind mounts ("bind" or "rbind")'));
  }
  if (hasMappings) {
    if (!m.uidMappings?.length) findings.push(error(`${base}.uidMappings`, 'required together with gidMappings'));
    if (!m.gidMappings?.length) findings.push(error(`${base}.gidMappings`, 'required together with uidMappings'));
    if (m.uidMappings) findings.push(...checkMappingList(m.uidMappings, `${base}.uidMappings`));
    if (m.gidMappings) findings.push(...checkMappingList(m.gidMappings, `${base}.gidMappings`));
  } else if (idmapOption && !hasUserns) {
    findings.push(error(`${base}.options`, `"${idmapOption}" needs uidMappings and gidMappings on the mount, or a user namespace to take them from`));
  }
  return findings;
}

/** "/", "//", "/.", "/a/.." and a relative "." all name the container's root. */
function isRootDestination(dest: string): boolean {
  return path.posix.normalize(`/${dest}`) === '/';
}

/**
 * proc and sysfs only on a real directory, never through a symlink in the
 * rootfs (CVE-2019-16884: a procfs mounted elsewhere lets the image fake
 * /proc/self/attr and escape its LSM profile). runc's words.
 */
const checkSpecialMountTargets: Check<Config, HostFacts> = (config, facts) =>
  (config.mounts ?? []).flatMap((m, i) => {
    const found = facts.mountTargets?.get(i);
    if (!found || (m.type !== 'proc' && m.type !== 'sysfs')) return [];
    return [error(`mounts[${i}].destination`, `filesystem ${JSON.stringify(m.type)} must be mounted on ordinary directory: ${m.destination} is ${found} in the rootfs`)];
  });

const checkMounts: Check<Config, HostFacts> = (config) => {
  const hasUserns = namespaceMap(config).has('user');
  return (config.mounts ?? []).flatMap((m, i) => checkOneMount(m, i, hasUserns));
};

const checkMaskedAndReadonlyPaths: Check<Config, HostFacts> = (config) => {
  const findings: Finding[] = [];
  const hasMountNs = namespaceMap(config).has('mount');
  for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
    const list = config.linux?.[field];
    if (!list || list.length === 0) continue;
    if (!hasMountNs) findings.push(error(`linux.${field}`, `needs a mount namespace, or it would change the host's mounts: ${addNamespaceHint('mount')}`));
    list.forEach((p, i) => {
      if (!isAbsolute(p)) findings.push(error(`linux.${field}[${i}]`, `must be an absolute path, got ${JSON.stringify(p)}`));
    });
  }
  return findings;
};

// ---------------------------------------------------------------------------
// devices, hooks

/** Linux dev_t: 12-bit major, 20-bit minor. */
const MAX_MAJOR = 4095n;
const MAX_MINOR = 1048575n;

const checkDevices: Check<Config, HostFacts> = (config) => {
  const findings: Finding[] = [];
  (config.linux?.devices ?? []).forEach((d, i) => {
    const base = `linux.devices[${i}]`;
    if (!isAbsolute(d.path)) findings.push(error(`${base}.path`, `must be an absolute path, got ${JSON.stringify(d.path)}`));
    for (const [field, max] of [['major', MAX_MAJOR], ['minor', MAX_MINOR]] as const) {
      const v = d[field];
      if (v === undefined) {
        if (d.type !== 'p') findings.push(error(`${base}.${field}`, `required for device type "${d.type}"`));
      } else if (big(v) < 0n || big(v) > max) {
        findings.push(error(`${base}.${field}`, `must be from 0 to ${max} for a Linux device, got ${v}`));
      }
    }
  });
  return findings;
};

const checkHooks: Check<Config, HostFacts> = (config) => {
  const hooks = config.hooks;
  if (!hooks) return [];
  const findings: Finding[] = [];
  for (const [name, list] of Object.entries(hooks)) {
    (list ?? []).forEach((h, i) => {
      const base = `hooks.${name}[${i}]`;
      if (!isAbsolute(h.path)) findings.push(error(`${base}.path`, `must be an absolute path, got ${JSON.stringify(h.path)}`));
      if (h.timeout !== undefined && h.timeout <= 0) findings.push(error(`${base}.timeout`, `must be greater than 0 seconds, got ${h.timeout}`));
    });
  }
  return findings;
};

/** runc ignores linux.mountLabel without SELinux; say so instead of silently. */
const checkMountLabel: Check<Config, HostFacts> = (config, facts) =>
  config.linux?.mountLabel && facts.selinuxEnabled === false
    ? [warning('linux.mountLabel', `SELinux is not enabled on this host, so mount label ${JSON.stringify(config.linux.mountLabel)} is ignored`)]
    : [];

// ---------------------------------------------------------------------------
// seccomp: checked by src/seccomp/checks.ts (preflight runs both lists), so
// each problem is reported once, by the module that compiles the profile.

// ---------------------------------------------------------------------------
// intelRdt, personality, netDevices, memoryPolicy, resources

const checkIntelRdt: Check<Config, HostFacts> = (config) =>
  config.linux?.intelRdt ? [error('linux.intelRdt', 'Intel RDT is not supported by tsrun')] : [];

const checkPersonality: Check<Config, HostFacts> = (config) =>
  config.linux?.personality?.flags?.length
    ? [warning('linux.personality.flags', 'ignored: the runtime-spec defines no personality flags')]
    : [];

/** Kernel rules for interface names: 1-15 bytes, no "/", ":" or whitespace, not "." or "..". */
function validInterfaceName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) < 16 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

const checkNetDevices: Check<Config, HostFacts> = (config) => {
  const devices = config.linux?.netDevices;
  if (!devices || Object.keys(devices).length === 0) return [];
  const findings: Finding[] = [];
  if (!isNew(namespaceMap(config), 'network')) {
    findings.push(error('linux.netDevices', `moving network devices needs a new network namespace: ${addNamespaceHint('network')} (without a path)`));
  }
  for (const [hostName, dev] of Object.entries(devices)) {
    const path = at('linux.netDevices', hostName);
    if (!validInterfaceName(hostName)) findings.push(error(path, `${JSON.stringify(hostName)} is not a valid network interface name`));
    if (dev.name && !validInterfaceName(dev.name.replace('%d', '0'))) {
      findings.push(error(`${path}.name`, `${JSON.stringify(dev.name)} is not a valid network interface name`));
    }
  }
  return findings;
};

const checkMemoryPolicy: Check<Config, HostFacts> = (config) => {
  const mp = config.linux?.memoryPolicy;
  if (!mp) return [];
  const nodes = mp.nodes ?? '';
  if (nodes && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(nodes)) {
    return [error('linux.memoryPolicy.nodes', `expected a node list such as "0-3,7", got ${JSON.stringify(nodes)}`)];
  }
  if ((mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL') && nodes) {
    return [error('linux.memoryPolicy.nodes', `must be empty for ${mp.mode}`)];
  }
  if (['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'].includes(mp.mode) && !nodes) {
    return [error('linux.memoryPolicy.nodes', `${mp.mode} needs at least one node`)];
  }
  return [];
};

// ---------------------------------------------------------------------------

/** Every check on config.json for create/run, in order. */
export const configChecks: readonly Check<Config, HostFacts>[] = [
  checkOciVersion,
  checkRoot,
  checkProcessPresent,
  ...configProcessChecks,
  checkNamespaces,
  checkUserNamespaceMappings,
  checkTimeNamespace,
  checkUts,
  checkSysctl,
  checkRootfsPropagation,
  checkMounts,
  checkSpecialMountTargets,
  checkMaskedAndReadonlyPaths,
  checkMountLabel,
  checkDevices,
  checkHooks,
  checkIntelRdt,
  checkPersonality,
  checkNetDevices,
  checkMemoryPolicy,
];

/** Run configChecks; errors stop create, warnings are logged. */
export function checkConfig(config: Config, facts: HostFacts): CheckResult {
  return runChecks(configChecks, config, facts);
}

/** Run processChecks on an `exec --process` document. */
export function checkProcess(process: Process, facts: HostFacts): CheckResult {
  return runChecks(processChecks, process, facts);
}

/** Capability names of a /proc/<pid>/status mask such as CapBnd ("000001ffffffffff"). */
export function capabilitiesFromMask(hexMask: string): Set<Capability> {
  const mask = BigInt(`0x${hexMask.trim() || '0'}`);
  const caps = new Set<Capability>();
  CAPABILITIES.forEach((name, bit) => {
    if ((mask >> BigInt(bit)) & 1n) caps.add(name);
  });
  return caps;
}
