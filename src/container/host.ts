// Facts about the host that validation and planning need, read once per call.
import * as fs from 'node:fs';
import { NAMESPACE_TYPES, type NamespaceType, type RlimitType } from '../../oci-spec/runtime-enums';
import { capabilitiesFromMask, type HostFacts } from './config-checks';
import type { PlanHost } from './plan';

export interface Host {
  checks: HostFacts;
  plan: PlanHost;
}

const NS_FILE: Record<NamespaceType, string> = {
  pid: 'pid',
  network: 'net',
  mount: 'mnt',
  ipc: 'ipc',
  uts: 'uts',
  user: 'user',
  cgroup: 'cgroup',
  time: 'time',
};

function statusField(status: string, name: string): string {
  const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status);
  return m ? m[1]! : '0';
}

/** /proc/self/limits hard values ("unlimited" -> 2^64-1) */
export function parseHardLimits(text: string): Partial<Record<RlimitType, bigint>> {
  const names: Record<string, RlimitType> = {
    'Max cpu time': 'RLIMIT_CPU',
    'Max file size': 'RLIMIT_FSIZE',
    'Max data size': 'RLIMIT_DATA',
    'Max stack size': 'RLIMIT_STACK',
    'Max core file size': 'RLIMIT_CORE',
    'Max resident set': 'RLIMIT_RSS',
    'Max processes': 'RLIMIT_NPROC',
    'Max open files': 'RLIMIT_NOFILE',
    'Max locked memory': 'RLIMIT_MEMLOCK',
    'Max address space': 'RLIMIT_AS',
    'Max file locks': 'RLIMIT_LOCKS',
    'Max pending signals': 'RLIMIT_SIGPENDING',
    'Max msgqueue size': 'RLIMIT_MSGQUEUE',
    'Max nice priority': 'RLIMIT_NICE',
    'Max realtime priority': 'RLIMIT_RTPRIO',
    'Max realtime timeout': 'RLIMIT_RTTIME',
  };
  const out: Partial<Record<RlimitType, bigint>> = {};
  for (const line of text.split('\n')) {
    const label = Object.keys(names).find((l) => line.startsWith(l));
    if (!label) continue;
    const fields = line.slice(label.length).trim().split(/\s+/);
    const hard = fields[1];
    if (hard === undefined) continue;
    out[names[label]!] = hard === 'unlimited' ? 2n ** 64n - 1n : BigInt(hard);
  }
  return out;
}

export function readHost(): Host {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const bnd = statusField(status, 'CapBnd');
  const namespaces = new Set<NamespaceType>(NAMESPACE_TYPES.filter((t) => fs.existsSync(`/proc/self/ns/${NS_FILE[t]}`)));
  const lsm = (p: string) => {
    try {
      return fs.readFileSync(p, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return {
    checks: {
      namespaces,
      boundingSet: capabilitiesFromMask(bnd),
      effectiveCaps: capabilitiesFromMask(statusField(status, 'CapEff')),
      hardRlimits: parseHardLimits(fs.readFileSync('/proc/self/limits', 'utf8')),
      apparmorEnabled: lsm('/sys/module/apparmor/parameters/enabled') === 'Y',
      selinuxEnabled: fs.existsSync('/sys/fs/selinux/enforce'),
    },
    plan: {
      lastCap: Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()),
      boundingSet: BigInt(`0x${bnd}`),
      hasKcore: fs.existsSync('/proc/kcore'),
      selinuxEnabled: fs.existsSync('/sys/fs/selinux/enforce'),
    },
  };
}

/**
 * Namespace types whose configured `path` is tsrun's own namespace (same device and
 * inode as /proc/self/ns/<type>). A path that cannot be read is left to the init,
 * which reports it when it joins.
 */
export function namespacesSameAsRuntime(namespaces: readonly { type: NamespaceType; path?: string }[]): Set<NamespaceType> {
  const same = new Set<NamespaceType>();
  for (const ns of namespaces) {
    if (!ns.path) continue;
    try {
      const joined = fs.statSync(ns.path);
      const own = fs.statSync(`/proc/self/ns/${NS_FILE[ns.type]}`);
      if (joined.dev === own.dev && joined.ino === own.ino) same.add(ns.type);
    } catch {
      // unreadable: the init's join names the path and errno
    }
  }
  return same;
}

export { NS_FILE };
