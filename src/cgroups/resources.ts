// OCI runtime-spec v1.3 `linux.resources`, field names exactly as in the JSON.
// A local copy so the cgroup code does not depend on the zod schemas being
// written elsewhere; the lead swaps it for oci-spec's type (names identical).
// Optional numbers may be null in JSON produced by some engines: treat null as absent.

export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a" (all), "c" or "b"; absent means "a" */
  type?: string;
  /** absent or null: wildcard */
  major?: number | null;
  minor?: number | null;
  /** some of "rwm" */
  access?: string;
}

export interface LinuxMemory {
  limit?: number | null;
  reservation?: number | null;
  /** memory + swap */
  swap?: number | null;
  /** deprecated, ignored like runc */
  kernel?: number | null;
  kernelTCP?: number | null;
  swappiness?: number | null;
  disableOOMKiller?: boolean | null;
  useHierarchy?: boolean | null;
  checkBeforeUpdate?: boolean | null;
}

export interface LinuxCPU {
  shares?: number | null;
  quota?: number | null;
  burst?: number | null;
  period?: number | null;
  realtimeRuntime?: number | null;
  realtimePeriod?: number | null;
  cpus?: string;
  mems?: string;
  idle?: number | null;
}

export interface LinuxPids {
  limit?: number | null;
}

export interface LinuxBlockIODevice {
  major: number;
  minor: number;
}

export interface LinuxWeightDevice extends LinuxBlockIODevice {
  weight?: number | null;
  leafWeight?: number | null;
}

export interface LinuxThrottleDevice extends LinuxBlockIODevice {
  rate: number;
}

export interface LinuxBlockIO {
  weight?: number | null;
  leafWeight?: number | null;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** "2MB", "1GB", "64KB" */
  pageSize: string;
  limit: number;
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface LinuxNetwork {
  classID?: number | null;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxRdma {
  hcaHandles?: number | null;
  hcaObjects?: number | null;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  rdma?: Record<string, LinuxRdma>;
  unified?: Record<string, string>;
}

/** JSON path prefix used in findings and errors for config.json */
export const RESOURCES_PATH = 'linux.resources';

/** A number that is present and not zero ("zero means unset"). */
export function isSet(v: number | null | undefined): v is number {
  return typeof v === 'number' && v !== 0;
}

/** A value that is present (zero included): for fields where 0 is meaningful (idle, burst, swappiness). */
export function isPresent<T>(v: T | null | undefined): v is T {
  return v !== undefined && v !== null;
}

/**
 * The config's `linux.resources` as the cgroup code takes it: 64-bit values
 * that the spec parser kept as bigint (beyond 2^53) become numbers. Such
 * values only occur as "practically unlimited" byte counts, where the
 * kernel rounds to pages anyway.
 */
export function fromSpecResources(res: unknown): LinuxResources {
  return toNumbers(res ?? {}) as LinuxResources;
}

function toNumbers(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toNumbers);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toNumbers(x);
    return out;
  }
  return v;
}
