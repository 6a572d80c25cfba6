// `update` semantics (runc update): the new resources are merged
// into the current ones. A zero or absent value means "unchanged" (docker sends
// {"cpu":{"shares":0,...}} for fields it does not touch); fields where 0 is a
// real value (cpu.idle, cpu.burst, memory.swappiness, hugepage limits) change
// whenever they are present. Per-device lists are upserted by major:minor,
// priorities by interface name, rdma and unified by key. A non-empty device
// list replaces the old one.
import type {
  LinuxBlockIO,
  LinuxCPU,
  LinuxMemory,
  LinuxResources,
  LinuxThrottleDevice,
  LinuxWeightDevice,
} from './resources';
import { isPresent, isSet } from './resources';

type Obj = Record<string, unknown>;

function takeSet<T extends Obj>(out: T, upd: Partial<T> | undefined, keys: (keyof T)[]): void {
  for (const k of keys) if (isSet(upd?.[k] as number | null | undefined)) out[k] = upd![k] as T[keyof T];
}

function takePresent<T extends Obj>(out: T, upd: Partial<T> | undefined, keys: (keyof T)[]): void {
  for (const k of keys) if (isPresent(upd?.[k])) out[k] = upd![k] as T[keyof T];
}

function upsert<T>(old: T[] | undefined, upd: T[] | undefined, key: (x: T) => string): T[] | undefined {
  if (!upd || upd.length === 0) return old;
  const out = [...(old ?? [])];
  for (const item of upd) {
    const i = out.findIndex((o) => key(o) === key(item));
    if (i >= 0) out[i] = item;
    else out.push(item);
  }
  return out;
}

const devKey = (d: { major: number; minor: number }) => `${d.major}:${d.minor}`;

function mergeMemory(cur: LinuxMemory | undefined, upd: LinuxMemory | undefined): LinuxMemory | undefined {
  if (!upd) return cur;
  const out: LinuxMemory = { ...cur };
  takeSet(out as Obj, upd as Obj, ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP']);
  takePresent(out as Obj, upd as Obj, ['swappiness', 'disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate']);
  return out;
}

function mergeCpu(cur: LinuxCPU | undefined, upd: LinuxCPU | undefined): LinuxCPU | undefined {
  if (!upd) return cur;
  const out: LinuxCPU = { ...cur };
  takeSet(out as Obj, upd as Obj, ['shares', 'quota', 'period', 'realtimeRuntime', 'realtimePeriod']);
  takePresent(out as Obj, upd as Obj, ['burst', 'idle']);
  if (upd.cpus) out.cpus = upd.cpus;
  if (upd.mems) out.mems = upd.mems;
  return out;
}

function mergeBlockIO(cur: LinuxBlockIO | undefined, upd: LinuxBlockIO | undefined): LinuxBlockIO | undefined {
  if (!upd) return cur;
  const out: LinuxBlockIO = { ...cur };
  takeSet(out as Obj, upd as Obj, ['weight', 'leafWeight']);
  out.weightDevice = upsert<LinuxWeightDevice>(cur?.weightDevice, upd.weightDevice, devKey);
  for (const k of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
    out[k] = upsert<LinuxThrottleDevice>(cur?.[k], upd[k], devKey);
  }
  for (const k of Object.keys(out) as (keyof LinuxBlockIO)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Merge an update into the current resources; neither input is modified. */
export function mergeResources(cur: LinuxResources, upd: LinuxResources): LinuxResources {
  const out: LinuxResources = structuredClone(cur);
  const set = <K extends keyof LinuxResources>(k: K, v: LinuxResources[K] | undefined) => {
    // an all-zero update of an absent group leaves it absent
    const empty = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
    if (v === undefined || (empty && cur[k] === undefined)) delete out[k];
    else out[k] = structuredClone(v);
  };
  set('memory', mergeMemory(cur.memory, upd.memory));
  set('cpu', mergeCpu(cur.cpu, upd.cpu));
  if (isSet(upd.pids?.limit)) set('pids', { limit: upd.pids!.limit });
  set('blockIO', mergeBlockIO(cur.blockIO, upd.blockIO));
  set('hugepageLimits', upsert(cur.hugepageLimits, upd.hugepageLimits, (h) => h.pageSize));
  if (upd.network) {
    const net = { ...cur.network };
    if (isSet(upd.network.classID)) net.classID = upd.network.classID;
    const prios = upsert(cur.network?.priorities, upd.network.priorities, (p) => p.name);
    if (prios) net.priorities = prios;
    set('network', net);
  }
  if (upd.rdma && Object.keys(upd.rdma).length > 0) set('rdma', { ...cur.rdma, ...upd.rdma });
  if (upd.unified && Object.keys(upd.unified).length > 0) set('unified', { ...cur.unified, ...upd.unified });
  if (upd.devices && upd.devices.length > 0) set('devices', upd.devices);
  return out;
}
