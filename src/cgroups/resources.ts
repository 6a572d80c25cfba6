// `linux.resources` as the cgroup code takes it: oci-spec's types, with the
// 64-bit values as numbers (fromSpecResources converts them).
import type {
  BlockIO,
  Cpu,
  DeviceRule,
  HugepageLimit,
  Memory,
  Network,
  Pids,
  Rdma,
  Resources,
  ThrottleDevice,
  WeightDevice,
} from '../../oci-spec/runtime';

/**
 * A spec type with its Int64 (number | bigint) fields as plain numbers; an
 * optional number or boolean may also be null (the conversions read null as
 * absent, as Go's encoding/json does).
 */
type WithNumbers<T> = T extends bigint
  ? never
  : T extends readonly (infer U)[]
    ? WithNumbers<U>[]
    : T extends object
      ? { [K in keyof T]: WithNumbers<T[K]> | NullableScalar<T[K]> }
      : T;

type NullableScalar<F> = undefined extends F ? (NonNullable<F> extends number | bigint | boolean ? null : never) : never;

export type LinuxDeviceCgroup = WithNumbers<DeviceRule>;
export type LinuxMemory = WithNumbers<Memory>;
export type LinuxCPU = WithNumbers<Cpu>;
export type LinuxPids = WithNumbers<Pids>;
export type LinuxWeightDevice = WithNumbers<WeightDevice>;
export type LinuxThrottleDevice = WithNumbers<ThrottleDevice>;
export type LinuxBlockIO = WithNumbers<BlockIO>;
export type LinuxHugepageLimit = WithNumbers<HugepageLimit>;
export type LinuxNetwork = WithNumbers<Network>;
export type LinuxRdma = WithNumbers<Rdma>;
export type LinuxResources = WithNumbers<Resources>;

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
export function fromSpecResources(res: Resources | undefined): LinuxResources {
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
