// Pure validation of linux.resources against host facts, before any cgroup is
// touched. Each check returns findings naming the JSON path; create's
// preflight runs `resourceChecks` after the config checks, `update` runs
// checkResources with an empty prefix (paths like "memory.limit"). The one
// home of the resource rules (swap >= limit, burst <= quota...): the config
// checks leave linux.resources to these.
import * as fs from 'node:fs';
import { error, warning, type Check, type Finding } from '../validate/checks';
import { detectCgroupHost, type CgroupHost, type CgroupLayout } from './detect';
import { normalizeAccess } from './devices';
import { isPresent, isSet, RESOURCES_PATH, type LinuxResources } from './resources';
import { unifiedKeyController, unifiedKeyProblem } from './v2/unified';
import { CgroupError } from '../errors';
import { hugePageSizes, parseCpuList, readCpuSet } from './hostinfo';


/** What the checks need to know about the host. */
export interface CgroupHostFacts {
  layout: CgroupLayout;
  /** online CPUs and memory nodes */
  cpus: ReadonlySet<number>;
  mems: ReadonlySet<number>;
  /** hugepage sizes as OCI names them: "2MB", "1GB" */
  hugePageSizes: readonly string[];
  /** controllers of the mounted v1 hierarchies */
  v1Controllers: ReadonlySet<string>;
  /** controllers the cgroup2 tree offers (its root's cgroup.controllers; hybrid: the unified tree's) */
  v2Controllers: ReadonlySet<string>;
}

/** Gather the facts from the running host (cheap reads of /sys). */
export function cgroupHostFacts(host: CgroupHost = detectCgroupHost()): CgroupHostFacts {
  let v2 = '';
  if (host.unified) {
    try {
      v2 = fs.readFileSync(`${host.unified.mountpoint}/cgroup.controllers`, 'utf8');
    } catch {
      /* unreadable: no controllers */
    }
  }
  return {
    layout: host.layout,
    cpus: readCpuSet('/sys/devices/system/cpu/online', '0'),
    mems: readCpuSet('/sys/devices/system/node/online', '0'),
    hugePageSizes: hugePageSizes(),
    v1Controllers: new Set(host.v1.flatMap((h) => h.controllers)),
    v2Controllers: new Set(v2.split(/\s+/).filter(Boolean)),
  };
}

type ResourceCheck = (res: LinuxResources, facts: CgroupHostFacts, base: string) => Finding[];

const join = (base: string, p: string) => (base ? `${base}.${p}` : p);

function byteLimit(out: Finding[], v: number | null | undefined, path: string): void {
  if (isPresent(v) && (!Number.isInteger(v) || v < -1)) out.push(error(path, `${v} is not a byte count (use -1 for unlimited)`));
}

const memoryCheck: ResourceCheck = (res, facts, base) => {
  const m = res.memory;
  if (!m) return [];
  const p = (f: string) => join(base, `memory.${f}`);
  const out: Finding[] = [];
  for (const f of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) byteLimit(out, m[f], p(f));
  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  if (swap !== 0 && limit === 0) out.push(error(p('swap'), `a swap limit needs ${p('limit')} (memory.swap is memory+swap)`));
  if (limit > 0 && swap > 0 && swap < limit) out.push(error(p('swap'), `${swap} is below ${p('limit')} ${limit}; memory.swap is memory+swap and must be >= limit`));
  if (isPresent(m.swappiness) && (m.swappiness < 0 || m.swappiness > 100)) out.push(error(p('swappiness'), `${m.swappiness} is outside 0-100`));
  if (isSet(m.kernel)) out.push(warning(p('kernel'), 'kernel memory limits are obsolete and ignored'));
  if (facts.layout === 'v2') {
    if (isSet(m.kernelTCP)) out.push(warning(p('kernelTCP'), 'not supported on cgroup v2, ignored'));
    if (isPresent(m.swappiness)) out.push(warning(p('swappiness'), 'not supported on cgroup v2, ignored'));
    if (m.disableOOMKiller === true) out.push(warning(p('disableOOMKiller'), 'not supported on cgroup v2, ignored'));
  }
  return out;
};

const cpuCheck: ResourceCheck = (res, facts, base) => {
  const c = res.cpu;
  if (!c) return [];
  const p = (f: string) => join(base, `cpu.${f}`);
  const out: Finding[] = [];
  if (isSet(c.shares) && (c.shares < 2 || c.shares > 262144)) {
    const msg = `${c.shares} is outside the kernel's range 2-262144`;
    out.push(facts.layout === 'v2' ? warning(p('shares'), `${msg}; clamped`) : error(p('shares'), msg));
  }
  if (isPresent(c.quota) && c.quota !== 0) {
    if (c.quota < -1) out.push(error(p('quota'), `${c.quota} is not valid (use -1 for unlimited)`));
    else if (c.quota > 0 && c.quota < 1000) out.push(error(p('quota'), `${c.quota}µs is below the kernel's minimum of 1000µs`));
  }
  if (isSet(c.period) && (c.period < 1000 || c.period > 1000000)) out.push(error(p('period'), `${c.period}µs is outside the kernel's range 1000-1000000µs`));
  if (isSet(c.burst) && isSet(c.quota) && c.quota > 0 && c.burst > c.quota) out.push(error(p('burst'), `${c.burst} exceeds ${p('quota')} ${c.quota}`));
  if (isPresent(c.idle) && c.idle !== 0 && c.idle !== 1) out.push(error(p('idle'), `${c.idle} is not 0 or 1`));
  if (facts.layout === 'v2') {
    if (isSet(c.realtimeRuntime)) out.push(error(p('realtimeRuntime'), 'realtime scheduling limits are not supported on cgroup v2'));
    if (isSet(c.realtimePeriod)) out.push(error(p('realtimePeriod'), 'realtime scheduling limits are not supported on cgroup v2'));
  } else if (isPresent(c.realtimeRuntime) && c.realtimeRuntime < -1) {
    out.push(error(p('realtimeRuntime'), `${c.realtimeRuntime} is not valid (use -1 for unlimited)`));
  }
  return out;
};

const cpusetCheck: ResourceCheck = (res, facts, base) => {
  const out: Finding[] = [];
  const one = (field: 'cpus' | 'mems', have: ReadonlySet<number>, what: string) => {
    const text = res.cpu?.[field];
    if (!text) return;
    const path = join(base, `cpu.${field}`);
    const want = parseCpuList(text);
    if (!want) return out.push(error(path, `${JSON.stringify(text)} is not a list like "0-3,5"`));
    const missing = [...want].filter((n) => !have.has(n));
    if (missing.length > 0) out.push(error(path, `${what} ${missing.join(',')} not online on this host (online: ${[...have].join(',') || 'none'})`));
    return undefined;
  };
  one('cpus', facts.cpus, 'CPU(s)');
  one('mems', facts.mems, 'memory node(s)');
  return out;
};

const pidsCheck: ResourceCheck = (res, _facts, base) => {
  const l = res.pids?.limit;
  if (isPresent(l) && (!Number.isInteger(l) || l < -1)) return [error(join(base, 'pids.limit'), `${l} is not valid (use -1 for unlimited)`)];
  return [];
};

function weightFinding(out: Finding[], v: number | null | undefined, path: string): void {
  if (isSet(v) && (v < 10 || v > 1000)) out.push(error(path, `${v} is outside 10-1000`));
}

function deviceNumbers(out: Finding[], d: { major: number; minor: number }, path: string): void {
  if (!Number.isInteger(d.major) || d.major < 0) out.push(error(`${path}.major`, `${d.major} is not a device number`));
  if (!Number.isInteger(d.minor) || d.minor < 0) out.push(error(`${path}.minor`, `${d.minor} is not a device number`));
}

const blockIOCheck: ResourceCheck = (res, _facts, base) => {
  const b = res.blockIO;
  if (!b) return [];
  const out: Finding[] = [];
  weightFinding(out, b.weight, join(base, 'blockIO.weight'));
  weightFinding(out, b.leafWeight, join(base, 'blockIO.leafWeight'));
  (b.weightDevice ?? []).forEach((d, i) => {
    const path = join(base, `blockIO.weightDevice[${i}]`);
    deviceNumbers(out, d, path);
    weightFinding(out, d.weight, `${path}.weight`);
    weightFinding(out, d.leafWeight, `${path}.leafWeight`);
  });
  for (const k of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
    (b[k] ?? []).forEach((d, i) => {
      const path = join(base, `blockIO.${k}[${i}]`);
      deviceNumbers(out, d, path);
      if (!Number.isInteger(d.rate) || d.rate < 0) out.push(error(`${path}.rate`, `${d.rate} is not a rate`));
    });
  }
  return out;
};

const hugepageCheck: ResourceCheck = (res, facts, base) => {
  const limits = res.hugepageLimits ?? [];
  if (limits.length === 0) return [];
  const out: Finding[] = [];
  const have = facts.v1Controllers.has('hugetlb') || (facts.layout !== 'v1' && facts.v2Controllers.has('hugetlb'));
  if (!have) out.push(error(join(base, 'hugepageLimits'), 'the hugetlb cgroup controller is not available on this host'));
  limits.forEach((l, i) => {
    const path = join(base, `hugepageLimits[${i}]`);
    if (!facts.hugePageSizes.includes(l.pageSize)) {
      out.push(error(`${path}.pageSize`, `${JSON.stringify(l.pageSize)} is not a hugepage size of this host (have: ${facts.hugePageSizes.join(', ') || 'none'})`));
    }
    if (!Number.isInteger(l.limit) || l.limit < 0) out.push(error(`${path}.limit`, `${l.limit} is not a byte count`));
  });
  return out;
};

const networkCheck: ResourceCheck = (res, facts, base) => {
  const n = res.network;
  if (!n) return [];
  const out: Finding[] = [];
  const need = (on: boolean, ctrl: string, path: string) => {
    if (!on) return;
    if (facts.layout === 'v2') out.push(error(path, `${ctrl} is a cgroup v1 controller; cgroup v2 has no equivalent`));
    else if (!facts.v1Controllers.has(ctrl)) out.push(error(path, `the ${ctrl} cgroup controller is not mounted on this host`));
  };
  need(isSet(n.classID), 'net_cls', join(base, 'network.classID'));
  need((n.priorities ?? []).length > 0, 'net_prio', join(base, 'network.priorities'));
  return out;
};

const rdmaCheck: ResourceCheck = (res, facts, base) => {
  if (!res.rdma || Object.keys(res.rdma).length === 0) return [];
  const have = facts.layout === 'v2' ? facts.v2Controllers.has('rdma') : facts.v1Controllers.has('rdma');
  return have ? [] : [error(join(base, 'rdma'), 'the rdma cgroup controller is not available on this host')];
};

const unifiedCheck: ResourceCheck = (res, facts, base) => {
  const out: Finding[] = [];
  for (const key of Object.keys(res.unified ?? {})) {
    const path = join(base, `unified[${JSON.stringify(key)}]`);
    const problem = unifiedKeyProblem(key);
    if (problem) {
      out.push(error(path, problem));
      continue;
    }
    if (facts.layout === 'v1') {
      out.push(error(path, 'unified resources need cgroup v2, and this host has only cgroup v1'));
      continue;
    }
    const ctrl = unifiedKeyController(key);
    if (ctrl !== 'cgroup' && !facts.v2Controllers.has(ctrl)) {
      out.push(error(path, `the ${ctrl} controller is not available in this host's cgroup v2 tree (available: ${[...facts.v2Controllers].join(' ') || 'none'})`));
    }
  }
  return out;
};

const devicesCheck: ResourceCheck = (res, _facts, base) => {
  const out: Finding[] = [];
  (res.devices ?? []).forEach((d, i) => {
    const path = join(base, `devices[${i}]`);
    for (const f of ['major', 'minor'] as const) {
      const v = d[f];
      if (isPresent(v) && v !== -1 && (!Number.isInteger(v) || v < 0)) out.push(error(`${path}.${f}`, `${v} is not a device number`));
    }
    try {
      normalizeAccess(d.access ?? '', path);
    } catch (e) {
      out.push(error(`${path}.access`, e instanceof CgroupError ? e.message.replace(/^.*?access: /, '') : String(e)));
    }
  });
  return out;
};

const ALL: ResourceCheck[] = [devicesCheck, memoryCheck, cpuCheck, cpusetCheck, pidsCheck, blockIOCheck, hugepageCheck, networkCheck, rdmaCheck, unifiedCheck];

/** Every resource check over `res`; `base` prefixes the JSON paths ("" for `update --resources`). */
export function checkResources(res: LinuxResources | undefined, facts: CgroupHostFacts, base = RESOURCES_PATH): Finding[] {
  if (!res) return [];
  return ALL.flatMap((c) => c(res, facts, base));
}

/** The config spec as far as these checks look at it. */
export interface ResourcesSpec {
  linux?: { resources?: LinuxResources };
}
export interface ResourcesCheckContext {
  cgroupHost: CgroupHostFacts;
}

/** For runChecks() with the config checks: one entry per controller, in order. */
export const resourceChecks: readonly Check<ResourcesSpec, ResourcesCheckContext>[] = ALL.map(
  (c) => (spec: ResourcesSpec, ctx: ResourcesCheckContext) => (spec.linux?.resources ? c(spec.linux.resources, ctx.cgroupHost, RESOURCES_PATH) : []),
);
